"""Who may do what to a collection's items: ``Allow`` rules and ``Tenancy``.

Pure Python, as the rest of the contract: the props are checked when they are made,
so a mistake is a ``ValueError`` naming the prop. The function enforces them
(``runtime/item_service/access.py``) from the identity API Gateway verified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

OPERATIONS = ("read", "create", "update", "delete")
"""What a rule can allow: ``read`` (GET an item, lists, queries, versions, one version,
``as_of``), ``create`` (POST, PUT with ``If-None-Match: *``), ``update`` (PUT, PATCH,
restore) and ``delete``."""

Kind = Literal["owner", "group", "authenticated"]

# A claim's name: Cognito's standard claims and custom:<attribute>, or a context key.
_CLAIM = re.compile(r"[A-Za-z0-9_:.-]{1,128}")
# Cognito group names: 1 to 128 characters, no whitespace (and, here, no comma, which
# separates groups in the claim API Gateway passes).
_GROUP = re.compile(r"[^\s,]{1,128}")


@dataclass(frozen=True)
class Allow:
    """One access rule of a collection; a request is allowed when any rule allows it.

    ``Allow.owner()``, ``Allow.group("support")`` and ``Allow.authenticated()``, each
    narrowed with ``.to("read", ...)`` to some of :data:`OPERATIONS`.
    """

    kind: Kind
    """``owner``: the caller who created the item; ``group``: members of ``group_name``;
    ``authenticated``: any caller API Gateway verified."""

    group_name: str | None = None
    """The group, for ``kind="group"``: Cognito's ``cognito:groups`` claim, or a custom
    authorizer's ``groups`` context value (comma-separated)."""

    operations: tuple[str, ...] = OPERATIONS
    """What the rule allows.

    :default: all four
    """

    def __post_init__(self) -> None:
        if self.kind not in ("owner", "group", "authenticated"):
            raise ValueError(
                f"Allow.kind must be owner, group or authenticated; got {self.kind!r}."
            )
        if self.kind == "group":
            if not isinstance(self.group_name, str) or not _GROUP.fullmatch(self.group_name):
                raise ValueError(
                    "Allow.group(name) needs a group name of 1 to 128 characters without "
                    f"whitespace or commas; got {self.group_name!r}."
                )
        elif self.group_name is not None:
            raise ValueError(f"Allow.{self.kind}() takes no group; got {self.group_name!r}.")
        operations = tuple(self.operations)
        object.__setattr__(self, "operations", operations)
        if not operations:
            raise ValueError(f"{self!r}.to() needs at least one of {', '.join(OPERATIONS)}.")
        for operation in operations:
            if operation not in OPERATIONS:
                raise ValueError(
                    f"{self._spelled()}.to() takes {', '.join(OPERATIONS)}; got {operation!r}."
                )

    @classmethod
    def owner(cls) -> Allow:
        """The caller who created the item, recorded as its ``owner``."""
        return cls("owner")

    @classmethod
    def group(cls, name: str) -> Allow:
        """Members of the group ``name``."""
        return cls("group", name)

    @classmethod
    def authenticated(cls) -> Allow:
        """Any caller API Gateway verified."""
        return cls("authenticated")

    def to(self, *operations: str) -> Allow:
        """This rule, allowing only ``operations`` (some of :data:`OPERATIONS`)."""
        return Allow(self.kind, self.group_name, tuple(operations))

    def allows(self, operation: str) -> bool:
        """Whether the rule covers ``operation``, for the callers it matches."""
        return operation in self.operations

    def _spelled(self) -> str:
        if self.kind == "group":
            return f"Allow.group({self.group_name!r})"
        return f"Allow.{self.kind}()"


@dataclass(frozen=True)
class Tenancy:
    """Each item belongs to the tenant that a claim of its creator names; callers reach
    only their own tenant's items, whatever the rules say, because every key a request
    reads or writes is derived from the tenant.

    ``Tenancy.claim("custom:org")``: the claim of a Cognito token, or the context value of
    a custom authorizer, of that name.
    """

    claim_name: str
    """The claim (or authorizer context key) that names the caller's tenant."""

    def __post_init__(self) -> None:
        if not isinstance(self.claim_name, str) or not _CLAIM.fullmatch(self.claim_name):
            raise ValueError(
                "Tenancy.claim(name) needs a claim name of 1 to 128 letters, digits and "
                f"_:.- (such as custom:org); got {self.claim_name!r}."
            )

    @classmethod
    def claim(cls, name: str) -> Tenancy:
        """Tenants named by the caller's claim ``name``."""
        return cls(name)


#: Authorization modes whose callers API Gateway names (``AuthorizationMode``'s values).
_NAMING_MODES = ("AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM")
#: Modes whose callers can be in groups: Cognito's ``cognito:groups``, a custom
#: authorizer's ``groups`` context value.
_GROUP_MODES = ("COGNITO_USER_POOLS", "CUSTOM")


def check_tenancy(collection: str, tenancy: Tenancy, mode: str) -> None:
    """Refuse ``tenancy`` under a ``mode`` whose callers carry no claims."""
    if mode not in _GROUP_MODES:
        raise ValueError(
            f"Collection({collection!r}).tenancy needs callers with claims (Authorization."
            f"cognito(), or a custom authorizer's context); with {mode} there is no "
            f"{tenancy.claim_name!r} claim to read."
        )


def check_access(collection: str, access: Sequence[Allow], mode: str) -> None:
    """Refuse ``access`` rules the authorization ``mode`` cannot enforce, naming the prop."""
    prop = f"Collection({collection!r}).access"
    if mode not in _NAMING_MODES:
        raise ValueError(
            f"{prop} needs an authorization that names each caller (Authorization.iam(), "
            f".cognito(), or a custom mode whose authorizer sets a principalId); with {mode} "
            "there is no identity to check."
        )
    if mode not in _GROUP_MODES:
        for rule in access:
            if rule.kind == "group":
                raise ValueError(
                    f"{prop}: {rule._spelled()} needs groups, which {mode} callers do not "
                    "have; use Authorization.cognito() or a custom authorizer, or "
                    "Allow.authenticated()."
                )
