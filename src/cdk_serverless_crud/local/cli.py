"""``serverless-crud local``: serve a synthesized app on this machine, no AWS, no Docker."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from .gateway import authorization_notice
from .server import serve_local
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
    args = parser.parse_args(argv)
    try:
        cdk_out = _synthesize(args.app) if args.app else (args.cdk_out or Path("cdk.out"))
        return _serve(cdk_out, args.host, args.port, args.stack)
    except _Fatal as error:
        print(f"serverless-crud: error: {error}", file=sys.stderr)
        return 1


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


def _serve(cdk_out: Path, host: str, port: int, stack: str | None) -> int:
    """Serve until Ctrl-C: the access log on stdout, the function's own logs on stderr."""
    access_log = sys.stdout
    try:
        with (
            contextlib.redirect_stdout(sys.stderr),
            serve_local(cdk_out, host=host, port=port, stack=stack, log=access_log) as service,
        ):
            notice = authorization_notice(service.api)
            if notice is not None:
                print(notice, file=sys.stderr, flush=True)
            print(
                f"Serving {service.api.stack_name} on {service.url}  (Ctrl-C to stop)",
                file=access_log,
                flush=True,
            )
            threading.Event().wait()
    except TemplateError as error:
        raise _Fatal(str(error)) from error
    except OSError as error:
        raise _Fatal(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
