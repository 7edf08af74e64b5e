"""Footprint: the Lambda asset as synthesized, and the wheel as built for PyPI."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import REPO, tool_environment


@dataclass
class Footprint:
    """Sizes in bytes; the asset zipped as the CDK uploads it (deflate)."""

    asset_files: int
    asset_bytes: int
    asset_zip_bytes: int
    wheel_name: str
    wheel_bytes: int
    wheel_files: int

    def to_json(self) -> dict[str, Any]:
        return vars(self)


def lambda_asset(assembly: Path) -> Path:
    """The asset folder of the item service in a synthesized cloud assembly."""
    for candidate in sorted(assembly.glob("asset.*")):
        if (candidate / "item_service" / "handler.py").is_file():
            return candidate
    raise FileNotFoundError(f"no item service asset in {assembly}")


def zipped_size(folder: Path) -> int:
    """Bytes of ``folder`` zipped with deflate at the highest level, files in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder).as_posix())
    return len(buffer.getvalue())


def build_wheel(outdir: Path) -> Path:
    """``uv build --wheel`` of this checkout, as a release builds it."""
    uv = shutil.which("uv", path=tool_environment()["PATH"]) or str(REPO / ".tools" / "bin" / "uv")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(outdir), str(REPO)],
        check=True,
        capture_output=True,
        env=tool_environment(),
    )
    (wheel,) = outdir.glob("cdk_serverless_crud-*.whl")
    return wheel


def measure_footprint(assembly: Path) -> Footprint:
    """The asset in ``assembly`` and a freshly built wheel."""
    asset = lambda_asset(assembly)
    files = [p for p in asset.rglob("*") if p.is_file()]
    with tempfile.TemporaryDirectory(prefix="serverless-crud-wheel-") as outdir:
        wheel = build_wheel(Path(outdir))
        with zipfile.ZipFile(wheel) as archive:
            wheel_files = len(archive.namelist())
        return Footprint(
            asset_files=len(files),
            asset_bytes=sum(p.stat().st_size for p in files),
            asset_zip_bytes=zipped_size(asset),
            wheel_name=wheel.name,
            wheel_bytes=wheel.stat().st_size,
            wheel_files=wheel_files,
        )
