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

from . import sort_keys
from .access import owned_key as owner_partition
from .access import owned_value_key
from .codec import Document
from .documents import MAX_DIGITS, number_problem
from .errors import Detail, InvalidBody, InvalidParameter
from .records import HEAD_ATTRIBUTES, AttributeValue, Item
from .sort_keys import SORT_TYPES, SortType
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
#: The head's sort key in the ordered listing (``LISTING_ORDER``): time, then key.
LISTING_SORT_KEY = "lx"


def listing_key(order: str, created_at: int, updated_at: int, stored_key: str) -> str:
    """The head's ``lx`` in a listing ordered by ``order`` (created or updated): the
    time in epoch milliseconds, 15 digits (until the year 33658), then the item's key,
    so that equal times keep key order."""
    ms = created_at if order == "created" else updated_at
    return f"{ms:015d}{sort_keys.SEPARATOR}{stored_key}"


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
    sort: str | None = None
    """A sorted index's sort attribute (a top-level property of the data)."""
    sort_type: SortType | None = None
    """How the sort attribute is ordered: string, date, date-time or number."""
    sort_key: str | None = None
    """The head's attribute holding the sort key, ``sx_<attribute>`` (sort_keys.py)."""


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
    descending: bool = False
    """``order=desc``: the greatest sort value (or id) first."""
    interval: sort_keys.Interval | None = None
    """A sorted index's range conditions, as sort keys; None: every item."""

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
        if self.descending or self.interval is not None:
            scope += f"\n{self.descending}\n{self.interval!r}"
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
_SORTED = {"sort", "sort_type", "sort_key"}


def _index(entry: object) -> Index:
    allowed = [_REQUIRED, _REQUIRED | {"owned_key"}, _REQUIRED | _OWNED]
    allowed += [names | _SORTED for names in allowed]
    if not isinstance(entry, dict) or set(entry) not in allowed:
        raise ValueError(
            "INDEXES entries have attribute, index, key and type, and may have owned_key, "
            "and owned_index with it, and sort, sort_type and sort_key together; "
            f"got {entry!r}"
        )
    named = ("attribute", "index", "key", *sorted((_OWNED | {"sort", "sort_key"}) & set(entry)))
    if not all(isinstance(entry[k], str) and entry[k] for k in named):
        raise ValueError(f"INDEXES: attribute, index and keys must be names; got {entry!r}")
    for key in (entry["key"], entry.get("owned_key"), entry.get("sort_key")):
        if key in HEAD_ATTRIBUTES:
            raise ValueError(f"INDEXES: key {key!r} is an attribute of the head record itself")
    kind = entry["type"]
    if kind not in ("S", "N"):
        raise ValueError(f"INDEXES: type must be S or N; got {kind!r}")
    sort_type = entry.get("sort_type")
    if "sort" in entry and sort_type not in SORT_TYPES:
        raise ValueError(f"INDEXES: sort_type must be one of {SORT_TYPES}; got {sort_type!r}")
    return Index(
        attribute=entry["attribute"],
        name=entry["index"],
        key=entry["key"],
        type=kind,
        owned_index=entry.get("owned_index"),
        owned_key=entry.get("owned_key"),
        sort=entry.get("sort"),
        sort_type=sort_type,
        sort_key=entry.get("sort_key"),
    )


def head_keys(
    indexes: tuple[Index, ...],
    data: Document,
    owner: str | None = None,
    prefix: str = "",
    stored_key: str = "",
) -> Item:
    """The index keys of a head whose latest version holds ``data``, and, for an item with
    an ``owner``, the keys of the owners' indexes (where the collection has them).

    An attribute that is absent or of another type (a bool is not a number) leaves the
    item out of that index, and so does a sort attribute that is absent or of another
    type: a sorted index is sparse in both. A string DynamoDB cannot take as a key is
    refused with a 400 rather than failing the write. With tenancy, ``prefix`` (the
    tenant's) starts every attribute index key, and ``owner`` is the owner within the
    tenant. ``stored_key`` (the item's partition key) ends each sort key.
    """
    keys: Item = {}
    refused: list[Detail] = []
    for index in indexes:
        _sort_key(index, data, stored_key, keys, refused)
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


def _sort_key(
    index: Index, data: Document, stored_key: str, keys: Item, refused: list[Detail]
) -> None:
    """Add ``index``'s sort key to ``keys``, if it is sorted and ``data`` has a value of
    its sort attribute's type; one longer than DynamoDB's sort keys is refused."""
    if index.sort is None or index.sort_key is None or index.sort_type is None:
        return
    if index.sort not in data:
        return
    try:
        key = sort_keys.key(index.sort_type, data[index.sort], stored_key)
    except sort_keys.NotSortable:
        return  # another type than the schema's (no schema checks it): not in the index
    if len(key.encode("utf-8")) > sort_keys.MAX_SORT_KEY_BYTES:
        refused.append(
            Detail.at(
                [index.sort],
                f"a sort attribute must be under {sort_keys.MAX_SORT_KEY_BYTES} bytes "
                "(UTF-8) with the id",
            )
        )
        return
    keys[index.sort_key] = {"S": key}


def item_keys(
    indexes: tuple[Index, ...],
    space: KeySpace,
    data: Document | None,
    owner: str | None,
    item_id: str,
) -> Item:
    """Every index key of the head of ``item_id`` in ``space`` whose latest version holds
    ``data`` (None: a tombstone, which has none): the attribute indexes' and the sorted
    ones' sort keys, and for an item with an ``owner`` the owners' indexes' and the
    owners' listing's."""
    if data is None:
        return {}
    scope = None if owner is None else space.owner_scope(owner)
    keys = head_keys(indexes, data, scope, space.index_prefix, space.key(item_id))
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


#: A sorted index's range conditions: ``<sort>.<operator>=<value>``.
SORT_OPERATORS = ("gt", "gte", "lt", "lte", "prefix")
ORDERS = ("asc", "desc")


def sort_parameters(indexes: tuple[Index, ...]) -> tuple[str, ...]:
    """The range condition parameters of ``indexes``' sort attributes, such as
    ``placed_at.gte``: each a cache key of the list route."""
    sorts = sorted({index.sort for index in indexes if index.sort is not None})
    return tuple(f"{sort}.{operator}" for sort in sorts for operator in SORT_OPERATORS)


def index_query(
    indexes: tuple[Index, ...],
    parameters: Mapping[str, str],
    attributes: frozenset[str] = frozenset(),
) -> IndexQuery | None:
    """The query that the list route's other ``parameters`` ask for; None: list them all.

    A parameter naming one of the schema's ``attributes`` that is not indexed is a 400,
    and at most one indexed attribute may be given: the answer would otherwise silently
    ignore what the client asked for. So is a range condition of a sort attribute
    (``placed_at.gte``) without a query of an index sorted by it, two lower or two upper
    bounds, ``prefix`` with another condition or of a sort attribute that is not a plain
    string or a date, and a bound that is not of the sort attribute's type. All these
    names are cache keys of the route, so such a 400 is cached for that request only.
    Any other parameter (``_=123``, ``utm_source``) is ignored, as API Gateway's cache
    ignores it: answering it with a 400 would put that 400 in the cache entry of the
    plain listing. ``order`` is read apart (:func:`read_order`).
    """
    by_attribute = {index.attribute: index for index in indexes}
    declared_conditions = set(sort_parameters(indexes))
    for name in sorted(parameters):
        if name in attributes and name not in by_attribute:
            raise InvalidParameter(
                f"{_shown(name)} is not an indexed attribute; {_choices(indexes)}"
            )
    conditions = {name: value for name, value in parameters.items() if name in declared_conditions}
    parameters = {name: value for name, value in parameters.items() if name in by_attribute}
    if len(parameters) > 1:
        raise InvalidParameter("query by one indexed attribute at a time")
    if not parameters:
        if conditions:
            name = min(conditions)
            raise InvalidParameter(
                f"{name} needs a query by an index sorted by {name.partition('.')[0]}; "
                f"{_sorted_choices(indexes, name)}"
            )
        return None
    ((attribute, text),) = parameters.items()
    index = by_attribute[attribute]
    interval = _interval(index, conditions, indexes)
    return IndexQuery(index=index, value=_key_value(index, text), interval=interval)


def read_order(parameters: Mapping[str, str]) -> bool:
    """Whether ``order`` asks for the greatest first (``desc``); 400 unless asc or desc."""
    order = parameters.get("order", "asc")
    if order not in ORDERS:
        raise InvalidParameter("order must be asc or desc")
    return order == "desc"


def _interval(
    index: Index, conditions: Mapping[str, str], indexes: tuple[Index, ...]
) -> sort_keys.Interval | None:
    if not conditions:
        return None
    for name in sorted(conditions):
        if index.sort is None or name.partition(".")[0] != index.sort:
            raise InvalidParameter(
                f"{name} needs a query by an index sorted by {name.partition('.')[0]}; "
                f"{_sorted_choices(indexes, name)}"
            )
    assert index.sort_type is not None
    operators = {name.partition(".")[2]: value for name, value in conditions.items()}
    for pair in (("gt", "gte"), ("lt", "lte")):
        if all(operator in operators for operator in pair):
            raise InvalidParameter(
                f"{index.sort}.{pair[0]} and {index.sort}.{pair[1]} are both bounds on the "
                "same side; give one"
            )
    if "prefix" in operators:
        if len(operators) > 1:
            raise InvalidParameter(f"{index.sort}.prefix cannot be combined with another bound")
        if index.sort_type not in ("string", "date"):
            raise InvalidParameter(
                f"{index.sort}.prefix needs a string sort attribute; {index.sort} is a "
                f"{index.sort_type}: use {index.sort}.gte and {index.sort}.lt"
            )
    values: dict[str, object] = {}
    for operator, text in operators.items():
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidParameter(f"{index.sort}.{operator} must be valid Unicode") from None
        if size > sort_keys.MAX_SORT_KEY_BYTES // 2:
            raise InvalidParameter(
                f"{index.sort}.{operator} must be at most {sort_keys.MAX_SORT_KEY_BYTES // 2} "
                "bytes (UTF-8) long"
            )
        if operator == "prefix" or index.sort_type != "number":
            values[operator] = text
            continue
        if not _JSON_NUMBER.fullmatch(text):
            raise InvalidParameter(
                f"{index.sort}.{operator} must be a JSON number, such as 12 or -1.5"
            )
        values[operator] = Decimal(text)
    try:
        for operator, value in values.items():
            if operator != "prefix":
                sort_keys.encode(index.sort_type, value)
    except sort_keys.NotSortable as error:
        raise InvalidParameter(f"{index.sort}.{operator} {error}") from None
    return sort_keys.bounds(index.sort_type, values)


def _sorted_choices(indexes: tuple[Index, ...], name: str) -> str:
    sort = name.partition(".")[0]
    return "query by one of: " + ", ".join(
        sorted(index.attribute for index in indexes if index.sort == sort)
    )


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
