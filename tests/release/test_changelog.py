"""CHANGELOG.md: kept by hand, released by scripts/changelog.py, never missing a version."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.release.helpers import REPO, load_script

changelog = load_script("changelog")

REPOSITORY = "https://github.com/example/project"
HEADER = textwrap.dedent(
    """\
    # Changelog

    All notable changes to this project are documented in this file.

    """
)
FIRST = HEADER + textwrap.dedent(
    """\
    ## [Unreleased]

    ### Added
    - The first thing.
    - The second thing,
      over two lines.
    """
)


def test_the_package_version_has_a_section_in_the_changelog() -> None:
    """The version being packaged is in CHANGELOG.md, with a date and entries.

    In the development tree version.json holds 0.0.0: projen's bump sets the real
    version only inside the release job, where `changelog:release` has just moved the
    Unreleased entries under it, and this test runs again before anything is published.
    Until then, the changelog must have the Unreleased section that the release moves.
    """
    version = json.loads((REPO / "version.json").read_text())["version"]
    text = (REPO / "CHANGELOG.md").read_text()
    if version == changelog.DEVELOPMENT_VERSION:
        assert changelog.find(text, changelog.UNRELEASED) is not None
        return
    section = changelog.find(text, version)
    assert section is not None, f"CHANGELOG.md has no '## [{version}]' section"
    assert section.date is not None, f"'## [{version}]' has no release date"
    assert re.search(r"^\s*[-*] \S", changelog.entries(text, version), re.MULTILINE)


def test_release_moves_unreleased_entries_under_the_version() -> None:
    released = changelog.release(FIRST, "0.1.0", "2026-11-24")
    assert released == HEADER + textwrap.dedent(
        """\
        ## [Unreleased]

        ## [0.1.0] - 2026-11-24

        ### Added
        - The first thing.
        - The second thing,
          over two lines.
        """
    )
    assert changelog.entries(released, "Unreleased") == ""
    assert changelog.entries(released, "0.1.0").startswith("### Added\n- The first thing.")


def test_release_keeps_older_versions_and_adds_compare_links() -> None:
    first = changelog.release(FIRST, "0.1.0", "2026-11-24", REPOSITORY)
    assert first.endswith(
        f"\n\n[Unreleased]: {REPOSITORY}/compare/v0.1.0...HEAD\n"
        f"[0.1.0]: {REPOSITORY}/releases/tag/v0.1.0\n"
    )
    unreleased = first.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n- A fix.\n")
    second = changelog.release(unreleased, "0.1.1", "2026-12-01", REPOSITORY)
    assert [s.name for s in changelog.sections(second)] == ["Unreleased", "0.1.1", "0.1.0"]
    assert changelog.entries(second, "0.1.1") == "### Fixed\n- A fix."
    assert changelog.entries(second, "0.1.0").startswith("### Added\n- The first thing.")
    assert second.endswith(
        f"\n\n[Unreleased]: {REPOSITORY}/compare/v0.1.1...HEAD\n"
        f"[0.1.1]: {REPOSITORY}/compare/v0.1.0...v0.1.1\n"
        f"[0.1.0]: {REPOSITORY}/releases/tag/v0.1.0\n"
    )


def test_releasing_a_released_version_again_changes_nothing() -> None:
    released = changelog.release(FIRST, "0.1.0", "2026-11-24", REPOSITORY)
    later = released.replace("## [Unreleased]\n", "## [Unreleased]\n\n- Not yet released.\n")
    assert changelog.release(later, "0.1.0", "2026-11-25", REPOSITORY) == later


def test_release_without_entries_fails() -> None:
    empty = HEADER + "## [Unreleased]\n\n### Added\n"
    with pytest.raises(changelog.ChangelogError, match="no entries under"):
        changelog.release(empty, "0.1.0", "2026-11-24")
    with pytest.raises(changelog.ChangelogError, match="no '## \\[Unreleased\\]' section"):
        changelog.release(HEADER, "0.1.0", "2026-11-24")


def test_the_repository_changelog_can_be_released() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    if changelog.entries(text, changelog.UNRELEASED) == "":
        pytest.skip("nothing unreleased")
    released = changelog.release(text, "99.0.0", "2026-11-24", REPOSITORY)
    assert changelog.entries(released, "99.0.0") == changelog.entries(text, "Unreleased")


def test_release_and_restore_commands_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("CHANGELOG.md").write_text(FIRST)
    Path("version.json").write_text('{\n  "version": "0.1.0"\n}\n')
    notes = Path("dist/changelog.md")
    assert changelog.main(["release", "--date", "2026-11-24", "--notes", str(notes)]) == 0
    assert "## [0.1.0] - 2026-11-24" in Path("CHANGELOG.md").read_text()
    assert Path("dist/changelog/released.md").read_text() == Path("CHANGELOG.md").read_text()
    assert notes.read_text().startswith("### Added\n- The first thing.")
    assert changelog.main(["restore"]) == 0
    assert Path("CHANGELOG.md").read_text() == FIRST


def test_restore_leaves_a_changelog_edited_after_the_release_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("CHANGELOG.md").write_text(FIRST)
    Path("version.json").write_text('{"version": "0.1.0"}')
    assert changelog.main(["release"]) == 0
    Path("CHANGELOG.md").write_text("edited by hand\n")
    assert changelog.main(["restore"]) == 1
    assert Path("CHANGELOG.md").read_text() == "edited by hand\n"


def test_release_command_refuses_the_development_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("CHANGELOG.md").write_text(FIRST)
    Path("version.json").write_text('{\n  "version": "0.0.0"\n}\n')
    assert changelog.main(["release"]) == 1
    assert Path("CHANGELOG.md").read_text() == FIRST
