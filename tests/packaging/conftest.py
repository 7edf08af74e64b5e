"""The packages under test: built here from the repository, or handed in by the release.

By default the session builds an sdist and then a wheel from that sdist, as the release
does. ``make release-check`` and the release job set ``CDK_SERVERLESS_CRUD_DIST`` to the
directory of the packages they are about to publish, so these tests check exactly those.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO, uv

DIST_ENV = "CDK_SERVERLESS_CRUD_DIST"


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with one sdist and one wheel of the package."""
    handed_in = os.environ.get(DIST_ENV)
    if handed_in:
        return Path(handed_in)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv(), "build", "--quiet", "--out-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    """The wheel."""
    (built,) = dist.glob("cdk_serverless_crud-*.whl")
    return built


@pytest.fixture(scope="session")
def sdist(dist: Path) -> Path:
    """The sdist."""
    (built,) = dist.glob("cdk_serverless_crud-*.tar.gz")
    return built


@pytest.fixture(scope="session")
def version() -> str:
    """The version in version.json, which the packages must carry."""
    value = json.loads((REPO / "version.json").read_text())["version"]
    assert isinstance(value, str)
    return value
