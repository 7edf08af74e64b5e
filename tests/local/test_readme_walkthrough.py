"""The README's curl walkthrough works against local mode exactly as written."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from cdk_serverless_crud.local.server import RunningService

README = Path(__file__).resolve().parents[2] / "README.md"
LOCAL_API = "API=http://127.0.0.1:3000/prod"


def _walkthrough() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith(LOCAL_API)]
    return block


def test_readme_curl_walkthrough(service: tuple[RunningService, io.StringIO]) -> None:
    script = _walkthrough().replace(LOCAL_API, f"API={service[0].url}", 1)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    statuses = re.findall(r"HTTP/1\.1 (\d{3})", result.stdout)
    # create, update, delete, restore, patch, create with an id, a keyed POST and its retry
    assert statuses == ["201", "200", "204", "200", "200", "201", "201", "201"]
    assert result.stdout.count("Idempotent-Replayed: true") == 1
    assert '"price":4.5}' in result.stdout.replace(" ", "")
    assert '"deleted":true' in result.stdout.replace(" ", "")
    # The first version: GET, /versions, /versions/{first}, ?as_of=first and the restore show it
    assert result.stdout.replace(" ", "").count('"name":"gadget"}') == 5
    assert result.stdout.replace(" ", "").count('"name":"once"}') == 2
