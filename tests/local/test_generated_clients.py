"""Clients that tools nobody here wrote generate from the synthesized documents drive
every route of the example app and the shop, served by local mode (issue 27).

- Python: openapi-python-client generates a package from each document; the driver
  (``clients/python_driver.py``) calls every operation through it, with its own body
  models, and each answer must parse as the document's success model.
- TypeScript: openapi-typescript types each document, ``tsc`` compiles the driver
  (``clients/driver.ts``, calls through openapi-fetch) with ``--strict``,
  ``exactOptionalPropertyTypes`` and without ``skipLibCheck``, and Node runs it.

Both drivers send ``Cache-Control: max-age=0``: the stage caches GETs, and a GET right
after a write would otherwise get the answer cached before it. The access log then
proves coverage: every operation of the document answered a 2xx at least once.
"""

from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..conftest import REPO
from .clients.python_driver import Scenario, drive
from .conftest import serve

NODE_BIN = REPO / "node_modules" / ".bin"
CLIENTS = Path(__file__).parent / "clients"

ORDER = {
    "customer_id": "c-py",
    "status": "new",
    "placed_at": "2026-03-01T10:00:00+01:00",
    "lines": [{"sku": "A-1", "quantity": 2, "unit_price": 12.5}],
    "shipping_address": {"street": "1 Main St", "city": "Springfield", "postcode": "AB1 2CD"},
}
CUSTOMER = {"name": "Ada", "email": "ada.py@example.com", "joined": "2026-03-01"}

#: Each app's synthesized assembly (a fixture) and what the Python driver does in it.
APPS: dict[str, tuple[str, list[Scenario]]] = {
    "items": (
        "example_cdk_out",
        [
            Scenario(
                "items",
                {"name": "widget", "tags": ["a"], "price": 12.5, "nested": {"deep": [1, None]}},
                {"name": "gadget"},
                {},
            )
        ],
    ),
    "shop": (
        "shop_cdk_out",
        [
            Scenario("orders", ORDER, {"status": "paid"}, {"customer_id": "c-py"}),
            Scenario("customers", CUSTOMER, {"name": "Ada L."}, {"email": CUSTOMER["email"]}),
        ],
    ),
}


def _document(cdk_out: Path) -> Path:
    (document,) = cdk_out.glob("*.openapi.json")
    return document


def _operations(document: Path) -> set[tuple[str, str]]:
    """Every (HTTP method, resource path) the document declares."""
    paths = json.loads(document.read_text())["paths"]
    verbs = {"get", "put", "post", "patch", "delete"}
    return {(verb.upper(), path) for path, item in paths.items() for verb in item if verb in verbs}


def _answered(log: io.StringIO) -> set[tuple[str, str]]:
    """Every (HTTP method, resource path) the stage's access log shows a 2xx for."""
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    return {
        (entry["httpMethod"], entry["resourcePath"])
        for entry in entries
        if entry["status"].startswith("2")
    }


def _run(*command: str | Path, cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def app(request: pytest.FixtureRequest) -> tuple[str, Path, list[Scenario]]:
    name: str = request.param
    fixture, scenarios = APPS[name]
    return name, request.getfixturevalue(fixture), scenarios


@pytest.fixture
def python_client(tmp_path: Path, app: tuple[str, Path, list[Scenario]]) -> Iterator[str]:
    """The package openapi-python-client generates from the app's document, importable."""
    name, cdk_out, _ = app
    package = f"{name}_client"
    generator = Path(sys.executable).parent / "openapi-python-client"
    _run(generator, "generate", "--path", _document(cdk_out), "--meta", "none",
         "--output-path", tmp_path / package, cwd=tmp_path)  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[module]


@pytest.fixture(scope="module")
def typescript_driver(
    tmp_path_factory: pytest.TempPathFactory, example_cdk_out: Path, shop_cdk_out: Path
) -> Path:
    """``driver.ts`` compiled against the types of both documents, as Node runs it."""
    folder = tmp_path_factory.mktemp("typescript")
    for source in ("driver.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / source, folder)
    (folder / "package.json").write_text('{"type": "module"}\n')
    (folder / "node_modules").symlink_to(REPO / "node_modules")
    for name, cdk_out in (("items", example_cdk_out), ("shop", shop_cdk_out)):
        _run(NODE_BIN / "openapi-typescript", _document(cdk_out), "-o", f"{name}.d.ts", cwd=folder)
    _run(NODE_BIN / "tsc", "-p", ".", cwd=folder)
    return folder / "out" / "driver.js"


def _drive_every_route(cdk_out: Path, driver: Callable[[str], object]) -> None:
    """Serve ``cdk_out``, run ``driver`` on its stage URL, then check in the stage's
    access log that every operation of its document answered a 2xx at least once."""
    log = io.StringIO()
    with serve(cdk_out, log=log) as running:
        driver(running.url)
    assert _answered(log) == _operations(_document(cdk_out))


@pytest.mark.parametrize("app", sorted(APPS), indirect=True)
def test_a_generated_python_client_drives_every_route(
    app: tuple[str, Path, list[Scenario]], python_client: str
) -> None:
    _, cdk_out, scenarios = app

    def each_scenario(url: str) -> None:
        for scenario in scenarios:
            drive(python_client, url, scenario)

    _drive_every_route(cdk_out, each_scenario)


@pytest.mark.parametrize("app", sorted(APPS), indirect=True)
def test_a_generated_typescript_client_compiles_and_drives_every_route(
    app: tuple[str, Path, list[Scenario]], typescript_driver: Path
) -> None:
    name, cdk_out, _ = app
    node = NODE_BIN / "node"
    _drive_every_route(
        cdk_out, lambda url: _run(node, typescript_driver, name, url, cwd=typescript_driver.parent)
    )
