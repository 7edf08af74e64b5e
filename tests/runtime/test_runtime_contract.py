"""The runtime keeps to docs/design.md: its imports and the AWS calls it makes."""

from __future__ import annotations

import ast
import sys
from typing import Any

from item_service import clients

from ..design import design_variables
from .helpers import PACKAGE, Api

RUNTIME = PACKAGE / "runtime"
ALLOWED_PACKAGES = {"boto3", "botocore"}
# Type stubs, imported only under TYPE_CHECKING (absent in Lambda).
STUB_PACKAGES = {"mypy_boto3_dynamodb", "mypy_boto3_lambda", "mypy_boto3_s3"}
# Vendored into the asset only with a collection's schema, so only schema.py uses it.
SCHEMA_PACKAGES = {"fastjsonschema"}
# docs/design.md grants these; TransactWriteItems of Puts is authorized as PutItem.
GRANTED = {
    ("dynamodb", "GetItem"),
    ("dynamodb", "Query"),
    ("dynamodb", "TransactWriteItems"),
    ("s3", "PutObject"),
    ("s3", "GetObject"),
}


def _imports(tree: ast.AST, type_checking: bool = False) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            found += _imports(node, type_checking=True)
        elif isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], type_checking) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], type_checking))
        else:
            found += _imports(node, type_checking)
    return found


def test_the_runtime_imports_only_the_standard_library_and_boto3() -> None:
    for path in sorted(RUNTIME.rglob("*.py")):
        for module, type_checking in _imports(ast.parse(path.read_text())):
            allowed = sys.stdlib_module_names | ALLOWED_PACKAGES
            if type_checking:
                allowed |= STUB_PACKAGES
            if path.name == "schema.py":
                allowed |= SCHEMA_PACKAGES
            assert module in allowed, f"{path.relative_to(RUNTIME)} imports {module}"


def test_every_call_is_one_the_design_grants(api: Api) -> None:
    calls: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        calls.add((model.service_model.service_name, model.name))

    for client in (clients.dynamodb(), clients.s3()):
        client.meta.events.register("before-call", record)

    item_id = api.create({"v": 1}).json()["id"]
    big = {"blob": "x" * 400_000}
    api.request("PUT", f"/items/{item_id}", big, headers={"If-Match": "*"})
    api.request("GET", f"/items/{item_id}")
    api.request("GET", "/items", query={"limit": "1"})
    cursor = api.request("GET", f"/items/{item_id}/versions", query={"limit": "1"}).json()
    api.request("GET", f"/items/{item_id}/versions", query={"cursor": cursor["next_cursor"]})
    api.request("DELETE", f"/items/{item_id}")
    api.request("GET", f"/items/{item_id}/versions")

    assert calls == GRANTED


def _environment_reads(source: str) -> set[str]:
    """Names read as ``os.environ["X"]`` or ``os.environ.get("X", ...)``, or from the
    ``environ`` mapping ``config.settings_from`` reads them from."""
    read: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            key = node.slice
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in (
            "os.environ.get",
            "environ.get",
        ):
            key = node.args[0]
        else:
            continue
        assert isinstance(key, ast.Constant), f"computed variable name {ast.unparse(key)}"
        read.add(key.value)
    return read


def test_settings_come_from_the_documented_variables() -> None:
    config = RUNTIME / "item_service" / "config.py"
    # Exactly the variables docs/design.md documents, no more, no fewer.
    assert _environment_reads(config.read_text()) == set(design_variables())
    assert "os.environ" not in "".join(
        p.read_text() for p in (RUNTIME / "item_service").glob("*.py") if p != config
    )
