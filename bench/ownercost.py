"""Read cost with access rules: what one caller's page costs when 100 owners share a
collection, and 10 tenants a table.

The notes example (``examples/notes``) under moto, with its Cognito identities:

- ``notes``, ``access=[Allow.owner(), Allow.group("support").to("read")]``: an owner's
  list page, an owner's GET, another owner's GET (the 404 that hides the note), and a
  support member's list page over everyone's notes;
- ``projects``, ``tenancy=Tenancy.claim("custom:org")``, ``access=[Allow.owner(),
  Allow.group("admins")]``, ``indexes=[Index("status")]``: a member's and an admin's
  list page and ``?status=open`` page within one organization.

Each must read exactly what it returns, in one call: pages come from keys that hold only
the caller's items (the owners' listing and indexes, the tenant's partitions), never
from reading a wider page and filtering it. Counted as readcost.py counts, from
DynamoDB's answers (ScannedCount, the item a GetItem returns).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_serverless_crud.local.context import LambdaContext
from cdk_serverless_crud.local.reads import ReadCounter
from cdk_serverless_crud.local.seeding import OwnedItem, seed_owned_items
from cdk_serverless_crud.local.template import FunctionSpec, load_api

from .capacity import CapacityMeter, Units
from .common import api_event
from .latency import warm_runtime
from .readcost import PAGE, Reads

OWNERS = 100
TENANTS = 10
PROBE_OWNER = "user-000"
PROBE_TENANT = "org-0"
#: A project's status: ``open`` for projects 0-99, 200-299, ..., else ``closed``; the
#: queries ask for ``open``.
STATUSES = ("open", "closed")


@dataclass
class OwnerCell:
    """``items`` notes over ``OWNERS`` owners, and what each request read."""

    items: int
    owned: int
    """The probe owner's notes."""
    records: int
    owner_page: Reads
    owner_get: Reads
    other_get: Reads
    support_page: Reads
    capacity: dict[str, Units]
    """What each of the probe owner's requests cost DynamoDB (capacity.py's units), by
    route: reads as above, and writes of a version and a head that carries the owner
    and the owners' listing's key."""

    def expected(self) -> dict[str, tuple[int, int, list[str]]]:
        """(items read, items returned, calls) if each reads exactly what it answers."""
        owned, everyone = min(PAGE, self.owned), min(PAGE, self.items)
        return {
            "owner_page": (owned, owned, ["Query"]),
            "owner_get": (1, 1, ["GetItem"]),
            "other_get": (1, 0, ["GetItem"]),
            "support_page": (everyone, everyone, ["Query"]),
        }

    @property
    def flat(self) -> bool:
        return _flat(self, self.expected())


@dataclass
class TenantCell:
    """``items`` projects over ``TENANTS`` organizations of ``OWNERS`` users."""

    items: int
    in_tenant: int
    open_in_tenant: int
    owned: int
    owned_open: int
    records: int
    member_page: Reads
    admin_page: Reads
    member_query: Reads
    admin_query: Reads

    def expected(self) -> dict[str, tuple[int, int, list[str]]]:
        pages = {
            "member_page": self.owned,
            "admin_page": self.in_tenant,
            "member_query": self.owned_open,
            "admin_query": self.open_in_tenant,
        }
        return {name: (min(PAGE, n), min(PAGE, n), ["Query"]) for name, n in pages.items()}

    @property
    def flat(self) -> bool:
        return _flat(self, self.expected())


def _flat(cell: Any, expected: dict[str, tuple[int, int, list[str]]]) -> bool:
    for name, (read, returned, calls) in expected.items():
        reads: Reads = getattr(cell, name)
        if (reads.items_read, reads.items_returned, reads.calls) != (read, returned, calls):
            return False
    return True


@dataclass
class OwnerCostResult:
    owner_cells: list[OwnerCell] = field(default_factory=list)
    tenant_cells: list[TenantCell] = field(default_factory=list)

    @property
    def flat(self) -> bool:
        return all(cell.flat for cell in [*self.owner_cells, *self.tenant_cells])

    def to_json(self) -> dict[str, Any]:
        def cell_json(cell: OwnerCell | TenantCell) -> dict[str, Any]:
            return {
                key: vars(value)
                if isinstance(value, Reads)
                else {name: vars(units) for name, units in value.items()}
                if isinstance(value, dict)
                else value
                for key, value in vars(cell).items()
            } | {"flat": cell.flat}

        return {
            "flat": self.flat,
            "owners": OWNERS,
            "tenants": TENANTS,
            "owner_cells": [cell_json(cell) for cell in self.owner_cells],
            "tenant_cells": [cell_json(cell) for cell in self.tenant_cells],
        }


def measure_owner_cost(sizes: list[int], *, assembly: Path) -> OwnerCostResult:
    """For each count of ``sizes`` (at least 2), that many notes and as many projects,
    each size in a fresh moto; item ``n`` belongs to user ``n % OWNERS``, in organization
    ``user % TENANTS``; projects' statuses are as ``STATUSES`` says."""
    api = load_api(assembly)
    by_collection = {f.environment["COLLECTION"]: f for f in api.functions}
    result = OwnerCostResult()
    for items in sizes:
        result.owner_cells.append(_owner_cell(api, by_collection["notes"], items))
        result.tenant_cells.append(_tenant_cell(api, by_collection["projects"], items))
    return result


def _user(n: int) -> str:
    return f"user-{n % OWNERS:03d}"


def _org(user: str) -> str:
    return f"org-{int(user[-3:]) % TENANTS}"


def _claims(user: str, groups: str = "") -> dict[str, str]:
    claims = {"sub": user, "custom:org": _org(user)}
    return claims | ({"cognito:groups": groups} if groups else {})


def _owner_cell(api: Any, function: FunctionSpec, items: int) -> OwnerCell:
    notes = [OwnedItem(f"note-{n:05d}", _user(n), {"title": f"note {n}"}) for n in range(items)]
    owned = [note for note in notes if note.owner == PROBE_OWNER]
    other = next(note for note in notes if note.owner != PROBE_OWNER)  # items > 1
    mine, probe = f"/notes/{owned[0].id}", _claims(PROBE_OWNER)
    capacity: dict[str, Units] = {}
    with _seeded(api, function, notes) as (records, call, units):
        # A warm container: its first listing of an owner's items also reads the owners'
        # index's record (backfill.Readiness), once for the container's life.
        call("GET", "/notes", probe, "items")
        owner_page = call("GET", "/notes", probe, "items")
        capacity["GET /notes, the owner's page"] = units()
        owner_get = call("GET", mine, probe, None)
        capacity["GET /notes/{id}"] = units()
        other_get = call("GET", f"/notes/{other.id}", probe, None, status=404)
        capacity["GET /notes/{id}, another's (404)"] = units()
        support_page = call("GET", "/notes", _claims("user-999", "support"), "items")
        capacity["GET /notes, support's page"] = units()
        for method, path, body, status in [
            ("POST", "/notes", {"title": "new"}, 201),
            ("PUT", mine, {"title": "changed"}, 200),
            ("DELETE", mine, None, 204),
        ]:
            call(method, path, probe, None, body=body, status=status)
            capacity[f"{method} {'/notes' if method == 'POST' else '/notes/{id}'}"] = units()
    return OwnerCell(
        items, len(owned), records, owner_page, owner_get, other_get, support_page, capacity
    )


def _tenant_cell(api: Any, function: FunctionSpec, items: int) -> TenantCell:
    projects = [
        OwnedItem(
            f"project-{n:05d}",
            _user(n),
            {"name": f"project {n}", "status": STATUSES[n // OWNERS % 2]},
            tenant=_org(_user(n)),
        )
        for n in range(items)
    ]
    in_tenant = [p for p in projects if p.tenant == PROBE_TENANT]
    owned = [p for p in in_tenant if p.owner == PROBE_OWNER]
    admin = f"user-{TENANTS:03d}"  # another user of org-0
    with _seeded(api, function, projects) as (records, call, _):
        call("GET", "/projects", _claims(PROBE_OWNER), "items")  # warm, as above
        member_page = call("GET", "/projects", _claims(PROBE_OWNER), "items")
        admin_page = call("GET", "/projects", _claims(admin, "admins"), "items")
        query = {"status": "open"}
        # A warm container: its first query of an index also reads the index's backfill
        # record, once for the container's life (one GetItem).
        call("GET", "/projects", _claims(PROBE_OWNER), "items", query)
        member_query = call("GET", "/projects", _claims(PROBE_OWNER), "items", query)
        admin_query = call("GET", "/projects", _claims(admin, "admins"), "items", query)
    return TenantCell(
        items=items,
        in_tenant=len(in_tenant),
        open_in_tenant=sum(1 for p in in_tenant if p.data["status"] == "open"),
        owned=len(owned),
        owned_open=sum(1 for p in owned if p.data["status"] == "open"),
        records=records,
        member_page=member_page,
        admin_page=admin_page,
        member_query=member_query,
        admin_query=admin_query,
    )


@contextlib.contextmanager
def _seeded(api: Any, function: FunctionSpec, items: list[OwnedItem]) -> Any:
    """The function's handler over a fresh moto seeded with ``items``; yields the records
    written, ``call(method, path, claims, key, query=None, status=200, body=None)``,
    which answers what the request read, and ``units()``, what the last call cost."""
    with warm_runtime(api, function) as handler:
        from item_service import clients, config

        dynamodb = clients.dynamodb()
        records = seed_owned_items(
            dynamodb, function.environment["TABLE_NAME"], items, config.settings().indexes
        )
        counter, meter = ReadCounter(), CapacityMeter()
        hooks: list[tuple[str, Callable[..., None]]] = [
            ("after-call.dynamodb", counter.after_call),
            ("before-parameter-build.dynamodb", meter.before),
            ("after-call.dynamodb", meter.after),
        ]
        events = dynamodb.meta.events
        for hook in hooks:
            events.register(*hook)

        last_units = [Units()]

        def call(
            method: str,
            path: str,
            claims: dict[str, str],
            key: str | None,
            query: dict[str, str] | None = None,
            status: int = 200,
            body: Any = None,
        ) -> Reads:
            collection, _, item_id = path.strip("/").partition("/")
            resource = f"/{collection}/{{id}}" if item_id else f"/{collection}"
            params = {"id": item_id} if item_id else None
            event = api_event(method, resource, path, path_params=params, query=query, body=body)
            event["requestContext"]["authorizer"] = {"claims": claims}
            counter.take()
            meter.take()
            with contextlib.redirect_stdout(io.StringIO()):
                answer = handler.handler(event, LambdaContext(request_id="bench-request"))
            if answer["statusCode"] != status:
                raise RuntimeError(f"{path} answered {answer['statusCode']}: {answer['body']}")
            answered = json.loads(answer["body"] or "null")
            returned = (1 if status < 300 else 0) if key is None else len(answered[key])
            items_read, calls = counter.take()
            last_units[0] = meter.take()
            return Reads(items_read=items_read, items_returned=returned, calls=calls)

        try:
            yield records, call, lambda: last_units[0]
        finally:
            for hook in hooks:
                events.unregister(*hook)
