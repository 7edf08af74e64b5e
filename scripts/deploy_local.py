"""The deploy rehearsal: the real CDK CLI deploys the example app into MiniStack.

``make deploy-local`` runs this script. It starts MiniStack (from ``.tools/emulator``,
pinned by ``scripts/emulator/requirements.txt``) on a free loopback port, with IAM
enforced (``AUTH=true``) and so over HTTPS, then ``cdk bootstrap`` and ``cdk deploy``
with the project's pinned CLI, prints the deployed API's URL and keeps the emulator
running until Ctrl-C. Nothing reaches AWS: every endpoint is the emulator's.

The deploy test (``tests/deploy``) drives the same functions. docs/deploying.md says what
the rehearsal verifies and what it does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
APP_DIR = REPO / "example_app"
APP = "python rehearsal.py"
STACK = "ServerlessCrudExample"
EMULATOR = REPO / ".tools" / "emulator"
REQUIREMENTS = REPO / "scripts" / "emulator" / "requirements.txt"
CDK = REPO / "node_modules" / ".bin" / "cdk"
HOST = "127.0.0.1"
ACCOUNT = "000000000000"  # MiniStack's account
REGION = "us-east-1"
# MiniStack accepts the root key "test" with any secret; it is never a real credential.
ACCESS_KEY = "test"
READY_TIMEOUT = 60.0
CLI_TIMEOUT = 600.0  # one bootstrap, deploy or destroy; on 2 cores each takes under 30 s
LOOPBACK = "127.0.0.1,localhost"
# What MiniStack is given of this shell's environment; the rest (its own settings such as
# MINISTACK_ACCOUNT_ID, LAMBDA_EXECUTOR, DOCKER_HOST or PERSIST_STATE, and any AWS_*) is
# left out, so the rehearsal is the same everywhere: in memory, no Docker.
EMULATOR_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "SSL_CERT_FILE", "SSL_CERT_DIR")
# The README's example, printed as it is there.
CURL = (
    f'curl --cacert "$CA" --aws-sigv4 aws:amz:{REGION}:execute-api --user test:test '
    '-H \'Content-Type: application/json\' -d \'{"name": "first"}\' "$API/items"'
)


class RehearsalError(Exception):
    """A step of the rehearsal failed; the message is the one line the user sees."""


@dataclass(frozen=True)
class Emulator:
    """A running MiniStack: its endpoint, its certificate and its working directory.

    ``secure`` (the rehearsal's way): IAM policies evaluated, over HTTPS. Without it,
    plain HTTP and no IAM: MiniStack 1.5.33's Cognito authorizer fetches its pools' keys
    over plain HTTP from its own port, so it verifies tokens only on an HTTP emulator.
    """

    port: int
    workdir: Path
    certificate: Path
    process: subprocess.Popen[bytes]
    secure: bool = True

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.secure else 'http'}://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "ministack.log"

    def environment(self) -> dict[str, str]:
        """What the CDK CLI and boto3 need to talk to this emulator, and only to it."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "CDK_DEFAULT_"))
        }
        bin_dirs = [Path(sys.executable).parent, CDK.parent]
        return (
            env
            | {
                "PATH": os.pathsep.join([*map(str, bin_dirs), env.get("PATH", "")]),
                # A proxy in the environment must not see loopback calls.
                "NO_PROXY": LOOPBACK,
                "no_proxy": LOOPBACK,
                "JSII_NODE": env.get("JSII_NODE", str(CDK.parent / "node")),
                "CDK_DISABLE_CLI_TELEMETRY": "true",
                # The CLI caches the account per access key under ~/.cdk: a home of its own
                # keeps another emulator's (or AWS's) answer out.
                "HOME": str(self.workdir / "home"),
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            | (
                {
                    "AWS_CA_BUNDLE": str(self.certificate),
                    "NODE_EXTRA_CA_CERTS": str(self.certificate),
                }
                if self.secure
                else {}
            )
        )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((HOST, port)) != 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _ready(url: str, certificate: Path | None) -> bool:
    try:
        context = (
            None if certificate is None else ssl.create_default_context(cafile=str(certificate))
        )
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, ssl.SSLError, urllib.error.URLError):
        return False  # not up yet, or its certificate is still being written


def _uv() -> str:
    pinned = REPO / ".tools" / "bin" / "uv"  # the Makefile's UV_VERSION
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    if found is None:
        raise RehearsalError("uv is missing: run `make install`")
    return found


def install_emulator() -> Path:
    """MiniStack's own virtualenv, installed or brought up to date; its interpreter.

    Its own, because MiniStack pins its own botocore and runs the Lambdas with its own
    interpreter, which needs boto3. Every package is pinned by hash in REQUIREMENTS; the
    stamp holds the hash of the file it was installed from.
    """
    python = EMULATOR / "bin" / "python"
    stamp = EMULATOR / ".installed"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    uv = _uv()
    print(f"deploy-local: installing the emulator into {EMULATOR}", flush=True)
    venv = ["venv", "--quiet", "--allow-existing", "--python", sys.executable, str(EMULATOR)]
    sync = ["pip", "sync", "--quiet", "--require-hashes", "--python", str(python)]
    for command in ([uv, *venv], [uv, *sync, str(REQUIREMENTS)]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RehearsalError(f"installing the emulator failed: {failure_line(done.stderr)}")
    stamp.write_text(wanted)
    return python


@contextmanager
def emulator(workdir: Path, port: int | None = None, *, secure: bool = True) -> Iterator[Emulator]:
    """MiniStack on ``HOST:port`` (a free port by default), stopped on exit; ``secure``:
    with IAM and HTTPS (see ``Emulator``)."""
    if port is not None and not port_is_free(port):
        raise RehearsalError(f"{HOST}:{port} is already in use: pick another EMULATOR_PORT")
    python = install_emulator()
    if port is None:
        port = free_port()
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    env = {key: os.environ[key] for key in EMULATOR_ENVIRONMENT if key in os.environ} | {
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
        "MINISTACK_ACCOUNT_ID": ACCOUNT,
        "MINISTACK_REGION": REGION,
        "BIND_HOST": HOST,
        "GATEWAY_PORT": str(port),
        # IAM policies are evaluated; it needs HTTPS (see docs/deploying.md)
        **({"AUTH": "true", "USE_SSL": "1"} if secure else {}),
        "TMPDIR": str(workdir),  # its self-signed certificate and pid file live here
        "LOG_LEVEL": "WARNING",
    }
    with (workdir / "ministack.log").open("wb") as log:
        process = subprocess.Popen(
            # MiniStack, with one fix of its CloudFormation (see ministack_run.py)
            [str(python), str(Path(__file__).parent / "emulator" / "ministack_run.py")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    certificate = workdir / "ministack-tls" / "server.crt"
    running = Emulator(port, workdir, certificate, process, secure)
    try:
        _wait_until_ready(running)
        yield running
    finally:
        _stop(process)


def _wait_until_ready(running: Emulator) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RehearsalError(
                f"MiniStack exited with {running.process.returncode}: {_last_line(running.log)}"
            )
        certificate = running.certificate if running.secure else None
        if (certificate is None or certificate.exists()) and _ready(
            f"{running.endpoint}/_localstack/health", certificate
        ):
            return
        time.sleep(0.2)
    raise RehearsalError(f"MiniStack was not ready in {READY_TIMEOUT:g} s (log: {running.log})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop MiniStack and its Lambda workers: its whole process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break  # the group is gone
        try:
            process.wait(timeout=10)
            # The workers share the group; the leader's exit does not end them.
            os.killpg(process.pid, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            pass
        break


def _last_line(path: Path) -> str:
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "(no output)")


def failure_line(output: str) -> str:
    """The line of a CDK CLI run that says why it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if "Failed resources:" in lines:
        # "Stack | time | CREATE_FAILED | type | path (logical id) reason": the first one.
        rows = lines[lines.index("Failed resources:") + 1 :]
        failed = next((row for row in rows if row.count("|") >= 4), None)
        if failed is not None:
            columns = [column.strip() for column in failed.split("|")]
            return f"{columns[0]} failed: {columns[-1]}"
    for marker in ("❌", "failed:", "Error:", "error:"):
        found = [line for line in lines if marker in line]
        if found:
            return found[-1].lstrip("❌ ").strip()
    return lines[-1] if lines else "(no output)"


def cdk(running: Emulator, *args: str, step: str) -> str:
    """Run the pinned CDK CLI in the example app's folder against the emulator."""
    log = running.workdir / f"cdk-{step}.log"
    runs = 1
    while log.exists():  # every run's log is kept
        runs += 1
        log = running.workdir / f"cdk-{step}-{runs}.log"
    command = [str(CDK), *args, "--no-notices", "--ci"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=APP_DIR, env=running.environment(), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            returncode = process.wait(timeout=CLI_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RehearsalError(
                f"cdk {step} did not finish in {CLI_TIMEOUT:g} s (log: {log})"
            ) from None
        finally:
            if process.poll() is None:  # timed out or interrupted: the CLI goes too
                process.kill()
                process.wait()
    output = log.read_text()
    if returncode != 0:
        raise RehearsalError(f"cdk {step} failed: {failure_line(output)} (log: {log})")
    return output


def bootstrap(running: Emulator) -> None:
    # An assembly directory of its own: the CLI locks cdk.out, which `make run` may hold.
    assembly = running.workdir / "bootstrap.out"
    cdk(running, "bootstrap", f"aws://{ACCOUNT}/{REGION}", f"--output={assembly}", step="bootstrap")


def deploy(
    running: Emulator,
    outputs_file: Path,
    *,
    assembly: Path,
    context: Mapping[str, str] | None = None,
    stack: str = STACK,
) -> dict[str, str]:
    """``cdk deploy`` of ``stack`` of the rehearsal app; the stack's outputs."""
    options = [f"--context={key}={value}" for key, value in (context or {}).items()]
    cdk(
        running,
        "deploy",
        stack,
        f"--app={APP}",
        f"--output={assembly}",
        "--require-approval=never",
        f"--outputs-file={outputs_file}",
        *options,
        step="deploy",
    )
    try:
        outputs: dict[str, str] = json.loads(outputs_file.read_text())[stack]
    except (OSError, ValueError, KeyError) as error:
        raise RehearsalError(f"cdk deploy wrote no outputs for {stack} ({error})") from None
    return outputs


def destroy(
    running: Emulator,
    *,
    assembly: Path,
    stack: str = STACK,
    context: Mapping[str, str] | None = None,
) -> None:
    """``cdk destroy`` of ``stack`` of the rehearsal app."""
    options = [f"--context={key}={value}" for key, value in (context or {}).items()]
    cdk(
        running,
        "destroy",
        stack,
        f"--app={APP}",
        f"--output={assembly}",
        "--force",
        *options,
        step="destroy",
    )


def output(outputs: Mapping[str, str], prefix: str) -> str:
    """The one output whose logical id starts with ``prefix`` (CDK adds a hash)."""
    found = [value for key, value in outputs.items() if key.startswith(prefix)]
    if len(found) != 1:
        raise RehearsalError(f"the stack has {len(found)} outputs named {prefix}*, not one")
    return found[0]


def execute_api_url(running: Emulator, api_url: str) -> str:
    """The emulator's form of a deployed stage URL ``https://<id>.execute-api...<stage>/``."""
    parts = urlsplit(api_url)
    api_id = (parts.hostname or "").split(".")[0]
    return f"{running.endpoint}/_aws/execute-api/{api_id}{parts.path.rstrip('/')}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_for_interrupt() -> None:
    while True:
        signal.pause()  # until SIGINT, SIGTERM or SIGHUP raises KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, help="the emulator's port (default: a free one)")
    parser.add_argument(
        "--install", action="store_true", help="only install the emulator into .tools/emulator"
    )
    args = parser.parse_args(argv)
    if args.install:
        try:
            print(f"deploy-local: the emulator is installed in {install_emulator()}")
        except RehearsalError as error:
            print(f"deploy-local: {error}", file=sys.stderr)
            return 1
        return 0
    # Ctrl-C, `kill` and a closed terminal all stop the emulator the same way; SIGINT
    # too when started from a script's background job, which inherits it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="deploy-local-"))
    outputs_file = APP_DIR / "cdk-outputs.json"
    try:
        with emulator(workdir, args.port) as running:
            print(f"deploy-local: MiniStack is up at {running.endpoint} (logs: {workdir})")
            started = time.monotonic()
            bootstrap(running)
            print(f"deploy-local: bootstrapped aws://{ACCOUNT}/{REGION}")
            # Not example_app/cdk.out, which `make run` synthesizes and locks.
            outputs = deploy(running, outputs_file, assembly=workdir / "cdk.out")
            for line in (workdir / "cdk-deploy.log").read_text().splitlines():
                if line.startswith("rehearsal:"):
                    print(f"deploy-local: {line.removeprefix('rehearsal: ')}")
            url = execute_api_url(running, output(outputs, "ItemsApiUrl"))
            print(
                f"deploy-local: deployed {STACK} in {time.monotonic() - started:.0f} s "
                f"(outputs: {outputs_file.relative_to(REPO)})\n"
                "\nThe API, and the certificate authority of the emulator's HTTPS:\n"
                f"  export API={url} CA={running.certificate}\n"
                "A signed request (MiniStack's test credentials):\n"
                f"  {CURL}\n"
                "\nCtrl-C stops the emulator; its data is in memory and goes with it.",
                flush=True,
            )
            _wait_for_interrupt()
    except RehearsalError as error:
        # The logs stay, for the reader of the line.
        print(f"deploy-local: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("deploy-local: stopped", flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
