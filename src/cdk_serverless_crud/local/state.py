"""``--state-dir``: local mode's data kept across restarts.

The tables live in DynamoDB Local's SQLite file (``-dbPath``), written as each request
commits. S3 is moto's, in memory: its buckets are saved to ``s3.pickle`` within a
second or two of each write, and when local mode stops, and loaded when it starts.

moto has no persistence of its own, so this reads its S3 backend directly, which ties
it to moto's internals: a versioned bucket keeps every version of a key in a
``_VersionedKeyStore``, a dict whose pickling would keep only the latest. The pickler
below keeps them all; ``tests/local/test_local_state.py`` checks that versions survive
a restart, so a moto upgrade that changes this fails there first.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from moto.s3.models import s3_backends
from moto.s3.utils import _VersionedKeyStore

from .events import ACCOUNT_ID

#: How often a background thread saves S3 after a write (seconds).
SAVE_EVERY = 1.0
_S3_FILE = "s3.pickle"
_FORMAT = 1  # bump when what is saved changes


def dynamodb_dir(state_dir: Path) -> Path:
    """Where DynamoDB Local keeps its SQLite file."""
    return state_dir / "dynamodb"


def _versioned_store(lists: dict[str, list[Any]]) -> _VersionedKeyStore:
    store = _VersionedKeyStore()
    for key, versions in lists.items():
        store.setlist(key, versions)
    return store


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _VersionedKeyStore):
            lists = {key: list(dict.__getitem__(obj, key)) for key in dict.keys(obj)}
            return _versioned_store, (lists,)
        return NotImplemented


def _backend() -> Any:
    return s3_backends[ACCOUNT_ID]["aws"]


def load_s3(state_dir: Path) -> bool:
    """Put the saved buckets back into moto; False when nothing was saved."""
    path = state_dir / _S3_FILE
    if not path.is_file():
        return False
    with path.open("rb") as saved:
        version, buckets, accounts = pickle.load(saved)
    if version != _FORMAT:
        return False
    _backend().buckets.update(buckets)
    s3_backends.bucket_accounts.update(accounts)
    return True


def save_s3(state_dir: Path) -> None:
    """Write moto's buckets to the state folder, atomically (a temporary file renamed)."""
    buffer = io.BytesIO()
    _Pickler(buffer).dump((_FORMAT, _backend().buckets, dict(s3_backends.bucket_accounts)))
    path = state_dir / _S3_FILE
    partial = path.with_suffix(".partial")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


@contextlib.contextmanager
def saving_s3(state_dir: Path, lock: threading.Lock) -> Iterator[Callable[[], None]]:
    """Save S3 shortly after each write and on exit; yield the function that marks a write.

    ``lock`` is the one moto's server serves each call under, so a save never sees a
    write half done.
    """
    dirty = threading.Event()
    stopping = threading.Event()

    def save() -> None:
        with lock:
            dirty.clear()
            save_s3(state_dir)

    def loop() -> None:
        while not stopping.wait(SAVE_EVERY):
            if dirty.is_set():
                save()

    thread = threading.Thread(target=loop, name="s3-state", daemon=True)
    thread.start()
    try:
        yield dirty.set
    finally:
        stopping.set()
        thread.join()
        save()
