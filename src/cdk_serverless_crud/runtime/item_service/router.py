"""The route table: which service method answers which path and method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import MethodNotAllowed, NotFound
from .http import Request, Response
from .service import ItemService

Handler = Callable[[Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Match:
    """The route a request resolved to, its handler and its path parameters."""

    template: str
    handler: Handler
    params: dict[str, str]


class Router:
    """Resolves requests to handlers; unknown paths are 404, other methods 405."""

    def __init__(self, routes: dict[str, dict[str, Handler]]) -> None:
        """``routes`` maps a path template such as ``/items/{id}`` to its methods."""
        self._routes = routes

    def resolve(self, request: Request) -> Match:
        """Find the handler for ``request``, or raise NotFound / MethodNotAllowed."""
        template, params = self._find(request)
        methods = self._routes[template]
        handler = methods.get(request.method)
        if handler is None:
            raise MethodNotAllowed(request.method, sorted(methods))
        return Match(template=template, handler=handler, params=params)

    def _find(self, request: Request) -> tuple[str, dict[str, str]]:
        # API Gateway names the matched resource and decodes path parameters; that
        # keeps an encoded slash inside the id. Fall back to the path for proxy
        # resources such as /{proxy+}.
        if request.resource in self._routes:
            return request.resource, request.path_params
        segments = request.path.strip("/").split("/")
        for template in self._routes:
            params = _match(template, segments)
            if params is not None:
                return template, params
        raise NotFound("no such resource")


def _match(template: str, segments: list[str]) -> dict[str, str] | None:
    """The path parameters if ``segments`` fit ``template``, else None."""
    parts = template.strip("/").split("/")
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{"):
            params[part[1:-1]] = unquote(segment)
        elif part != segment:
            return None
    return params


def item_routes(service: ItemService, collection: str) -> Router:
    """The routes of ``collection`` (openapi.json's, with ``items`` as the collection)."""
    return Router(
        {
            f"/{collection}": {"GET": service.list_items, "POST": service.create_item},
            f"/{collection}/{{id}}": {
                "GET": service.get_item,
                "PUT": service.replace_item,
                "PATCH": service.patch_item,
                "DELETE": service.delete_item,
            },
            f"/{collection}/{{id}}/versions": {"GET": service.list_versions},
            f"/{collection}/{{id}}/versions/{{timestamp}}": {"GET": service.get_version},
            f"/{collection}/{{id}}/restore": {"POST": service.restore_item},
        }
    )
