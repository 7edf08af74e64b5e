"""What each route does, in terms of the repository."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from . import codec, cursors, documents, patches, schema, sort_keys
from .backfill import Readiness
from .config import Settings
from .errors import (
    Forbidden,
    InvalidParameter,
    NotFound,
    VersionDeleted,
)
from .http import (
    MAX_RESPONSE_BODY_BYTES,
    MERGE_PATCH,
    Request,
    Response,
    body_bytes,
    etag,
    if_match,
    if_none_match,
    response_size,
    text_response,
)
from .ids import check_id, new_id
from .indexes import MAX_KEY_BYTES, IndexQuery, index_query, listing_key, read_order
from .parameters import (
    ENVELOPE_BYTES,
    item_body,
    merged_body,
    page_limit,
    restore_timestamp,
    version_timestamp,
)
from .parameters import instant as as_of_instant
from .records import Record, Version
from .repository import ItemRepository, Page
from .spaces import KeySpace, space_of

#: The list route's own query parameters; any other must name an indexed attribute.
LIST_PARAMETERS = frozenset({"limit", "cursor", "order"})


class ItemService:
    """The item API of one collection: one public method per route, each a Response.

    The routes are ``/{collection}``, ``/{collection}/{id}`` and
    ``/{collection}/{id}/versions``; ``/items`` below stands for them.
    """

    def __init__(
        self, repository: ItemRepository, settings: Settings, readiness: Readiness
    ) -> None:
        """Serve the collection of ``settings``, stored by ``repository``; query an index
        only once ``readiness`` says its backfill is done."""
        self._repository = repository
        self._readiness = readiness
        self._collection = settings.collection
        self._indexes = settings.indexes
        self._attributes = settings.attributes
        self._access = settings.access
        self._tenancy = settings.tenancy
        self._owned_list_index = settings.owned_list_index
        self._listing_order = settings.listing_order
        self._sorted_listing_index = settings.sorted_listing_index

    def _scoped(self, request: Request) -> ItemRepository:
        """The repository in the request's tenant's key space (all of it, without
        tenancy): no key of another tenant can be read or written through it. A caller
        without a tenant can reach no item: 404, as for an item of another tenant."""
        try:
            space = space_of(self._tenancy, request.claims)
        except Forbidden:
            raise NotFound("no such item in your tenant") from None
        return self._repository.in_space(space)

    def _readable(self, request: Request, record: Record | None, item_id: str) -> Record:
        """``record`` if it exists and the caller may read its item; else 404, the same
        answer as for an item that never existed."""
        if record is None:
            raise NotFound(f"item {item_id} does not exist")
        self._access.check("read", request.principal, request.groups, record.owner, item_id)
        return record

    def _guard(self, request: Request, operation: str) -> Callable[[Record], None]:
        """The check of a write to an existing item: 404 if the caller may not read it,
        403 if it may read it but not do ``operation``."""

        def guard(head: Record) -> None:
            self._access.check(operation, request.principal, request.groups, head.owner, head.id)

        return guard

    def _check_create(self, request: Request) -> None:
        if not self._access.may_create(request.principal, request.groups):
            raise Forbidden(f"you may not create {self._collection}")

    def create_item(self, request: Request, params: dict[str, str]) -> Response:
        """POST /items: store the first version under a new id; 201."""
        self._check_create(request)
        space_of(self._tenancy, request.claims)  # 403 without a tenant to create in
        body = item_body(request)
        item_id = new_id()
        location = self._location(request, item_id)
        version = self._scoped(request).create(
            item_id, body, location, request.deadline, request.claim, writer=request.principal
        )
        return _item_response(201, version, {"Location": location})

    def _location(self, request: Request, item_id: str) -> str:
        location = f"/{self._collection}/{item_id}"
        return f"/{request.stage}{location}" if request.stage else location

    def get_item(self, request: Request, params: dict[str, str]) -> Response:
        """GET /items/{id}: the latest version; 404 if unknown or deleted.

        With ``?as_of=`` (epoch ms or RFC 3339), the version that was the latest at that
        instant instead: one Query; 404 if the item did not exist then or was deleted.
        """
        item_id = check_id(params.get("id"))
        as_of = request.query.get("as_of")
        if as_of is not None:
            record = self._scoped(request).version_as_of(item_id, as_of_instant(as_of))
            if record is None or record.deleted:
                raise NotFound(f"item {item_id} did not exist at {as_of}")
            self._readable(request, record, item_id)
            return _item_response(200, self._repository.load(record))
        head = self._scoped(request).latest(item_id)
        if head is None or head.deleted:
            raise NotFound(f"item {item_id} does not exist")
        self._readable(request, head, item_id)
        return _item_response(200, self._repository.load(head))

    def replace_item(self, request: Request, params: dict[str, str]) -> Response:
        """PUT /items/{id}: append a new version; 404 if unknown, 412 on If-Match.

        With ``If-None-Match: *``, create the item with this id instead: 201, or 412 if
        it is live; a deleted item comes back as a new version of its history.
        """
        item_id = check_id(params.get("id"))
        expected = if_match(request)
        only_if_absent = if_none_match(request)
        if only_if_absent and expected is not None:
            raise InvalidParameter("send If-Match or If-None-Match: *, not both")
        body = item_body(request)
        if only_if_absent:
            self._check_create(request)
            location = self._location(request, item_id)
            version = self._scoped(request).create(
                item_id,
                body,
                location,
                request.deadline,
                request.claim,
                made_up=False,
                writer=request.principal,
                guard=self._guard(request, "create"),
            )
            return _item_response(201, version, {"Location": location})
        version = self._scoped(request).update(
            item_id,
            body,
            expected,
            request.deadline,
            request.claim,
            writer=request.principal,
            guard=self._guard(request, "update"),
        )
        return _item_response(200, version)

    def patch_item(self, request: Request, params: dict[str, str]) -> Response:
        """PATCH /items/{id} (``application/merge-patch+json``): merge the body into the
        latest version (RFC 7396) and store the result, checked against the schema, as
        a new version; 200. 404 if unknown, 412 on If-Match, 415 for another type."""
        item_id = check_id(params.get("id"))
        expected = if_match(request)
        patch = patches.check_patch(documents.load(body_bytes(request, MERGE_PATCH)))
        documents.check_depth(patch)
        version = self._scoped(request).patch(
            item_id,
            lambda current: merged_body(current, patch),
            expected,
            request.deadline,
            request.claim,
            writer=request.principal,
            guard=self._guard(request, "update"),
        )
        return _item_response(200, version)

    def delete_item(self, request: Request, params: dict[str, str]) -> Response:
        """DELETE /items/{id}: append a tombstone; 204, or 404 if unknown/deleted."""
        item_id = check_id(params.get("id"))
        self._scoped(request).delete(
            item_id,
            if_match(request),
            request.deadline,
            request.claim,
            writer=request.principal,
            guard=self._guard(request, "delete"),
        )
        return Response(status=204)

    def get_version(self, request: Request, params: dict[str, str]) -> Response:
        """GET /items/{id}/versions/{timestamp}: that version, a tombstone as
        ``"deleted": true``; 404 if it is not one of the item's versions."""
        item_id = check_id(params.get("id"))
        timestamp = version_timestamp(params.get("timestamp"))
        record = self._scoped(request).version(item_id, timestamp)
        if record is None:
            raise NotFound(f"item {item_id} has no version {timestamp}")
        self._readable(request, record, item_id)
        return _item_response(200, self._repository.load(record))

    def restore_item(self, request: Request, params: dict[str, str]) -> Response:
        """POST /items/{id}/restore ``{"timestamp": T}``: a new version with version T's
        data; 200. It undeletes a deleted item. 404 for an unknown version, 409 if T is a
        tombstone, 412 on If-Match."""
        item_id = check_id(params.get("id"))
        expected = if_match(request)
        timestamp = restore_timestamp(request)
        record = self._scoped(request).version(item_id, timestamp)
        if record is None:
            raise NotFound(f"item {item_id} has no version {timestamp}")
        self._readable(request, record, item_id)
        if record.deleted:
            raise VersionDeleted(
                f"version {timestamp} of item {item_id} is a deletion; restore a version "
                "that has data"
            )
        restored = self._repository.load(record)
        assert restored.data_json is not None
        data = codec.loads(restored.data_json.encode("ascii"))
        assert isinstance(data, dict)
        # The schema may have changed since that version was written: what is written
        # now must match the schema of now.
        collection_schema = schema.load()
        if collection_schema is not None:
            collection_schema.check(data)
        version = self._scoped(request).restore(
            record,
            restored,
            data,
            expected,
            request.deadline,
            request.claim,
            writer=request.principal,
            guard=self._guard(request, "update"),
        )
        return _item_response(200, version)

    def list_items(self, request: Request, params: dict[str, str]) -> Response:
        """GET /items: a page of the latest live version of each item, by id.

        With an indexed attribute (``?status=shipped``), only the items whose latest
        version has that value; another of the schema's attributes is a 400, and
        parameters the route does not know are ignored (see ``indexes.index_query``).
        """
        query = index_query(
            self._indexes,
            {k: v for k, v in request.query.items() if k not in LIST_PARAMETERS},
            self._attributes,
        )
        limit = page_limit(request)
        cursor = request.query.get("cursor")
        scope = self._access.list_scope(request.principal, request.groups)
        if scope is None:
            raise Forbidden(f"you may read no items of {self._collection}")
        space = space_of(self._tenancy, request.claims)
        repository = self._repository.in_space(space)
        owned = scope == "owned" and request.principal is not None
        owner = space.owner_scope(request.principal or "") if owned else None
        descending = read_order(request.query)
        if query is None and owner is None and self._listing_order != "id":
            return self._ordered_listing(space, limit, cursor, descending)
        if query is None and owner is None and space.tenant is None:
            after = cursors.read_items_cursor(cursor, descending) if cursor is not None else None
            page = repository.list_latest(limit, after, descending)
            return self._page_response(
                "items", page, lambda r: cursors.items_cursor(r.id, descending)
            )
        if query is None:
            # A listing of one owner or one tenant, with cursors of its own: no other
            # owner's or tenant's cursor resumes it.
            binding = (
                cursors.owned_binding(owner) if owner is not None else f"tenant:{space.binding}"
            ) + (":desc" if descending else "")
            after = cursors.read_query_cursor(cursor, binding) if cursor is not None else None
            if owner is not None:
                assert self._owned_list_index is not None  # an owner rule reads
                self._readiness.check_index(self._owned_list_index, "owner")
                page = repository.list_owned(request.principal or "", limit, after, descending)
            else:
                page = repository.list_latest(limit, after, descending)
            return self._page_response(
                "items", page, lambda record: cursors.query_cursor(binding, record.id)
            )
        query = replace(query, owner=owner, prefix=space.index_prefix, descending=descending)
        if len((space.index_prefix + query.canonical).encode("utf-8")) > MAX_KEY_BYTES:
            raise InvalidParameter(f"{query.index.attribute} is too long to look up")
        binding = query.binding
        self._readiness.check(query.index, owned=owner is not None)
        if query.index.sort is None:
            after = cursors.read_query_cursor(cursor, binding) if cursor is not None else None
            page = repository.list_by_index(query, limit, after)
            return self._page_response(
                "items", page, lambda record: cursors.query_cursor(binding, record.id)
            )
        return self._sorted_page(query, space, limit, cursor)

    def _ordered_listing(
        self, space: KeySpace, limit: int, cursor: str | None, descending: bool
    ) -> Response:
        """A page of the listing in ``listing_order`` (created or updated), from its own
        index; its cursors carry the last item's ``lx`` and resume this listing only."""
        order = self._listing_order
        index = self._sorted_listing_index
        assert index is not None
        self._readiness.check_index(index, f"the listing by {order} time")
        binding = f"listing:{order}:{space.binding}:{'desc' if descending else 'asc'}"
        repository = self._repository.in_space(space)
        after = after_sort_key = None
        if cursor is not None:
            after, after_sort_key = cursors.read_sorted_query_cursor(cursor, binding)
            if not re.fullmatch(r"[0-9]{15}", after_sort_key.partition(sort_keys.SEPARATOR)[0]) or (
                not after_sort_key.endswith(sort_keys.SEPARATOR + space.key(after))
            ):
                raise InvalidParameter("cursor is not a cursor of this listing")
        page = repository.list_latest(limit, after, descending, after_sort_key)

        def ordered_cursor(record: Record) -> str:
            created_at = record.created_at
            if created_at is None:
                created_at = repository.created_at(record)
            key = space.key(record.id)
            position = listing_key(order, created_at, record.timestamp, key)
            return cursors.sorted_query_cursor(binding, record.id, position)

        return self._page_response("items", page, ordered_cursor)

    def _sorted_page(
        self, query: IndexQuery, space: KeySpace, limit: int, cursor: str | None
    ) -> Response:
        """A page of a sorted index's query, and its cursor: the last item's id and sort
        key, which must be that item's and within the query's bounds when it comes back
        (else DynamoDB would refuse the start key, or resume outside the answer)."""
        index, binding = query.index, query.binding
        assert index.sort is not None and index.sort_type is not None
        sort, sort_type = index.sort, index.sort_type
        after = after_sort_key = None
        if cursor is not None:
            after, after_sort_key = cursors.read_sorted_query_cursor(cursor, binding)
            if (
                len(after_sort_key.encode("utf-8")) > sort_keys.MAX_SORT_KEY_BYTES
                or not after_sort_key.endswith(sort_keys.SEPARATOR + space.key(after))
                or (query.interval is not None and not query.interval.holds(after_sort_key))
            ):
                raise InvalidParameter("cursor is not a cursor of this query")
        repository = self._repository.in_space(space)
        page = repository.list_by_index(query, limit, after, after_sort_key)

        def sorted_cursor(record: Record) -> str:
            text = self._repository.load(record).data_json
            assert text is not None  # a head in the index is live
            data = codec.loads(text.encode("utf-8"))
            assert isinstance(data, dict)  # and has the sort attribute
            position = sort_keys.key(sort_type, data[sort], space.key(record.id))
            return cursors.sorted_query_cursor(binding, record.id, position)

        return self._page_response("items", page, sorted_cursor)

    def list_versions(self, request: Request, params: dict[str, str]) -> Response:
        """GET /items/{id}/versions: a page of versions, newest first; 404 if unknown."""
        item_id = check_id(params.get("id"))
        limit = page_limit(request)
        cursor = request.query.get("cursor")
        space = space_of(self._tenancy, request.claims)
        repository = self._repository.in_space(space)
        # Bound to the item's key in its tenant's space: another tenant's is refused.
        bound = space.key(item_id)
        before = cursors.read_versions_cursor(cursor, bound) if cursor is not None else None
        page = repository.list_versions(item_id, limit, before)
        # Every item has a version, so an empty first page means it never existed;
        # only then is the extra read spent to tell that from a page past the end. Every
        # version carries the item's owner, so the newest one says who may read them.
        newest = page.records[0] if page.records else repository.latest(item_id)
        self._readable(request, newest, item_id)
        return self._page_response(
            "versions",
            page,
            lambda record: cursors.versions_cursor(bound, record.timestamp),
        )

    def _page_response(
        self, key: str, page: Page, cursor_after: Callable[[Record], str]
    ) -> Response:
        """The page as JSON, cut short if it would not fit in a Lambda response."""
        texts: list[str] = []
        used = ENVELOPE_BYTES
        next_cursor = None
        for index, record in enumerate(page.records):
            text = codec.readable(self._repository.load(record).to_json())
            used += response_size(text) + 1
            if texts and used > MAX_RESPONSE_BODY_BYTES:
                next_cursor = cursor_after(page.records[index - 1])
                break
            texts.append(text)
        else:
            if page.more and page.records:
                next_cursor = cursor_after(page.records[-1])
        # Items are pre-encoded JSON, so the envelope is assembled around them.
        body = f'{{"{key}":[{",".join(texts)}],"next_cursor":{codec.dumps(next_cursor)}}}'
        return text_response(200, body)


def _item_response(
    status: int, version: Version, headers: dict[str, str] | None = None
) -> Response:
    return text_response(
        status, version.to_json(), {"ETag": etag(version.timestamp), **(headers or {})}
    )
