"""The release configuration that projen generates holds together."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.release.helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _steps(job: str) -> list[dict[str, Any]]:
    steps = _workflow()["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def _makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert match, f"no {name} in the Makefile"
    return match[1]


def test_version_json_is_the_development_version_outside_a_release() -> None:
    """version.json holds 0.0.0, byte for byte as projen's unbump writes it.

    The release job bumps it, builds, unbumps and then fails on any difference from the
    committed file. Only during a release, after the bump, does it hold the version
    being released, which the bump also wrote to dist/version.txt.
    """
    text = (REPO / "version.json").read_text()
    version = json.loads(text)["version"]
    if version == "0.0.0":
        assert text == '{\n  "version": "0.0.0"\n}\n'
    else:
        bumped = REPO / "dist" / "version.txt"
        assert bumped.is_file(), f"version.json holds {version}, but no release is running"
        assert bumped.read_text().strip() == version


def test_release_job_sets_up_node_22_python_and_the_pinned_uv() -> None:
    uses = {step.get("uses", "").split("@")[0]: step for step in _steps("release")}
    assert str(uses["actions/setup-node"]["with"]["node-version"]).startswith("22.")
    assert "actions/setup-python" in uses
    assert str(uses["astral-sh/setup-uv"]["with"]["version"]) == _makefile_variable("UV_VERSION")
    runs = [step.get("run", "") for step in _steps("release")]
    assert any("uv sync --frozen" in run and "npm ci" in run for run in runs)


def test_pypi_job_uses_trusted_publishing_with_the_pinned_publib() -> None:
    job = _workflow()["jobs"]["release_pypi"]
    assert job["permissions"]["id-token"] == "write"
    (release,) = [step for step in job["steps"] if step.get("name") == "Release"]
    assert release["env"]["PYPI_TRUSTED_PUBLISHER"] == "true"
    publib = json.loads((REPO / "package.json").read_text())["devDependencies"]["publib"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", publib), "publib must be pinned"
    assert f"publib@{publib}" in release["run"]
    assert "publib-pypi" in release["run"]


def test_release_commits_the_changelog_it_released() -> None:
    job = _workflow()["jobs"]["release_changelog"]
    assert {"release_pypi", "release_github"} <= set(job["needs"])
    (commit,) = [step for step in job["steps"] if "git push" in step.get("run", "")]
    assert "dist/changelog/released.md" in commit["run"]
    assert 'git commit -m "chore(release):' in commit["run"]
