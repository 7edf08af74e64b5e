"""JSON Merge Patch (RFC 7396): how PATCH changes an item's data."""

from __future__ import annotations

from .codec import Document, Json
from .errors import InvalidBody


def check_patch(patch: Json) -> Document:
    """The patch of an item, which must be an object.

    RFC 7396 lets any other value replace the target whole; an item's data is always an
    object, so such a patch could only fail later, and PUT is the way to replace.
    """
    if not isinstance(patch, dict):
        raise InvalidBody("a merge patch of an item must be a JSON object; use PUT to replace it")
    return patch


def merge(target: Json, patch: Json) -> Json:
    """RFC 7396's MergePatch(target, patch): ``null`` removes a member, objects merge
    member by member, and any other value replaces what was there (arrays included)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge(result.get(name), value)
    return result
