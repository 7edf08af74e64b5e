"""Rehearse a release from a clean tree, or check built packages.

``make release-check`` runs this without arguments. It rehearses what the release
workflow does, in a throwaway clone, and publishes nothing:

1. stages a clean tree: a local clone of this repository (its history and tags, so the
   bump sees what CI sees) with the working tree's state committed on top, which is
   every tracked and untracked file that is not ignored, as they are on disk. Ignored
   files (``.venv``, ``dist``, caches, ``cdk.out``) never reach the packages;
2. runs projen's ``release`` task there, the one the release job runs, whatever its steps
   are (today: bump, ``changelog:release``, build with the whole test suite, package,
   ``package:verify``, unbump and the tamper check ``git diff --exit-code``), and checks
   that it ran: a version was bumped to, and one wheel and one sdist are in dist/python.
   The build skips the suite (not lint, types or ``package:verify``) only when
   RELEASE_CHECK_TESTED_TREE names the staged tree: ``.ci/run`` sets it after
   ``make test`` passed on the same commit;
3. does what the release workflow's PyPI job then does with dist/: ``publib-pypi``,
   here in dry-run mode, and checks that it got as far as the upload;
4. checks that the release left no untracked file behind.

``release_check.py --verify DIST`` only checks the packages in DIST, against the tree it
runs in. The release task runs it (``package:verify``) on what it is about to publish:

- ``twine check --strict``;
- the packaging tests (``tests/packaging``) on these packages instead of a fresh build:
  contents, metadata, the version equal to version.json, and the wheel installed into a
  fresh virtualenv synthesizing an app;
- the release tests (``tests/release``): the version has a section in CHANGELOG.md, and
  docs/api.md is up to date.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST_ENV = "CDK_SERVERLESS_CRUD_DIST"
"""Points the packaging tests at built packages instead of building their own."""

TESTED_TREE_ENV = "RELEASE_CHECK_TESTED_TREE"
"""The git tree id on which the whole suite just passed (``.ci/run`` sets it after
``make test``). When the staged tree is that very tree, the release's build runs lint and
the type check but not the suite again (SKIP_TEST_SUITE, a condition of projen's ``test``
task); the packaging and release tests still run on the built packages."""
SKIP_SUITE_ENV = "SKIP_TEST_SUITE"

DEVELOPMENT_VERSION = "0.0.0"
TESTS = ["tests/packaging", "tests/release"]
"""The tests that check built packages and the release state of the tree."""
UNROUTABLE_INDEX = "http://127.0.0.1:9/legacy/"
"""Where twine would upload if publib's dry run ever stopped being one: nowhere."""


class CheckFailed(Exception):
    """A release check failed; the message says which and why."""


def run(
    command: Sequence[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
) -> str:
    """Run a command, failing the check if it fails; its output if ``capture``."""
    printable = " ".join(str(part) for part in command)
    print(f"$ {printable}", flush=True)
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        text=True,
        capture_output=capture,
        check=False,
    )
    if result.returncode != 0:
        output = f"\n{result.stdout}{result.stderr}" if capture else ""
        raise CheckFailed(f"`{printable}` failed with exit code {result.returncode}{output}")
    return result.stdout if capture else ""


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print a step's title, then how long it took."""
    print(f"\n==> {title}", flush=True)
    start = time.monotonic()
    yield
    print(f"    ({time.monotonic() - start:.1f} s)", flush=True)


def read_version(tree: Path) -> str:
    """The version in a tree's version.json."""
    version = json.loads((tree / "version.json").read_text())["version"]
    assert isinstance(version, str)
    return version


def packages(dist: Path) -> tuple[Path, Path]:
    """The one wheel and the one sdist in ``dist``."""
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        names = sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []
        raise CheckFailed(f"expected one wheel and one sdist in {dist}, found {names}")
    return wheels[0], sdists[0]


def verify(dist: Path, tree: Path) -> None:
    """Check the packages in ``dist`` against the tree they were built from."""
    dist = dist.resolve()
    wheel, sdist = packages(dist)
    version = read_version(tree)
    for package in (wheel, sdist):
        if not package.name.startswith(f"cdk_serverless_crud-{version}"):
            raise CheckFailed(f"{package.name} is not version {version} (version.json)")
    run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist], cwd=tree)
    run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=tree,
        env={**os.environ, DIST_ENV: str(dist)},
    )


def tool_env() -> dict[str, str]:
    """The environment the projen tasks run in: this checkout's tools first."""
    path = [ROOT / ".venv" / "bin", ROOT / "node_modules" / ".bin", ROOT / ".tools" / "bin"]
    return {
        **os.environ,
        "PATH": os.pathsep.join([*map(str, path), os.environ.get("PATH", "")]),
        "JSII_NODE": str(ROOT / "node_modules" / ".bin" / "node"),
        "UV_PYTHON_DOWNLOADS": "never",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def git(tree: Path, *args: str, capture: bool = True) -> str:
    """Run git in ``tree`` with a fixed identity (commits stay in the throwaway clone)."""
    identity = {
        "GIT_AUTHOR_NAME": "release-check",
        "GIT_AUTHOR_EMAIL": "release-check@localhost",
        "GIT_COMMITTER_NAME": "release-check",
        "GIT_COMMITTER_EMAIL": "release-check@localhost",
    }
    settings = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    command = ["git", *(settings if args[0] == "commit" else []), *args]
    return run(command, cwd=tree, env={**os.environ, **identity}, capture=capture)


def stage_clean_tree(repo: Path, tree: Path) -> None:
    """Clone ``repo`` to ``tree`` and commit its working tree's state on top.

    The state is every file git would commit with ``git add --all``: tracked and
    untracked, not ignored, as it is on disk. The clone keeps the history and the tags,
    so projen's bump computes the same version as in CI.
    """
    if not (repo / ".git").exists():
        raise CheckFailed(f"{repo} is not a git checkout; release-check needs its history")
    listed = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    files = sorted({name for name in listed.split("\0") if name})
    run(["git", "clone", "--quiet", "--local", repo, tree], cwd=repo.parent)
    for name in files:
        source, target = repo / name, tree / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.is_file() or target.is_symlink():
            target.unlink()
    kept = set(files)
    for name in git(tree, "ls-files", "-z").split("\0"):
        if name and name not in kept and (tree / name).is_file():
            (tree / name).unlink()
    git(tree, "add", "--all")
    git(tree, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", "release-check")
    # The release's Node tools (publib, commit-and-tag-version) come from this checkout.
    (tree / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    with (tree / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("/node_modules\n")


def publib_dry_run(tree: Path, wheel: Path) -> str:
    """Run ``publib-pypi`` with PUBLIB_DRYRUN in ``tree``, on its dist/python; its output.

    It runs as the release workflow's PyPI job runs it, with no argument, in the folder
    that holds the release task's dist/. publib-pypi installs twine with ``pip install
    --user``, which pip refuses inside a virtualenv, so it runs with the base interpreter
    of this one, not the project's .venv, and a throwaway user base so nothing lands in
    ~/.local. The release uses PyPI trusted publishing, which needs GitHub's OIDC token;
    here dummy twine credentials stand in, and the upload URL goes nowhere should the
    dry run ever upload.
    """
    publib = ROOT / "node_modules" / ".bin" / "publib-pypi"
    if not publib.exists():
        raise CheckFailed(f"{publib} is missing: run `make install`")
    base_bin = Path(sys.base_prefix) / "bin"
    user_base = tree.parent / "publib-user-base"
    not_a_venv = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV"}
        and not key.startswith(("TWINE_", "PYPI_"))
    }
    env |= {
        "PATH": os.pathsep.join([str(base_bin), str(publib.parent), *not_a_venv]),
        "PUBLIB_DRYRUN": "true",
        "TWINE_USERNAME": "__token__",
        "TWINE_PASSWORD": "release-check-dry-run",
        "TWINE_REPOSITORY_URL": UNROUTABLE_INDEX,
        "PYTHONUSERBASE": str(user_base),
        "PIP_BREAK_SYSTEM_PACKAGES": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    pip = ["python3", "-m", "pip", "--version"]
    if subprocess.run(pip, env=env, capture_output=True, check=False).returncode != 0:
        raise CheckFailed(f"publib-pypi needs a python3 with pip, and {base_bin} has none")
    output = run([publib], cwd=tree, env=env, capture=True)
    lines = output.splitlines()
    installed = [line for line in lines if line.startswith("Successfully installed")]
    dry_run = lines[next((i for i, line in enumerate(lines) if "Dry run" in line), len(lines)) :]
    print("\n".join(f"    {line}" for line in [*installed, *dry_run]))
    installed_twine = list(user_base.glob("lib/python*/site-packages/twine/__init__.py"))
    ran = [
        ("publib reported a dry run", "SUCCESS (dry run)" in output),
        (f"publib found {wheel.name}", f"(would upload {wheel.name})" in output),
        ("publib installed twine with pip --user", bool(installed_twine)),
    ]
    failed = [claim for claim, ok in ran if not ok]
    if failed:
        raise CheckFailed(f"the publib dry run did not run as expected: {', '.join(failed)}")
    return output


def release_env(tree: Path) -> dict[str, str]:
    """The environment of the release task in ``tree``: this checkout's tools, its own venv.

    The task's synth (``python .projenrc.py``) recreates ``.venv`` and runs ``uv sync``;
    the Makefile's UV_PROJECT_ENVIRONMENT would point that at this checkout's .venv.
    """
    env = tool_env()
    env.pop("VIRTUAL_ENV", None)
    env["UV_PROJECT_ENVIRONMENT"] = str(tree / ".venv")
    return env


def suite_already_passed(tree: Path) -> bool:
    """Whether the whole suite passed on exactly the tree staged in ``tree``."""
    tested = os.environ.get(TESTED_TREE_ENV, "").strip()
    if not tested:
        return False
    staged = git(tree, "rev-parse", "HEAD^{tree}").strip()
    if tested != staged:
        print(f"    {TESTED_TREE_ENV}={tested} is not the staged tree {staged}: the suite runs")
        return False
    print(f"    the suite passed on this very tree ({staged}): the build skips pytest")
    return True


def released_version(tree: Path) -> str:
    """The version the release task bumped to, from the file its bump writes."""
    bumped = tree / "dist" / "version.txt"
    if not bumped.is_file():
        raise CheckFailed("the release task bumped no version (no dist/version.txt): did it run?")
    version = bumped.read_text().strip()
    if version in ("", DEVELOPMENT_VERSION):
        raise CheckFailed(f"the release task bumped to {version or 'nothing'}")
    return version


def rehearse(keep: bool) -> None:
    """The whole rehearsal; see the module docstring."""
    scratch = Path(tempfile.mkdtemp(prefix="release-check-"))
    tree = scratch / "tree"
    try:
        with step("stage a clean tree"):
            stage_clean_tree(ROOT, tree)
            print(f"    {tree}: {git(tree, 'log', '--oneline', '-1').strip()}")
        with step("projen release: the release job's own task"):
            env = release_env(tree)
            env.pop(SKIP_SUITE_ENV, None)
            if suite_already_passed(tree):
                env[SKIP_SUITE_ENV] = "1"
            run(["projen", "release"], cwd=tree, env=env)
            version = released_version(tree)
            tags = git(tree, "tag", "--list", "v*", "--sort=-version:refname").split()
            since = f"after {tags[0]}" if tags else "the first release"
            print(f"    this release would be {version} ({since})")
        dist = tree / "dist" / "python"
        wheel, sdist = packages(dist)
        with step("publib-pypi with PUBLIB_DRYRUN, as the PyPI job runs it on dist/"):
            publib_dry_run(tree, wheel)
        with step("the release left nothing behind"):
            leftovers = git(tree, "status", "--porcelain").strip()
            if leftovers:
                raise CheckFailed(f"the release left files behind:\n{leftovers}")
        print(f"\nrelease-check passed: {version} ({wheel.name}, {sdist.name})")
    finally:
        if keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Rehearse a release, or with ``--verify DIST`` check built packages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=Path, metavar="DIST", help="only check DIST")
    parser.add_argument("--keep", action="store_true", help="keep the rehearsal's tree")
    args = parser.parse_args(argv)
    try:
        if args.verify is not None:
            verify(args.verify, Path.cwd())
        else:
            rehearse(args.keep)
    except CheckFailed as error:
        print(f"\nrelease-check failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
