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

Each folder is built afresh in a private temporary directory of this process (mode
0700, removed when the process exits) and reused within it only, for another collection
with the same schema: a folder found in a shared location could have been planted by
someone else. The asset hash is of the content, so it only changes when the code or the
schema does.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.metadata
import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastjsonschema

from cdk_serverless_crud.contract.schema_compiler import validator_source
from cdk_serverless_crud.function import ASSET_EXCLUDES, RUNTIME_ASSET_PATH

SCHEMA_MODULE = "item_service/collection_schema.py"
"""Where the generated validator goes inside the asset; the runtime looks for it there."""

_IGNORED = shutil.ignore_patterns(*ASSET_EXCLUDES)


def collection_asset(schema: Mapping[str, Any], *, keep: bool = False) -> Path:
    """The folder to deploy as the Lambda code of a collection with ``schema``.

    :param keep: leave the folder when the process exits, for apps that disable asset
        staging (``aws:cdk:disable-asset-staging``, as the SAM CLI does): their assembly
        points at this folder instead of a copy.
    """
    source = validator_source(schema)
    package_dir = Path(fastjsonschema.__file__).parent
    # Within a process the runtime and fastjsonschema stay as they are: the generated
    # source tells one folder from another.
    digest = hashlib.sha256(source.encode()).hexdigest()
    key = (digest, keep)
    if key not in _BUILT:
        target = _build_root(keep) / digest[:32]
        shutil.copytree(RUNTIME_ASSET_PATH, target, ignore=_IGNORED)
        (target / SCHEMA_MODULE).write_text(source, encoding="utf-8")
        shutil.copytree(package_dir, target / "fastjsonschema", ignore=_IGNORED)
        licence = _licence_text()
        if licence is not None:
            (target / "fastjsonschema" / "LICENSE").write_text(licence, encoding="utf-8")
        (target / "fastjsonschema" / "VENDORED.json").write_text(
            json.dumps({"name": "fastjsonschema", "version": fastjsonschema.VERSION}) + "\n",
            encoding="utf-8",
        )
        _BUILT[key] = target
    return _BUILT[key]


_BUILT: dict[tuple[str, bool], Path] = {}


@functools.cache
def _build_root(keep: bool) -> Path:
    """This process's own folder for the assets it builds (mode 0700), removed at exit
    unless ``keep``."""
    root = Path(tempfile.mkdtemp(prefix="cdk-serverless-crud-assets-"))
    if not keep:
        atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


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
