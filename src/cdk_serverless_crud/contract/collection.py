"""Collection and Index: the entity types a ServerlessCrudService serves.

Pure Python, no aws-cdk-lib: the props are checked here, when they are constructed, so a
mistake is a ``ValueError`` naming the prop before any construct exists. Each collection
is one path set of the API (``/orders``, ``/orders/{id}``, ``/orders/{id}/versions``),
one table, one function and one S3 prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cdk_serverless_crud.contract.access import Allow, Tenancy
from cdk_serverless_crud.contract.schema_check import (
    check_schema,
    property_sort_type,
    property_type,
)

#: DynamoDB's default quota of global secondary indexes per table.
MAX_TABLE_INDEXES = 20
#: The table's own listing index (``latest-items``) takes one of them.
MAX_INDEXES = MAX_TABLE_INDEXES - 1

_NAME = r"[a-z][a-z0-9-]{0,62}"
_ATTRIBUTE = r"[A-Za-z_][A-Za-z0-9_]{0,63}"
#: Each collection adds about 30 CloudFormation resources (table, function, role, log
#: group, API resources, methods and their Lambda permissions, alarms); CloudFormation
#: takes 500 per stack, and the service's shared parts need room too.
MAX_COLLECTIONS = 12
#: The index of each owner's live items, by id (partition key ``owned``, a digest of
#: the owner), for collections whose ``Allow.owner()`` rule reads.
OWNED_LIST_INDEX = "owned-items"
OWNED_LIST_KEY = "owned"
#: Query parameters the list route reads for itself; an index cannot take their names.
RESERVED_QUERY_PARAMETERS = frozenset({"limit", "cursor", "order"})
#: A sorted index's range conditions, ``<sort>.<operator>``: dots, because API Gateway
#: refuses brackets (``placed_at[gte]``) in a parameter name it keys its cache on.
SORT_OPERATORS = ("gt", "gte", "lt", "lte", "prefix")
#: ``Collection.listing_order``'s values.
LISTING_ORDERS = ("id", "created", "updated")
#: The head's sort key in the ordered listing: the time, then the item's key.
LISTING_SORT_KEY = "lx"

KeyType = Literal["S", "N"]
SortType = Literal["string", "date", "date-time", "number"]


@dataclass(frozen=True)
class Index:
    """Query a collection by one top-level attribute: ``GET /orders?status=shipped``.

    Backed by a sparse global secondary index on the items' latest versions, so a query
    reads one page, never the table. The attribute must be declared in the collection's
    schema with type ``string``, ``number`` or ``integer``.

    With ``sort``, the answers come in the order of that attribute, then of the id:
    ``Index("customer_id", sort="placed_at")`` answers
    ``GET /orders?customer_id=c1&order=desc&placed_at.gte=2026-03-01T00:00:00Z``.
    """

    attribute: str
    """The top-level property of the item data, such as ``"status"``."""

    sort: str | None = None
    """A top-level property to sort the answers by, declared in the schema as ``string``
    (plain, or with ``format`` ``date-time`` or ``date``), ``number`` or ``integer``.
    Queries then take ``order=asc|desc`` and the range conditions ``<sort>.gt``,
    ``.gte``, ``.lt``, ``.lte`` (at most one lower and one upper bound) and, for plain
    strings and dates, ``<sort>.prefix``. An item without the attribute is not in the
    index.

    :default: None, answers in id order
    """

    def __post_init__(self) -> None:
        if not isinstance(self.attribute, str) or not re.fullmatch(_ATTRIBUTE, self.attribute):
            raise ValueError(
                f"Index.attribute must match {_ATTRIBUTE} (a top-level property name that is "
                f"also a query parameter); got {self.attribute!r}."
            )
        if self.attribute in RESERVED_QUERY_PARAMETERS:
            raise ValueError(
                f"Index.attribute cannot be {self.attribute!r}: the list route reads that "
                "query parameter itself."
            )
        if self.sort is None:
            return
        if not isinstance(self.sort, str) or not re.fullmatch(_ATTRIBUTE, self.sort):
            raise ValueError(
                f"Index({self.attribute!r}).sort must match {_ATTRIBUTE} (a top-level "
                f"property name); got {self.sort!r}."
            )
        if self.sort == self.attribute:
            raise ValueError(
                f"Index({self.attribute!r}).sort cannot be the indexed attribute itself: "
                "every answer of a query has the same value of it."
            )

    @property
    def index_name(self) -> str:
        """The global secondary index's name, ``by-<attribute>``, or with ``sort``
        ``by-<attribute>.<sort>``."""
        return f"by-{self.attribute}{self._sorted_suffix}"

    @property
    def key_attribute(self) -> str:
        """The head record's attribute that holds the indexed value, ``ix_<attribute>``."""
        return f"ix_{self.attribute}"

    @property
    def sort_key_attribute(self) -> str | None:
        """With ``sort``, the head's attribute holding the index's sort key,
        ``sx_<attribute>``: the sort value in a form DynamoDB orders, then the id."""
        return None if self.sort is None else f"sx_{self.attribute}"

    @property
    def owned_index_name(self) -> str:
        """The index of each owner's items by the value, ``owned-by-<attribute>`` (with
        ``sort``, ``owned-by-<attribute>.<sort>``)."""
        return f"owned-by-{self.attribute}{self._sorted_suffix}"

    @property
    def owned_key_attribute(self) -> str:
        """The head's attribute keying that index: a digest of owner and value."""
        return f"ox_{self.attribute}"

    @property
    def _sorted_suffix(self) -> str:
        return "" if self.sort is None else f".{self.sort}"


@dataclass(frozen=True)
class Collection:
    """One entity type of the service, with an optional JSON Schema and indexes.

    ``Collection("orders", schema=ORDER_SCHEMA, indexes=[Index("status")])`` serves
    ``/orders``: every POST and PUT body is validated against ``schema`` (JSON Schema
    draft-07), and ``GET /orders?status=shipped`` lists the live orders with that status.
    ``Collection("items")`` is schemaless, the service's default.
    """

    name: str
    """The path segment and the S3 prefix, matching ``[a-z][a-z0-9-]{0,62}``."""

    schema: Mapping[str, Any] | None = None
    """A JSON Schema (draft-07) for the item data; its root must be ``"type": "object"``.

    :default: None, any JSON object
    """

    indexes: Sequence[Index] = field(default=())
    """Attributes to query by, at most 19 (DynamoDB's 20 indexes, less the listing one;
    with an ``Allow.owner()`` rule that reads, each index takes two and the owners'
    listing one more, so at most 9).

    :default: none
    """

    access: Sequence[Allow] | None = None
    """Who may do what: a request is allowed when any rule allows it (``Allow.owner()``,
    ``Allow.group(name)``, ``Allow.authenticated()``, each narrowed with ``.to(...)``).

    :default: None, every caller the API lets in may do what its grant allows
    """

    tenancy: Tenancy | None = None
    """Each item belongs to its creator's tenant (``Tenancy.claim("custom:org")``), and
    callers reach only their tenant's items; the ``access`` rules apply within it.

    :default: None, one space for every caller
    """

    listing_order: str = "id"
    """The order of ``GET /{collection}``: ``"id"``, or ``"created"`` / ``"updated"``, the
    time each item was created or last changed (then its id), from the sparse index
    ``latest-items.<order>``, so that ``?order=desc`` lists the newest first in one
    Query. An owner's own listing (``Allow.owner()``) stays in id order.

    :default: "id"
    """

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(_NAME, self.name):
            raise ValueError(
                f"Collection.name must match {_NAME} (it becomes a path segment and an S3 "
                f"prefix); got {self.name!r}."
            )
        prop = f"Collection({self.name!r}).schema"
        if self.schema is not None:
            object.__setattr__(self, "schema", check_schema(prop, self.schema))
        indexes = tuple(self.indexes)
        object.__setattr__(self, "indexes", indexes)
        for index in indexes:
            if not isinstance(index, Index):
                raise ValueError(
                    f"Collection({self.name!r}).indexes must hold Index objects; got {index!r}."
                )
        self._check_access()
        if self.listing_order not in LISTING_ORDERS:
            raise ValueError(
                f"Collection({self.name!r}).listing_order must be one of "
                f"{', '.join(map(repr, LISTING_ORDERS))}; got {self.listing_order!r}."
            )
        if len(self.table_indexes) > MAX_TABLE_INDEXES:
            owned = (
                ", and with an Allow.owner() rule that reads each takes a second for the "
                "owners' queries, plus one for the owners' listing"
                if self.owner_scoped
                else ""
            )
            limit = (MAX_TABLE_INDEXES - 2) // 2 if self.owner_scoped else MAX_INDEXES
            raise ValueError(
                f"Collection({self.name!r}).indexes has {len(indexes)} indexes; DynamoDB "
                f"allows {MAX_TABLE_INDEXES} per table, the listing index takes one{owned}, "
                f"so at most {limit}."
            )
        seen: set[str] = set()
        for index in indexes:
            if index.attribute in seen:
                raise ValueError(
                    f"Collection({self.name!r}).indexes names {index.attribute!r} twice."
                )
            seen.add(index.attribute)
            if self.key_type(index) is None:
                raise ValueError(
                    f"Collection({self.name!r}).indexes: Index({index.attribute!r}) needs the "
                    f"schema to declare the top-level property {index.attribute!r} with type "
                    '"string", "number" or "integer".'
                )
            if index.sort is not None and self.sort_type(index) is None:
                raise ValueError(
                    f"Collection({self.name!r}).indexes: Index({index.attribute!r}, "
                    f"sort={index.sort!r}) needs the schema to declare the top-level property "
                    f'{index.sort!r} with type "string" (plain, or with format "date-time" or '
                    '"date"), "number" or "integer".'
                )

    def _check_access(self) -> None:
        if self.tenancy is not None and not isinstance(self.tenancy, Tenancy):
            raise ValueError(
                f"Collection({self.name!r}).tenancy must be a Tenancy, such as "
                f"Tenancy.claim('custom:org'); got {self.tenancy!r}."
            )
        if self.access is None:
            return
        if isinstance(self.access, Allow | str) or not isinstance(self.access, Sequence):
            raise ValueError(
                f"Collection({self.name!r}).access must be a list of Allow rules; "
                f"got {self.access!r}."
            )
        rules = tuple(self.access)
        object.__setattr__(self, "access", rules)
        if not rules:
            raise ValueError(
                f"Collection({self.name!r}).access=[] allows no one anything; give at least "
                "one Allow rule, or None for the API's own grants alone."
            )
        for rule in rules:
            if not isinstance(rule, Allow):
                raise ValueError(
                    f"Collection({self.name!r}).access must hold Allow rules; got {rule!r}."
                )

    @property
    def owner_scoped(self) -> bool:
        """Whether an ``Allow.owner()`` rule reads: then lists and queries of a caller who
        may read only their own items are served by indexes of each owner's items."""
        return any(rule.kind == "owner" and rule.allows("read") for rule in self.access or ())

    @property
    def table_indexes(self) -> tuple[str, ...]:
        """The global secondary indexes of the collection's table, by name: the listing,
        each ``Index``'s, and with :attr:`owner_scoped` the owners' listing and queries."""
        names = ["latest-items", *(index.index_name for index in self.indexes)]
        if self.owner_scoped:
            names += [OWNED_LIST_INDEX, *(index.owned_index_name for index in self.indexes)]
        if self.listing_index_name is not None:
            names.append(self.listing_index_name)
        return tuple(names)

    @property
    def listing_index_name(self) -> str | None:
        """With a ``listing_order`` other than ``"id"``, the index of the live items in
        that order, ``latest-items.created`` or ``latest-items.updated``."""
        return None if self.listing_order == "id" else f"latest-items.{self.listing_order}"

    @property
    def construct_prefix(self) -> str:
        """The prefix of this collection's construct ids: none for ``items``.

        ``items`` is the collection of earlier versions, whose parts were ``Table`` and
        ``Function``; keeping those ids keeps their logical ids, so upgrading the library
        never replaces a table that holds data.
        """
        if self.name == "items":
            return ""
        return "".join(part.title() for part in self.name.split("-"))

    @property
    def object_prefix(self) -> str:
        """Where the collection's large bodies go in the shared bucket: ``<name>/``."""
        return f"{self.name}/"

    @property
    def unindexed_attributes(self) -> tuple[str, ...]:
        """The schema's other top-level properties that could be query parameters.

        The listing answers a query by one of them with 400 naming the indexed ones; each
        is a cache key of the listing, so that 400 is cached for that request alone.
        """
        if self.schema is None:
            return ()
        indexed = {index.attribute for index in self.indexes}
        return tuple(
            sorted(
                name
                for name in self.schema.get("properties", {})
                if re.fullmatch(_ATTRIBUTE, name)
                and name not in RESERVED_QUERY_PARAMETERS
                and name not in indexed
            )
        )

    @property
    def sort_parameters(self) -> tuple[str, ...]:
        """The range conditions of the sorted indexes' sort attributes, such as
        ``placed_at.gte``: query parameters and cache keys of the listing."""
        sorts = sorted({index.sort for index in self.indexes if index.sort is not None})
        return tuple(f"{sort}.{operator}" for sort in sorts for operator in SORT_OPERATORS)

    def sort_type(self, index: Index) -> SortType | None:
        """How ``index``'s sort attribute is ordered: ``string``, ``date``, ``date-time``
        or ``number``; None without ``sort`` or a schema that declares it so."""
        if self.schema is None or index.sort is None:
            return None
        return property_sort_type(self.schema, index.sort)

    def key_type(self, index: Index) -> KeyType | None:
        """The DynamoDB type of ``index``'s key: S for strings, N for numbers."""
        if self.schema is None:
            return None
        return property_type(self.schema, index.attribute)


def check_collections(prop: str, collections: Sequence[Collection]) -> tuple[Collection, ...]:
    """``collections`` as a tuple, at least one, each a Collection with its own name."""
    result = tuple(collections)
    if not result:
        raise ValueError(f"{prop} must hold at least one Collection.")
    if len(result) > MAX_COLLECTIONS:
        raise ValueError(
            f"{prop} holds {len(result)} collections; at most {MAX_COLLECTIONS} fit in one "
            "stack (about 30 CloudFormation resources each, 500 per stack). Split them "
            "across services in several stacks."
        )
    names: set[str] = set()
    for collection in result:
        if not isinstance(collection, Collection):
            raise ValueError(f"{prop} must hold Collection objects; got {collection!r}.")
        if collection.name in names:
            raise ValueError(f"{prop} uses the collection name {collection.name!r} twice.")
        names.add(collection.name)
    prefixes = [c.construct_prefix for c in result]
    for collection in result:
        if prefixes.count(collection.construct_prefix) > 1:
            raise ValueError(
                f"{prop}: the names of {collection.name!r} and another collection give the "
                f"same construct ids ({collection.construct_prefix or 'none'}); rename one."
            )
    return result
