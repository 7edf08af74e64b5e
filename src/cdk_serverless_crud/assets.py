"""The Lambda code of a typed collection: the item service plus its generated validator.

A schemaless collection runs the packaged runtime folder as it is. A collection with a
schema gets a folder of its own, built at synthesis without Docker or network:

- the item service, copied from this package;
- ``item_service/collection_schema.py``, validation code that fastjsonschema generates
  from the schema now, so a cold start imports plain Python instead of compiling the
  schema (see ``docs/performance.md``);
- ``fastjsonschema/``, copied from the installed distribution, because the generated code
  raises that package's exceptions. It is pure Python, so the same files run on both
  Lambda architectures; its licence travels with it.

The folder's path is a digest of everything in it, so synthesizing twice reuses it and
the asset hash only changes when the code or the schema does.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastjsonschema

from cdk_serverless_crud import schemas

RUNTIME_DIR = Path(__file__).parent / "runtime"
"""The packaged item service (``item_service/``)."""

SCHEMA_MODULE = "item_service/collection_schema.py"
"""Where the generated validator goes inside the asset; the runtime looks for it there."""

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
_BUILD_ROOT_ENV = "CDK_SERVERLESS_CRUD_ASSET_DIR"


def collection_asset(schema: Mapping[str, Any]) -> Path:
    """The folder to deploy as the Lambda code of a collection with ``schema``."""
    source = schemas.validator_source(schema)
    package_dir = Path(fastjsonschema.__file__).parent
    digest = hashlib.sha256()
    for root in (RUNTIME_DIR, package_dir):
        for path in _files(root):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    digest.update(source.encode())
    target = _build_root() / digest.hexdigest()[:32]
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        shutil.copytree(RUNTIME_DIR, staging, ignore=_IGNORED, dirs_exist_ok=True)
        (staging / SCHEMA_MODULE).write_text(source, encoding="utf-8")
        shutil.copytree(package_dir, staging / "fastjsonschema", ignore=_IGNORED)
        licence = _licence_text()
        if licence is not None:
            (staging / "fastjsonschema" / "LICENSE").write_text(licence, encoding="utf-8")
        (staging / "fastjsonschema" / "VENDORED.json").write_text(
            json.dumps({"name": "fastjsonschema", "version": fastjsonschema.VERSION}) + "\n",
            encoding="utf-8",
        )
        try:
            os.replace(staging, target)
        except OSError:
            if not target.is_dir():  # another synthesis built it first otherwise
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _build_root() -> Path:
    """Where built assets live: a folder of their own in the temporary directory."""
    root = Path(
        os.environ.get(_BUILD_ROOT_ENV) or Path(tempfile.gettempdir()) / "cdk-serverless-crud"
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


def _files(root: Path) -> list[Path]:
    """The files under ``root`` that go into an asset, in a stable order."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def _licence_text() -> str | None:
    """fastjsonschema's licence file (BSD-3-Clause asks that copies carry it)."""
    try:
        distribution = importlib.metadata.distribution("fastjsonschema")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
            return file.read_text(encoding="utf-8")
    return None
