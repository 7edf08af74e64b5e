"""The published wheel works outside the repository, runtime asset included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from tests.packaging.helpers import uv

CONSUMER_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from cdk_serverless_crud import ServerlessCrudService

    app = cdk.App()
    stack = cdk.Stack(app, "Consumer")
    ServerlessCrudService(
        stack,
        "Items",
        tags={"Environment": "test", "Project": "consumer", "Owner": "qa"},
    )
    app.synth()
    """
)


def test_wheel_ships_runtime_contract_and_types(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cdk_serverless_crud/runtime/item_service/handler.py" in names
    assert "cdk_serverless_crud/contract/openapi.json" in names
    assert "cdk_serverless_crud/contract/events.schema.json" in names
    assert "cdk_serverless_crud/runtime/item_service/change_events.py" in names
    assert "cdk_serverless_crud/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_version_matches_version_json(wheel: Path, version: str) -> None:
    assert wheel.name.startswith(f"cdk_serverless_crud-{version}-")


def test_installed_wheel_synthesizes_an_app_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", str(python), str(wheel)],
        check=True,
    )
    app_dir = tmp_path / "consumer"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    outdir = tmp_path / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(python), "app.py"], cwd=app_dir, env=env, check=True)

    template = json.loads((outdir / "Consumer.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert [f["Properties"]["Handler"] for f in functions] == ["item_service.handler.handler"]
    asset_dirs = [p for p in outdir.glob("asset.*") if p.is_dir()]
    handlers = [p for p in asset_dirs if (p / "item_service" / "handler.py").is_file()]
    assert handlers, f"no Lambda asset with the runtime in {sorted(asset_dirs)}"
    assert not list(handlers[0].rglob("*.pyc"))
