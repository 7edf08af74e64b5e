"""Move CHANGELOG.md's Unreleased entries under the version being released.

CHANGELOG.md is kept by hand in Keep a Changelog format: every change goes under
``## [Unreleased]`` in the pull request that makes it. projen's release task bumps
version.json from the conventional commits, then runs ``changelog.py release``, which

- moves the Unreleased entries under ``## [X.Y.Z] - YYYY-MM-DD`` and leaves an empty
  Unreleased section above them, with Keep a Changelog's compare links;
- writes the new section's entries to the release notes (projen's ``dist/changelog.md``,
  which becomes the GitHub release's text);
- keeps the changelog as released (``dist/changelog/released.md``), which the release
  workflow commits to main once the package is on PyPI, and the changelog as it was
  (``dist/changelog/unreleased.md``).

The release then builds the packages with the new changelog in the sdist, and projen's
``unbump`` runs ``changelog.py restore``, so the working tree is unchanged again for
projen's tamper check.

A version that already has a section is left alone, so re-running a release is a no-op.
Releasing with no Unreleased entries fails: every release says what changed.

Neither Keep a Changelog library fits this flow (both tried on this CHANGELOG.md):
python-kacl 0.7.7 rewrites the whole file when it writes it (``## [Unreleased]`` loses
its brackets, a blank line appears under every ``###`` heading) and writes no Unreleased
compare link. keepachangelog 2.0.0 leaves the text alone, but always dates the release
today, writes compare links only if an ``[Unreleased]:`` link is already there, adds a
second heading when a version is released again, releases an empty Unreleased, and
drops blank lines from a section's text (the release notes). Neither undoes a release.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

UNRELEASED = "Unreleased"
DEVELOPMENT_VERSION = "0.0.0"
"""The version.json of the development tree: projen sets the real one only to release."""

_HEADING = re.compile(
    r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?[ \t]*$", re.MULTILINE
)
_LINK = re.compile(r"^\[(?P<name>[^\]]+)\]: (?P<url>\S+)[ \t]*$")
_ENTRY = re.compile(r"^\s*[-*] \S", re.MULTILINE)


class ChangelogError(Exception):
    """CHANGELOG.md cannot be released as it is."""


@dataclass(frozen=True)
class Section:
    """One ``## [name]`` section: its heading line and the text up to the next one."""

    name: str
    date: str | None
    heading_start: int
    body_start: int
    end: int


def sections(text: str) -> list[Section]:
    """The ``## [...]`` sections of a changelog, in order."""
    headings = list(_HEADING.finditer(text))
    links_start = _link_block_start(text)
    result = []
    for index, match in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else links_start
        result.append(
            Section(
                name=match["name"],
                date=match["date"],
                heading_start=match.start(),
                body_start=match.end(),
                end=max(end, match.end()),
            )
        )
    return result


def find(text: str, name: str) -> Section | None:
    """The section called ``name`` (a version, or Unreleased), if there is one."""
    return next((s for s in sections(text) if s.name.lower() == name.lower()), None)


def entries(text: str, name: str) -> str:
    """The body of section ``name``, stripped; empty if the section is missing."""
    section = find(text, name)
    return "" if section is None else text[section.body_start : section.end].strip()


def release(text: str, version: str, date: str, repository: str | None = None) -> str:
    """The changelog with its Unreleased entries moved under ``version``.

    :param text: the changelog.
    :param version: the version being released, such as ``1.2.0``.
    :param date: the release date, ``YYYY-MM-DD``.
    :param repository: the GitHub repository URL; when given, the compare links at the
        end of the changelog are updated too.
    :raises ChangelogError: no Unreleased section, or no entries in it.
    """
    if find(text, version) is not None:
        return text
    unreleased = find(text, UNRELEASED)
    if unreleased is None:
        raise ChangelogError(f"CHANGELOG.md has no '## [{UNRELEASED}]' section to release")
    body = text[unreleased.body_start : unreleased.end].strip()
    if not _ENTRY.search(body):
        raise ChangelogError(
            f"CHANGELOG.md has no entries under '## [{UNRELEASED}]', so {version} would be "
            "released without saying what changed: add them, then release again"
        )
    previous = next((s.name for s in sections(text) if s.name != unreleased.name), None)
    moved = f"## [{UNRELEASED}]\n\n## [{version}] - {date}\n\n{body}\n\n"
    text = text[: unreleased.heading_start] + moved + text[unreleased.end :].lstrip("\n")
    if repository is not None:
        text = _update_links(text, version, previous, repository.rstrip("/"))
    return text.rstrip("\n") + "\n"


def _link_block_start(text: str) -> int:
    """Where the trailing block of ``[name]: url`` link definitions starts."""
    lines = text.splitlines(keepends=True)
    start = len(text)
    for line in reversed(lines):
        if line.strip() and not _LINK.match(line.strip()):
            break
        start -= len(line)
    return start


def _update_links(text: str, version: str, previous: str | None, repository: str) -> str:
    start = _link_block_start(text)
    links: dict[str, str] = {}
    for line in text[start:].splitlines():
        match = _LINK.match(line.strip())
        if match:
            links[match["name"]] = match["url"]
    links = {name: url for name, url in links.items() if name.lower() != UNRELEASED.lower()}
    links[UNRELEASED] = f"{repository}/compare/v{version}...HEAD"
    links[version] = (
        f"{repository}/compare/v{previous}...v{version}"
        if previous
        else f"{repository}/releases/tag/v{version}"
    )
    order = [s.name for s in sections(text)]
    names = sorted(links, key=lambda n: order.index(n) if n in order else len(order))
    block = "".join(f"[{name}]: {links[name]}\n" for name in names)
    return text[:start].rstrip("\n") + "\n\n" + block


def read_version(version_file: Path) -> str:
    """The version in version.json."""
    version = json.loads(version_file.read_text())["version"]
    if not isinstance(version, str):
        raise ChangelogError(f"{version_file} has no version string")
    return version


def _release_command(args: argparse.Namespace) -> None:
    version = read_version(args.version_file)
    if version == DEVELOPMENT_VERSION:
        raise ChangelogError(
            f"{args.version_file} holds {DEVELOPMENT_VERSION}, the development version: "
            "run this after projen's bump, as the release task does"
        )
    before = args.changelog.read_text()
    after = release(before, version, args.date, args.repository)
    args.dist.mkdir(parents=True, exist_ok=True)
    (args.dist / "unreleased.md").write_text(before)
    (args.dist / "released.md").write_text(after)
    args.changelog.write_text(after)
    if args.notes is not None:
        args.notes.parent.mkdir(parents=True, exist_ok=True)
        args.notes.write_text(entries(after, version) + "\n")
    moved = "already released" if after == before else "moved Unreleased entries"
    print(f"{args.changelog}: {version}, {moved}")


def _restore_command(args: argparse.Namespace) -> None:
    released = args.dist / "released.md"
    unreleased = args.dist / "unreleased.md"
    if not (released.is_file() and unreleased.is_file()):
        print(f"{args.changelog}: no release to undo in {args.dist}")
        return
    if args.changelog.read_text() != released.read_text():
        raise ChangelogError(
            f"{args.changelog} changed after the release moved its entries; not restoring"
        )
    args.changelog.write_text(unreleased.read_text())
    print(f"{args.changelog}: restored as it was before the release")


def main(argv: list[str] | None = None) -> int:
    """Run ``release`` or ``restore``; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"))
    parser.add_argument(
        "--dist",
        type=Path,
        default=Path("dist/changelog"),
        help="where the changelog as released and as it was are kept",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="move Unreleased under the version")
    release_parser.add_argument("--version-file", type=Path, default=Path("version.json"))
    release_parser.add_argument(
        "--date", default=datetime.datetime.now(datetime.UTC).date().isoformat()
    )
    release_parser.add_argument("--repository", help="GitHub URL for the compare links")
    release_parser.add_argument("--notes", type=Path, help="write the release notes here")
    release_parser.set_defaults(run=_release_command)
    restore_parser = commands.add_parser("restore", help="undo `release` in the working tree")
    restore_parser.set_defaults(run=_restore_command)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except ChangelogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
