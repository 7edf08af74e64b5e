"""Resource paths such as ``/items/{id}`` or ``/{proxy+}``, matched as API Gateway does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote


@dataclass(frozen=True)
class ResourcePath:
    """One resource's path template."""

    template: str

    @cached_property
    def segments(self) -> tuple[str, ...]:
        """The template's segments, without empty ones; split once, matched per request."""
        return tuple(s for s in self.template.split("/") if s)

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        """Path parameters if ``parts`` (decoded segments) fit this resource, else None."""
        segments = self.segments
        params: dict[str, str] = {}
        for index, segment in enumerate(segments):
            if segment.endswith("+}"):
                rest = parts[index:]
                if not rest:
                    return None
                params[segment[1:-2]] = "/".join(rest)
                return params
            if index >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                params[segment[1:-1]] = parts[index]
            elif segment != parts[index]:
                return None
        return params if len(parts) == len(segments) else None

    @property
    def specificity(self) -> tuple[int, ...]:
        """Literal segments beat parameters, which beat greedy ones (API Gateway's order)."""
        return tuple(
            0 if s.endswith("+}") else 1 if s.startswith("{") else 2 for s in self.segments
        )


def path_segments(raw_path: str) -> list[str]:
    """The decoded segments of a percent-encoded path: ``%2F`` stays inside its segment."""
    return [unquote(p) for p in raw_path.split("/") if p]


def by_specificity(templates: Iterable[str]) -> list[ResourcePath]:
    """The templates in the order API Gateway tries them: most specific first."""
    return sorted((ResourcePath(t) for t in templates), key=lambda r: r.specificity, reverse=True)


def match_resource(templates: Iterable[str], raw_path: str) -> tuple[str, dict[str, str]] | None:
    """The most specific template that ``raw_path`` fits, and its path parameters."""
    parts = path_segments(raw_path)
    for resource in by_specificity(templates):
        params = resource.match(parts)
        if params is not None:
            return resource.template, params
    return None
