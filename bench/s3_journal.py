"""What ``--state-dir``'s S3 journal costs a write, and how that grows with the bucket.

``python -m bench.s3_journal [--quick] [--dir DIR]`` sends 500 KB PutObjects (the size
of an offloaded item body) to local mode's moto server (``aws.moto_server``), in pairs:
one with the journal wired as ``--state-dir`` wires it, one without, back to back so the
machine's load cancels. It does so with 10, 1,000 and 10,000 objects of 50 KB already
in the bucket, and prints the median time of each, their difference (the journal's cost
per write: a pickle of the key's versions, a write and an fsync) and what one snapshot
of the bucket (``state.save_s3``) takes at that size. The state folder is a temporary
one in ``DIR`` (default: the system's), so run it on the disk you mean to measure.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

from cdk_serverless_crud.local import state
from cdk_serverless_crud.local.aws import moto_server
from cdk_serverless_crud.local.environment import MASKED, MOTO_ENVIRONMENT, patched_environ

from .common import median

BODY = b"x" * 500_000
STORED = b"s" * 50_000
BUCKET = "journal-bench"


@contextlib.contextmanager
def _server(writes: list[Callable[[Any], None]]) -> Iterator[Any]:
    """moto's server as local mode runs it, with a boto3 S3 client and an empty bucket."""
    with (
        patched_environ(MOTO_ENVIRONMENT, unset=MASKED),
        moto_server("127.0.0.1", threading.Lock(), writes) as endpoint,
    ):
        # moto keeps its state per process: start from none, as local mode does
        urllib.request.urlopen(
            urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30
        ).close()
        s3 = boto3.session.Session().client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield s3


def _fill(s3: Any, objects: int) -> None:
    for n in range(objects):
        s3.put_object(Bucket=BUCKET, Key=f"stored/{n}.json", Body=STORED)


def _put_seconds(s3: Any, key: str) -> float:
    start = time.perf_counter()
    s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)
    return time.perf_counter() - start


def measure(objects: int, pairs: int, folder: Path) -> dict[str, float]:
    """Median PUT time with and without the journal, and one snapshot's time."""
    writes: list[Callable[[Any], None]] = []
    with (
        tempfile.TemporaryDirectory(dir=folder) as scratch,
        contextlib.closing(state.S3Journal(Path(scratch))) as journal,
        _server(writes) as s3,
    ):
        _fill(s3, objects)  # not journaled: the bucket as a snapshot would hold it
        plain, journaled = [], []
        for n in range(pairs):
            writes.clear()
            plain.append(_put_seconds(s3, f"plain/{n}.json"))
            writes.append(journal.note)
            journaled.append(_put_seconds(s3, f"journaled/{n}.json"))
        start = time.perf_counter()
        state.save_s3(Path(scratch))
        snapshot = time.perf_counter() - start
    return {
        "without": median(plain),
        "with": median(journaled),
        "overhead": median([j - p for j, p in zip(journaled, plain, strict=True)]),
        "snapshot": snapshot,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.s3_journal")
    parser.add_argument("--quick", action="store_true", help="a smoke test: fewer pairs")
    parser.add_argument("--dir", type=Path, default=None, help="where the state folder goes")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per call otherwise
    pairs = 5 if args.quick else 50
    folder = args.dir or Path(tempfile.gettempdir())
    print(f"500 KB PutObject, {pairs} pairs, state folder in {folder}")
    print("objects in bucket | without journal | with journal | overhead | one snapshot")
    for objects in (10, 1_000, 10_000):
        result = measure(objects, pairs, folder)
        print(
            f"{objects:>17,} | {result['without'] * 1000:>12.2f} ms | "
            f"{result['with'] * 1000:>9.2f} ms | {result['overhead'] * 1000:>5.2f} ms | "
            f"{result['snapshot'] * 1000:>9.0f} ms"
        )


if __name__ == "__main__":
    main()
