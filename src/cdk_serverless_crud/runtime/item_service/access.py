"""Who may do what (``ACCESS``): the collection's ``Allow`` rules, enforced per request.

A request is allowed when any rule allows its operation for its caller: ``owner`` when
the caller created the item (its ``owner``), ``group`` when the caller is in the group,
``authenticated`` for any caller API Gateway verified. Without rules, everyone the API
lets in may do everything. The caller comes only from the request context
(``http.parse_event``): never from the body, the query or a header.

A caller who may not read an item is answered 404 for it, as if it did not exist; one
who may read it but not make the change, 403. Lists are served from keys that hold only
what the caller may read: every live item when a group or ``authenticated`` rule lets
the caller read, else the caller's own items from the owners' indexes, whose partition
keys are digests of the owner (and of the value, for an attribute index).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from .errors import Forbidden, NotFound

OPERATIONS = ("read", "create", "update", "delete")

Scope = Literal["all", "owned"]


@dataclass(frozen=True)
class Rule:
    """One ``Allow`` rule as the construct wrote it."""

    kind: Literal["owner", "group", "authenticated"]
    group: str | None
    operations: frozenset[str]

    def matches(self, principal: str | None, groups: frozenset[str], owner: str | None) -> bool:
        """Whether the rule is about this caller (and, for ``owner``, this item)."""
        if principal is None:
            return False
        if self.kind == "authenticated":
            return True
        if self.kind == "group":
            return self.group in groups
        return owner is not None and owner == principal


@dataclass(frozen=True)
class Access:
    """The rules of a collection; ``None`` rules allow everything."""

    rules: tuple[Rule, ...] | None = None

    def check(
        self,
        operation: str,
        principal: str | None,
        groups: frozenset[str],
        owner: str | None,
        item_id: str,
    ) -> None:
        """Raise NotFound if the caller may not read the item, Forbidden if it may read
        it but not do ``operation``; return if allowed."""
        if self.allows(operation, principal, groups, owner):
            return
        if operation != "read" and self.allows("read", principal, groups, owner):
            raise Forbidden(f"you may not {operation} item {item_id}")
        raise NotFound(f"item {item_id} does not exist")

    def allows(
        self, operation: str, principal: str | None, groups: frozenset[str], owner: str | None
    ) -> bool:
        """Whether any rule allows ``operation`` on an item of ``owner`` to the caller."""
        if self.rules is None:
            return True
        return any(
            operation in rule.operations and rule.matches(principal, groups, owner)
            for rule in self.rules
        )

    def may_create(self, principal: str | None, groups: frozenset[str]) -> bool:
        """Whether the caller may create an item, which it would then own."""
        return self.allows("create", principal, groups, principal)

    def list_scope(self, principal: str | None, groups: frozenset[str]) -> Scope | None:
        """What a list or query of this caller reads: every live item, the caller's own,
        or nothing (None: the caller may read no item)."""
        if self.rules is None:
            return "all"
        wide = any(
            "read" in rule.operations
            and rule.kind != "owner"
            and rule.matches(principal, groups, None)
            for rule in self.rules
        )
        if wide:
            return "all"
        if principal is not None and any(
            "read" in rule.operations and rule.kind == "owner" for rule in self.rules
        ):
            return "owned"
        return None


def parse_access(text: str) -> Access:
    """``ACCESS``: a JSON list of ``{"kind", "group", "operations"}``; empty: no rules.

    Raises ValueError on anything else: a misconfigured function must not serve items
    under rules it misread.
    """
    if not text.strip():
        return Access()
    entries = json.loads(text)
    if not isinstance(entries, list) or not entries:
        raise ValueError("ACCESS must be a non-empty JSON list")
    return Access(tuple(_rule(entry) for entry in entries))


def _rule(entry: object) -> Rule:
    if not isinstance(entry, dict) or set(entry) != {"kind", "group", "operations"}:
        raise ValueError(f"ACCESS entries have kind, group and operations; got {entry!r}")
    kind, group, operations = entry["kind"], entry["group"], entry["operations"]
    if not isinstance(operations, list) or not set(operations) <= set(OPERATIONS):
        raise ValueError(f"ACCESS: operations must be some of {OPERATIONS}; got {entry!r}")
    if kind == "group" and isinstance(group, str) and group:
        return Rule("group", group, frozenset(operations))
    if kind in ("owner", "authenticated") and group is None:
        return Rule(kind, None, frozenset(operations))
    raise ValueError(f"ACCESS: kind must be owner, group or authenticated; got {entry!r}")


def owned_key(owner: str) -> str:
    """The owners' listing's partition key of ``owner``'s items: a digest, so that any
    principal, however long, is a key DynamoDB takes."""
    return _digest("owner", owner)


def owned_value_key(owner: str, kind: str, canonical: str) -> str:
    """The partition key of ``owner``'s items whose indexed attribute is the value
    (``kind`` S or N, ``canonical`` its text as an index compares it)."""
    return _digest("owner-value", owner, kind, canonical)


def _digest(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
