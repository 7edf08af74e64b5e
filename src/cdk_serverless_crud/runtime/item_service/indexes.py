"""Indexed attributes: the keys a head record carries, and queries by one of them.

Each index (``INDEXES``, set by the construct) names a top-level attribute of the item
data, the global secondary index that serves it, the head record's attribute that holds
the value (the index's partition key; its sort key is ``id``) and that key's type.
Only heads of live items carry the keys, and they are written in the same transaction
as the version, so an index lists each live item once, under its latest value: an
update that changes the value moves the item, a deletion takes it out, and a query
reads the matching items and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Literal, TypeAlias

from .access import owned_key as owner_partition
from .access import owned_value_key
from .codec import Document
from .documents import MAX_DIGITS, number_problem
from .errors import Detail, InvalidBody, InvalidParameter
from .records import HEAD_ATTRIBUTES, AttributeValue, Item
from .spaces import KeySpace

KeyType: TypeAlias = Literal["S", "N"]

#: DynamoDB refuses a longer (or an empty) string as a secondary index's partition key.
MAX_KEY_BYTES = 2048
# JSON's number grammar: what an N index's query parameter must look like.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_EXACT = Context(prec=MAX_DIGITS)
# Parameter names are echoed in messages; a long one is cut.
_SHOWN_NAME_CHARS = 64

#: The head's key in the owners' listing (``OWNED_LIST_INDEX``): a digest of the owner.
OWNED_LIST_KEY = "owned"


@dataclass(frozen=True)
class Index:
    """One queryable attribute, as the construct declares it in ``INDEXES``."""

    attribute: str
    """The top-level property of the item data, and the list route's query parameter."""
    name: str
    """The global secondary index, ``by-<attribute>``."""
    key: str
    """The head record's attribute holding the value, ``ix_<attribute>``."""
    type: KeyType
    """S: the index takes string values; N: numbers."""
    owned_index: str | None = None
    """With an ``Allow.owner()`` rule that reads: the index of each owner's items by the
    value, ``owned-by-<attribute>``."""
    owned_key: str | None = None
    """The owners' index's partition key on the head, ``ox_<attribute>``: a digest of
    owner and value, written on every head with an owner whether the index exists yet
    or not, so that creating it finds the items already there."""


@dataclass(frozen=True)
class IndexQuery:
    """``GET /{collection}?<attribute>=<value>``: the index and the value to look up."""

    index: Index
    value: AttributeValue
    """The partition key value, ``{"S": ...}`` or ``{"N": ...}``."""
    owner: str | None = None
    """Only this owner's items, from the owners' index (``Index.owned_index``)."""
    prefix: str = ""
    """The tenant's prefix of the index's keys (``KeySpace.index_prefix``); none without
    tenancy."""

    @property
    def stored_value(self) -> AttributeValue:
        """The index's partition key as stored: the value, or with tenancy the tenant's
        prefix and the value as a string (numbers as the index compares them)."""
        if not self.prefix:
            return self.value
        return {"S": self.prefix + self.canonical}

    @property
    def canonical(self) -> str:
        """The value as the index compares it: numbers normalized (12.5 is 12.50)."""
        ((kind, text),) = self.value.items()
        return _canonical_number(Decimal(text)) if kind == "N" else str(text)

    @property
    def owned_value(self) -> AttributeValue:
        """The owners' index's partition key of this query (``owner`` must be set)."""
        assert self.owner is not None
        ((kind, _),) = self.value.items()
        return {"S": owned_value_key(self.owner, kind, self.canonical)}

    @property
    def binding(self) -> str:
        """What a cursor of this query carries, so it resumes no other query.

        A digest rather than the value itself keeps cursors short whatever the value's
        length; numbers are compared as DynamoDB does (12.5 and 12.50 are one query).
        """
        ((kind, _),) = self.value.items()
        owner = "" if self.owner is None else owner_partition(self.owner)
        scope = f"{kind}:{self.canonical}\n{owner}\n{self.prefix}"
        digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
        return f"{self.index.attribute}:{digest}"


def parse_indexes(text: str) -> tuple[Index, ...]:
    """``INDEXES``: a JSON list of ``{"attribute", "index", "key", "type"}``, with
    ``owned_index`` and ``owned_key`` for the owners' indexes; empty: none.

    Raises ValueError on anything else: a misconfigured function must not write keys
    that the table's indexes do not expect, or overwrite the head's own attributes.
    """
    if not text.strip():
        return ()
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("INDEXES must be a JSON list")
    indexes = tuple(_index(entry) for entry in entries)
    attributes = [index.attribute for index in indexes]
    keys = [index.key for index in indexes]
    if len(set(attributes)) != len(attributes) or len(set(keys)) != len(keys):
        raise ValueError("INDEXES names an attribute or a key twice")
    return indexes


_REQUIRED = {"attribute", "index", "key", "type"}
_OWNED = {"owned_index", "owned_key"}


def _index(entry: object) -> Index:
    allowed = (_REQUIRED, _REQUIRED | {"owned_key"}, _REQUIRED | _OWNED)
    if not isinstance(entry, dict) or set(entry) not in allowed:
        raise ValueError(
            "INDEXES entries have attribute, index, key and type, and may have owned_key, "
            f"and owned_index with it; got {entry!r}"
        )
    names = [entry[k] for k in ("attribute", "index", "key", *sorted(_OWNED & set(entry)))]
    if not all(isinstance(value, str) and value for value in names):
        raise ValueError(f"INDEXES: attribute, index and keys must be names; got {entry!r}")
    for key in (entry["key"], entry.get("owned_key")):
        if key in HEAD_ATTRIBUTES:
            raise ValueError(f"INDEXES: key {key!r} is an attribute of the head record itself")
    kind = entry["type"]
    if kind not in ("S", "N"):
        raise ValueError(f"INDEXES: type must be S or N; got {kind!r}")
    return Index(
        attribute=entry["attribute"],
        name=entry["index"],
        key=entry["key"],
        type=kind,
        owned_index=entry.get("owned_index"),
        owned_key=entry.get("owned_key"),
    )


def head_keys(
    indexes: tuple[Index, ...], data: Document, owner: str | None = None, prefix: str = ""
) -> Item:
    """The index keys of a head whose latest version holds ``data``, and, for an item with
    an ``owner``, the keys of the owners' indexes (where the collection has them).

    An attribute that is absent or of another type (a bool is not a number) leaves the
    item out of that index. A string DynamoDB cannot take as a key is refused with a
    400 rather than failing the write. With tenancy, ``prefix`` (the tenant's) starts
    every attribute index key, and ``owner`` is the owner within the tenant.
    """
    keys: Item = {}
    refused: list[Detail] = []
    for index in indexes:
        value = data.get(index.attribute)
        if index.type == "S" and isinstance(value, str):
            # parse_body has refused lone surrogates, so the value encodes.
            if 1 <= len((prefix + value).encode("utf-8")) <= MAX_KEY_BYTES and value:
                keys[index.key] = {"S": value}
            else:
                refused.append(
                    Detail.at(
                        [index.attribute],
                        f"an indexed attribute must be 1 to {MAX_KEY_BYTES} bytes (UTF-8)",
                    )
                )
        elif index.type == "N" and isinstance(value, Decimal):
            keys[index.key] = {"N": str(value)}
        if index.key in keys:
            query = IndexQuery(index, keys[index.key], owner, prefix)
            if index.owned_key is not None and owner is not None:
                keys[index.owned_key] = query.owned_value
            keys[index.key] = query.stored_value
    if refused:
        raise InvalidBody("the body has a value that cannot be indexed", refused)
    return keys


def item_keys(
    indexes: tuple[Index, ...], space: KeySpace, data: Document | None, owner: str | None
) -> Item:
    """Every index key of a head in ``space`` whose latest version holds ``data`` (None:
    a tombstone, which has none): the attribute indexes', and for an item with an
    ``owner`` the owners' indexes' and the owners' listing's."""
    if data is None:
        return {}
    scope = None if owner is None else space.owner_scope(owner)
    keys = head_keys(indexes, data, scope, space.index_prefix)
    if scope is not None:
        # Always, not only with an owner rule: creating the owners' listing later then
        # finds the items already there.
        keys[OWNED_LIST_KEY] = {"S": owner_partition(scope)}
    return keys


def parse_attributes(text: str) -> frozenset[str]:
    """``ATTRIBUTES``: a JSON list of the schema's unindexed top-level properties."""
    if not text.strip():
        return frozenset()
    names = json.loads(text)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError("ATTRIBUTES must be a JSON list of attribute names")
    return frozenset(names)


def index_query(
    indexes: tuple[Index, ...],
    parameters: Mapping[str, str],
    attributes: frozenset[str] = frozenset(),
) -> IndexQuery | None:
    """The query that the list route's other ``parameters`` ask for; None: list them all.

    A parameter naming one of the schema's ``attributes`` that is not indexed is a 400,
    and at most one indexed attribute may be given: the answer would otherwise silently
    ignore what the client asked for. Both kinds of name are cache keys of the route, so
    such a 400 is cached for that request only. Any other parameter (``_=123``,
    ``utm_source``) is ignored, as API Gateway's cache ignores it: answering it with a
    400 would put that 400 in the cache entry of the plain listing.
    """
    by_attribute = {index.attribute: index for index in indexes}
    for name in sorted(parameters):
        if name in attributes and name not in by_attribute:
            raise InvalidParameter(
                f"{_shown(name)} is not an indexed attribute; {_choices(indexes)}"
            )
    parameters = {name: value for name, value in parameters.items() if name in by_attribute}
    if len(parameters) > 1:
        raise InvalidParameter("query by one indexed attribute at a time")
    if not parameters:
        return None
    ((attribute, text),) = parameters.items()
    index = by_attribute[attribute]
    return IndexQuery(index=index, value=_key_value(index, text))


def _key_value(index: Index, text: str) -> AttributeValue:
    """The parameter as the index's key value; 400 for what DynamoDB could not look up."""
    if index.type == "S":
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidParameter(f"{index.attribute} must be valid Unicode") from None
        if not 1 <= size <= MAX_KEY_BYTES:
            raise InvalidParameter(
                f"{index.attribute} must be 1 to {MAX_KEY_BYTES} bytes (UTF-8) long"
            )
        return {"S": text}
    if not _JSON_NUMBER.fullmatch(text):
        raise InvalidParameter(f"{index.attribute} must be a JSON number, such as 12 or -1.5")
    number = Decimal(text)
    problem = number_problem(number)
    if problem is not None:
        raise InvalidParameter(f"{index.attribute}: {problem}")
    return {"N": str(number)}


def _canonical_number(number: Decimal) -> str:
    # Exact: the number has at most MAX_DIGITS significant digits (number_problem).
    return "0" if number.is_zero() else str(number.normalize(_EXACT))


def _choices(indexes: tuple[Index, ...]) -> str:
    if not indexes:
        return "this collection has no indexes"
    return "query by one of: " + ", ".join(sorted(index.attribute for index in indexes))


def _shown(name: str) -> str:
    if len(name) <= _SHOWN_NAME_CHARS:
        return name
    return name[: _SHOWN_NAME_CHARS - 3] + "..."
