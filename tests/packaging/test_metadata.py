"""What PyPI and pip see: the metadata and the contents of the wheel and the sdist."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


def _wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return HeaderParser().parsestr(archive.read(name).decode())


@pytest.fixture(scope="module")
def metadata(wheel: Path) -> Message:
    return _wheel_metadata(wheel)


@pytest.fixture(scope="module")
def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        return [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]


def test_metadata_version_is_version_json(metadata: Message, version: str) -> None:
    assert metadata["Name"] == "cdk-serverless-crud"
    assert metadata["Version"] == version


def test_sdist_version_is_version_json(sdist: Path, version: str) -> None:
    with tarfile.open(sdist) as archive:
        (pkg_info,) = [
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        stream = archive.extractfile(pkg_info)
        assert stream is not None
        assert HeaderParser().parsestr(stream.read().decode())["Version"] == version


def test_license_is_apache_2_with_its_text(metadata: Message, wheel: Path) -> None:
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert licenses
        assert "Apache License" in archive.read(licenses[0]).decode()


def test_classifiers_name_the_cdk_and_the_pythons_requires_python_allows(
    metadata: Message,
) -> None:
    classifiers = metadata.get_all("Classifier") or []
    assert "Framework :: AWS CDK :: 2" in classifiers
    assert "Typing :: Typed" in classifiers
    pythons = [
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    requires = SpecifierSet(metadata["Requires-Python"])
    allowed = [f"3.{minor}" for minor in range(30) if requires.contains(f"3.{minor}.0")]
    assert pythons == allowed == SUPPORTED_PYTHONS


def test_project_urls_point_at_the_repository(metadata: Message) -> None:
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Repository", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith("https://github.com/") for url in urls.values())


def test_local_extra_brings_motos_server(metadata: Message) -> None:
    assert metadata.get_all("Provides-Extra") == ["local"]
    requires = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("moto[server]") and "extra == 'local'" in r for r in requires)
    assert not [r for r in requires if r.startswith("moto") and "extra" not in r]


def test_description_is_the_readme_with_absolute_links(metadata: Message) -> None:
    assert metadata["Description-Content-Type"] == "text/markdown"
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert description.startswith("# cdk-serverless-crud")
    relative = re.findall(r"\]\((?!https?://|#)([^)]+)\)", description)
    assert not relative, f"links that would break on PyPI: {relative}"


def test_twine_check_passes(wheel: Path, sdist: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sdist_holds_what_the_wheel_is_built_from(sdist_names: list[str]) -> None:
    for name in [
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "version.json",
        "src/cdk_serverless_crud/py.typed",
        "src/cdk_serverless_crud/runtime/item_service/handler.py",
    ]:
        assert name in sdist_names
    assert not [n for n in sdist_names if "__pycache__" in n or n.endswith(".pyc")]
