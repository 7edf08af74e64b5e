"""``serverless-crud local``: serve a synthesized app on this machine, no AWS, no Docker;
``serverless-crud token``: a token local mode accepts as a Cognito user's."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .authorization import authorization_notice
from .aws import DYNAMODB_CHOICES, DynamoDBChoice
from .identity import local_token
from .server import RunningService, serve_local
from .template import TemplateError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``serverless-crud`` console script."""
    parser = argparse.ArgumentParser(prog="serverless-crud")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="serve the app locally with in-memory AWS (moto)")
    source = local.add_mutually_exclusive_group()
    source.add_argument(
        "--cdk-out", type=Path, help="a synthesized cloud assembly (default: ./cdk.out)"
    )
    source.add_argument(
        "--app", help='the CDK app command to synthesize first, e.g. "python app.py"'
    )
    local.add_argument("--stack", help="the stack to serve when the app has several")
    local.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    local.add_argument(
        "--dynamodb",
        choices=DYNAMODB_CHOICES,
        default="auto",
        help="the tables' emulator: DynamoDB Local (needs Java 17+), moto, or auto "
        "(DynamoDB Local when it can run; the default)",
    )
    local.add_argument(
        "--state-dir",
        type=Path,
        help="keep the tables and buckets in this folder across restarts (DynamoDB Local)",
    )
    local.add_argument(
        "--seed",
        type=Path,
        help='load items from this JSON lines file at start: {"data": {...}, "id"?, '
        '"collection"?} per line',
    )
    local.add_argument(
        "--events-file",
        type=Path,
        help="append each change event the app's pipes send to this file, as one JSON "
        'line {"Source", "DetailType", "Detail", "EventBusName"}',
    )
    local.add_argument(
        "--watch",
        action="store_true",
        help="with --app: synthesize again when the app's files change, keeping the data",
    )
    token = commands.add_parser(
        "token",
        help="print a token local mode accepts as a Cognito user's (unsigned: local only)",
    )
    token.add_argument("--sub", required=True, help="the user's id, the owner of what it creates")
    token.add_argument(
        "--group", action="append", default=[], help="a group of the user (repeatable)"
    )
    token.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another claim, such as custom:org=acme for Tenancy (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.command == "token":
        claims = dict(_claim(parser, text) for text in args.claim)
        print(local_token(args.sub, args.group, claims))
        return 0
    # Ctrl-C, `kill` and a closed terminal all stop the service the same way, with the
    # data saved (--state-dir); SIGINT too when started as a script's background job,
    # which inherits it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if args.watch and not args.app:
        parser.error("--watch needs --app, the command that synthesizes the app")
    try:
        cdk_out = _synthesize(args.app) if args.app else (args.cdk_out or Path("cdk.out"))
        options = _Options(
            args.dynamodb,
            args.state_dir,
            args.seed,
            args.app if args.watch else None,
            args.events_file,
        )
        return _serve(cdk_out, args.host, args.port, args.stack, options)
    except _Fatal as error:
        print(f"serverless-crud: error: {error}", file=sys.stderr)
        return 1


def _claim(parser: argparse.ArgumentParser, text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        parser.error(f"--claim takes NAME=VALUE, such as custom:org=acme; got {text!r}")
    return name, value


def _events_notice(service: RunningService, path: Path | None) -> str | None:
    """Where the change events go, when the app has pipes."""
    pipes = service.api.pipes
    if not pipes:
        if path is None:
            return None
        return (
            f"--events-file {path}: this app sends no change events (no pipe from a "
            "table's stream); turn them on with ServerlessCrudService(events=ChangeEvents())"
        )
    buses = ", ".join(sorted({pipe.bus_name for pipe in pipes}))
    where = f"appended to {path}" if path else "not written anywhere (see --events-file)"
    return f"Change events ({len(pipes)} pipe(s), bus {buses}): {where}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _Fatal(Exception):
    """A problem the user can fix; reported as one line."""


def _synthesize(app: str) -> Path:
    """Run the app command the way the CDK CLI does: it writes to ``CDK_OUTDIR``."""
    outdir = Path(tempfile.mkdtemp(prefix="serverless-crud-local-"))
    result = subprocess.run(
        shlex.split(app),
        env={**os.environ, "CDK_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {result.returncode}"
        raise _Fatal(f"the app failed to synthesize: {reason}")
    return outdir


@dataclass(frozen=True)
class _Options:
    """How to serve: the DynamoDB, where state is kept, what to seed."""

    dynamodb: DynamoDBChoice
    state_dir: Path | None
    seed: Path | None
    watch: str | None = None
    """The app command to synthesize again when its files change."""
    events_file: Path | None = None
    """Where the change events go, one JSON line each."""


def _serve(cdk_out: Path, host: str, port: int, stack: str | None, options: _Options) -> int:
    """Serve until Ctrl-C: the access log on stdout, the function's own logs on stderr."""
    access_log = sys.stdout
    try:
        with (
            contextlib.redirect_stdout(sys.stderr),
            serve_local(
                cdk_out,
                host=host,
                port=port,
                stack=stack,
                log=access_log,
                dynamodb=options.dynamodb,
                state_dir=options.state_dir,
                seed=options.seed,
                events_file=options.events_file,
            ) as service,
        ):
            for notice in (
                *service.aws.notices,
                *service.api.notices,
                authorization_notice(service.api),
                _events_notice(service, options.events_file),
            ):
                if notice is not None:
                    print(notice, file=sys.stderr, flush=True)
            if service.seeded is not None:
                skipped = service.seeded.skipped
                print(
                    f"Seeded {service.seeded.created} items from {options.seed}"
                    + (f" ({skipped} already there)" if skipped else ""),
                    file=sys.stderr,
                    flush=True,
                )
            print(
                f"Serving {service.api.stack_name} on {service.url} "
                f"(DynamoDB: {service.aws.dynamodb}; Ctrl-C to stop)",
                file=access_log,
                flush=True,
            )
            if options.watch is None:
                _wait_for_a_signal()
            else:
                _watch(service, options.watch, stack, Path.cwd())
    except TemplateError as error:
        raise _Fatal(str(error)) from error
    except OSError as error:
        raise _Fatal(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


def _wait_for_a_signal() -> None:
    """Wait until a signal's handler raises, in short naps.

    The kernel may deliver SIGINT to any of the process's threads (the server's, the
    pipes'); one waiting on a lock in the main thread is then not woken, and Python runs
    the handler only when the main thread next runs (seen: 1 in 6 starts on moto kept
    serving after Ctrl-C). A nap ends at least every SIGNAL_CHECK seconds.
    """
    while True:
        time.sleep(SIGNAL_CHECK)


#: How long Ctrl-C may wait for the main thread to notice it (seconds).
SIGNAL_CHECK = 0.2
#: How often ``--watch`` looks at the app's files (seconds).
WATCH_INTERVAL = 0.5
_NOT_SOURCES = frozenset({"cdk.out", "node_modules", "__pycache__"})


def _sources(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file of the app's folder with its modification time and size.

    Hidden folders (``.venv``, ``.git``), ``cdk.out``, ``node_modules`` and caches are
    not the app's sources.
    """
    found = {}
    for root, folders, files in os.walk(folder):
        folders[:] = [
            name
            for name in folders
            if not name.startswith(".")
            and name not in _NOT_SOURCES
            and not name.startswith("cdk.out")
        ]
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                info = os.stat(path)
                found[path] = (info.st_mtime_ns, info.st_size)
    return found


def _watch(service: RunningService, app: str, stack: str | None, folder: Path) -> None:
    """Serve, synthesizing again and reloading whenever a file of ``folder`` changes.

    A change that fails to synthesize, or that local mode cannot serve, is one line on
    stderr, and the previous version stays served.
    """
    seen = _sources(folder)
    while True:
        time.sleep(WATCH_INTERVAL)
        current = _sources(folder)
        if current == seen:
            continue
        seen = current
        print("Files changed: synthesizing again", file=sys.stderr, flush=True)
        try:
            notices = service.reload(_synthesize(app), stack)
        except (_Fatal, TemplateError) as error:
            print(
                f"serverless-crud: error: {error}; still serving the previous version",
                file=sys.stderr,
                flush=True,
            )
            continue
        for notice in notices:
            print(notice, file=sys.stderr, flush=True)
        print(f"Reloaded {service.api.stack_name} on {service.url}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
