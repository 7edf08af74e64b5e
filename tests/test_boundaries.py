"""The tree's boundary: the contract, the Lambda runtime and local mode never import
aws_cdk (or constructs), so local mode and the runtime start without Node.js; and the
runtime, which ships alone in the function's asset, imports nothing of the library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "cdk_serverless_crud"
CDK_FREE = ("contract", "runtime", "local")
_CDK = ("aws_cdk", "constructs", "cdk_nag")


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, absolute or resolved from relative."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", CDK_FREE)
def test_no_module_of_the_cdk_free_folders_imports_aws_cdk(folder: str) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): name
        for path in _modules(folder)
        for name in _imports(path)
        if name.split(".")[0] in _CDK
    }
    assert offenders == {}


@pytest.mark.parametrize("folder", ("contract", "local"))
def test_the_cdk_free_folders_import_no_construct_module(folder: str) -> None:
    # A construct module (service.py, api.py...) imports aws_cdk: reaching one from here
    # would load it indirectly.
    construct_modules = {
        f"cdk_serverless_crud.{path.stem}"
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    offenders = {
        str(path.relative_to(PACKAGE)): name
        for path in _modules(folder)
        for name in _imports(path)
        if any(name == module or name.startswith(module + ".") for module in construct_modules)
    }
    assert offenders == {}


def test_the_runtime_imports_nothing_of_the_library() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): name
        for path in _modules("runtime")
        for name in _imports(path)
        if name.split(".")[0] == "cdk_serverless_crud"
        and not name.startswith("cdk_serverless_crud.runtime.")
    }
    assert offenders == {}


def test_importing_the_contract_and_local_mode_loads_no_aws_cdk() -> None:
    code = (
        "import sys, cdk_serverless_crud.contract.openapi_document, cdk_serverless_crud.local\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
