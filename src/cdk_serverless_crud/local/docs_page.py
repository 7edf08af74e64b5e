"""Local mode's page for people: the service's OpenAPI document and an API page to try it.

``/<stage>/openapi.json`` is the document synthesis wrote beside the template
(``<stack artifact id>.<service unique id>.openapi.json``, ``openapi_document_file``), its
``servers`` pointed at the local stage. ``/_docs`` is Swagger UI on that document, where
every route can be read and tried. Its assets are Swagger UI's own build as PyPI's
``flask-swagger-ui`` ships it (``dist/``; its Flask blueprint is not used), served from
the installed package: the page works offline and loads nothing from a CDN. Both are
local mode's own: the deployed API serves neither.
"""

from __future__ import annotations

import html
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

DOCS_PATH = "/_docs"
#: The Swagger UI files the page loads (of the package's ``dist/`` folder).
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" type="image/png" href="{docs}/favicon-32x32.png">
<link rel="stylesheet" href="{docs}/swagger-ui.css">
<style>body {{ margin: 0; }} .topbar-note {{ font: 14px sans-serif; padding: 8px 20px;
background: #1b1b1b; color: #fff; }}</style>
</head>
<body>
<div class="topbar-note">{title}: local mode at <code>{stage_url}</code>. Try a route:
it is served by this machine, with no AWS.</div>
<div id="swagger-ui"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {document_url},
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true
}});
</script>
</body>
</html>
"""


@dataclass(frozen=True)
class DocsPage:
    """What ``/_docs`` and ``/<stage>/openapi.json`` answer, or None for other paths."""

    stage_name: str
    document: Mapping[str, Any] | None

    @property
    def document_path(self) -> str:
        return f"/{self.stage_name}/openapi.json"

    def answer(self, method: str, path: str) -> tuple[int, str, bytes] | None:
        """Status, content type and body for a GET of the page, an asset or the document."""
        if method not in ("GET", "HEAD"):
            return None
        if path == self.document_path and self.document is not None:
            return 200, "application/json", json.dumps(self.local_document(), indent=2).encode()
        if path in (DOCS_PATH, DOCS_PATH + "/"):
            return 200, "text/html; charset=utf-8", self.page().encode()
        name = path.removeprefix(DOCS_PATH + "/")
        if path.startswith(DOCS_PATH + "/") and name in ASSETS:
            asset = _assets() / name
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return 200, kind, asset.read_bytes()
        return None

    def local_document(self) -> dict[str, Any]:
        """The document with its ``servers`` pointed at the local stage."""
        assert self.document is not None
        return {**self.document, "servers": [{"url": f"/{self.stage_name}"}]}

    def page(self) -> str:
        title = "API"
        if self.document is not None:
            title = str(self.document.get("info", {}).get("title", title))
        return _PAGE.format(
            title=html.escape(title),
            docs=DOCS_PATH,
            stage_url=html.escape(f"/{self.stage_name}"),
            document_url=json.dumps(self.document_path),
        )


def _assets() -> Traversable:
    return resources.files("flask_swagger_ui") / "dist"


def read_document(cdk_out: Path, stack_artifact: str) -> Mapping[str, Any] | None:
    """The OpenAPI document synthesis wrote for the stack's service, if exactly one."""
    documents = sorted(cdk_out.glob(f"{stack_artifact}.*.openapi.json"))
    if len(documents) != 1:
        return None
    document: Mapping[str, Any] = json.loads(documents[0].read_text(encoding="utf-8"))
    return document
