"""``--state-dir``: local mode's data kept across restarts, and across a crash.

The tables live in DynamoDB Local's SQLite file (``-dbPath``), which it commits to after
each write (see below). S3 is moto's, in memory, kept in two files beside it:

- ``s3.journal``, a write-ahead journal. After a call that may have changed an object,
  and before moto's answer leaves, the object's key is appended with all of its
  versions (a delete marker is one), and the file is fsynced. The item function puts a
  body to S3 before its DynamoDB transaction commits the item, so an item DynamoDB
  Local kept finds its body after ``kill -9`` too. A record holds the key's whole
  state, not the change: replaying it twice changes nothing, and a write costs the size
  of that key's versions, not of the bucket.
- ``s3.pickle``, a snapshot of every bucket, written when local mode stops and, while
  it runs, once the journal has outgrown the last snapshot (``SNAPSHOT_AFTER_BYTES``;
  to a temporary file, fsynced, then renamed). The journal is
  emptied right after, under the lock moto serves each call under, so no call falls
  between the two. A crash between the rename and the emptying leaves records the
  snapshot already holds; each key's last record is what the snapshot holds, so
  replaying them changes nothing.

At start the snapshot is loaded and the journal replayed over it, in order. A record
cut short by a crash mid-append was never acknowledged: it is dropped, and the file cut
back to its last whole record so that new records follow a readable one. An append the
disk refuses is cut back at once, and the call answered 500.

Calls on a bucket rather than an object are not journaled: ``create_resources`` makes
the template's buckets and their versioning again at every start, and local mode sets
nothing else on them; the next snapshot keeps them, and a replayed record whose bucket
the snapshot lacks (a crash before the first one) creates it. A POST on a bucket
(DeleteObjects, a browser upload) is the exception: it changes objects named in its
body, so it writes a snapshot before its answer leaves.

DynamoDB Local answers a write a few milliseconds before its SQLite commit, which runs
on another thread: SIGKILL of DynamoDB Local itself in that window (or a power cut)
loses the write, and the item is then absent, its body unreferenced in S3. When local
mode dies, even by ``kill -9``, DynamoDB Local gets SIGTERM (``dynamodb_local.py``) and
commits before it stops.

moto has no persistence of its own, so this reads its S3 backend directly, which ties
it to moto's internals: a versioned bucket keeps every version of a key in a
``_VersionedKeyStore``, a dict whose pickling would keep only the latest, so the pickler
below keeps them all; and a call's bucket and key are read with moto's own parsing
(path-style, which local mode's boto3 clients send to a loopback address, or
virtual-host). ``tests/local/test_local_state.py`` checks versions, delete markers and
encoded keys across a crash, so a moto upgrade that changes these fails there first.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.core.request import Request
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response
from moto.s3.responses import parse_key_name as host_style_key
from moto.s3.utils import _VersionedKeyStore
from moto.s3.utils import bucket_name_from_url as host_style_bucket
from moto.s3bucket_path.utils import bucket_name_from_url as path_style_bucket
from moto.s3bucket_path.utils import parse_key_name as path_style_key

from .events import ACCOUNT_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: How often a background thread looks whether to save a snapshot (seconds).
SAVE_EVERY = 1.0
#: A snapshot is saved once the journal holds more than this, or more than the last
#: snapshot: its cost grows with the bucket (about 1 s at 10,000 objects of 50 KB) and
#: holds moto's lock, while the journal already makes every write durable. So a save
#: costs at most as much as the writes since the last one, and a start replays at most
#: a snapshot's worth of journal.
SNAPSHOT_AFTER_BYTES = 64 * 1024 * 1024
_S3_FILE = "s3.pickle"
_JOURNAL_FILE = "s3.journal"
_FORMAT = 1  # bump when what is saved changes
#: Before each journal record: its length and CRC-32, to find where a torn one starts.
_HEADER = struct.Struct(">QI")
#: The service a SigV4 signature is for: ``Credential=KEY/DATE/REGION/SERVICE/aws4_request``.
_SIGNED_FOR = re.compile(r"Credential=[^/\s]*/[^/]*/[^/]*/([^/]*)/aws4_request")


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
    """Put the saved buckets back into moto, then the journal's objects; False when
    nothing was saved."""
    path = state_dir / _S3_FILE
    loaded = False
    if path.is_file():
        with path.open("rb") as saved:
            version, buckets, accounts = pickle.load(saved)
        if version == _FORMAT:
            _backend().buckets.update(buckets)
            s3_backends.bucket_accounts.update(accounts)
            loaded = True
    return _replay(state_dir / _JOURNAL_FILE) or loaded


def save_s3(state_dir: Path) -> None:
    """Write moto's buckets to the state folder durably, then empty the journal.

    Atomic (a temporary file, fsynced, renamed). Run it under moto's lock, so that no
    call is journaled between the snapshot and the emptying.
    """
    path = state_dir / _S3_FILE
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        _Pickler(out).dump((_FORMAT, _backend().buckets, dict(s3_backends.bucket_accounts)))
        _sync(out)
    os.replace(partial, path)
    _sync_folder(state_dir)
    with contextlib.suppress(FileNotFoundError), (state_dir / _JOURNAL_FILE).open("r+b") as log:
        log.truncate(0)
        _sync(log)


class S3Journal:
    """``s3.journal``: what each S3 call changed, on disk before moto answers it.

    ``note`` must run under the lock moto serves each call under, after moto has
    handled the call and before its answer is sent (``aws.moto_server`` does both).
    """

    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        path = state_dir / _JOURNAL_FILE
        created = not path.exists()
        self._file = path.open("ab", buffering=0)
        if created:
            _sync_folder(state_dir)  # the file's name must outlive a crash, as its records do

    def note(self, environ: WSGIEnvironment) -> None:
        """Make what this call may have changed durable (see the module's docstring)."""
        target = s3_target(environ)
        if target is None:
            return
        bucket, key = target
        if key:
            self.append(bucket, key)
        elif environ["REQUEST_METHOD"] == "POST":
            save_s3(self._state_dir)

    def append(self, bucket_name: str, key: str) -> None:
        """Append ``key`` with all its versions (none: it is gone); return once on disk."""
        bucket = _backend().buckets.get(bucket_name)
        if bucket is None:
            return  # the call failed with NoSuchBucket: nothing changed
        versions = list(bucket.keys.getlist(key, []))
        buffer = io.BytesIO()
        buffer.seek(_HEADER.size)
        _Pickler(buffer).dump((_FORMAT, bucket_name, bucket.region_name, key, versions))
        record = buffer.getbuffer()
        _HEADER.pack_into(record, 0, len(record) - _HEADER.size, zlib.crc32(record[_HEADER.size :]))
        descriptor = self._file.fileno()
        end = os.fstat(descriptor).st_size
        try:
            written = 0
            while written < len(record):
                written += os.write(descriptor, record[written:])
            os.fsync(descriptor)
        except BaseException:
            # A record cut short ends the journal at replay: cut it off, or the records
            # after it, acknowledged, would be lost. The caller then answers 500.
            os.ftruncate(descriptor, end)
            raise

    def size(self) -> int:
        """The journal's bytes: what a start would replay over the snapshot."""
        return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        """Close the file; every record is already on disk."""
        self._file.close()


def s3_target(environ: WSGIEnvironment) -> tuple[str, str] | None:
    """The bucket and key an S3 call addressed, read as moto reads them.

    The key is ``""`` for a call on the bucket itself. None for another service's call,
    or one on no bucket.
    """
    signed = _SIGNED_FOR.search(environ.get("HTTP_AUTHORIZATION", ""))
    if signed is not None and signed[1] != "s3":
        return None  # moto takes an unsigned call for S3, and so does this
    request = Request(environ)
    path = unquote(request.raw_path)
    if S3Response.subdomain_based_buckets(request):
        bucket, key = host_style_bucket(request.raw_url), host_style_key(path)
    else:
        bucket, key = path_style_bucket(request.raw_url), path_style_key(path)
    return (bucket, key) if bucket else None


def _replay(path: Path) -> bool:
    """Apply the journal's whole records in order and cut off a torn last one; False
    when it holds none."""
    if not path.is_file():
        return False
    replayed = False
    with path.open("r+b") as log:
        size = os.fstat(log.fileno()).st_size
        while (record := _next_record(log, size)) is not None:
            _apply(pickle.loads(record))
            replayed = True
        if log.tell() < size:
            log.truncate(log.tell())
            _sync(log)
    return replayed


def _next_record(log: IO[bytes], size: int) -> bytes | None:
    """The next record of a journal of ``size`` bytes, or None at its end or at a record
    cut short; the file's position is then past the last whole record."""
    start = log.tell()
    header = log.read(_HEADER.size)
    if len(header) == _HEADER.size:
        length, checksum = _HEADER.unpack(header)
        # Zero (a tail a crash left zero-filled) or past the end (torn): not a record.
        if 0 < length <= size - log.tell():
            record = log.read(length)
            if zlib.crc32(record) == checksum:
                return record
    log.seek(start)
    return None


def _apply(entry: tuple[int, str, str, str, list[Any]]) -> None:
    """Set one key to the versions a record holds, creating its bucket if missing."""
    version, bucket_name, region, key, versions = entry
    if version != _FORMAT:
        return  # as a snapshot of another format is
    backend = _backend()
    bucket = backend.buckets.get(bucket_name) or backend.create_bucket(bucket_name, region)
    if versions:
        bucket.keys.setlist(key, versions)
    elif key in bucket.keys:
        bucket.keys.pop(key)


def _sync(file: IO[bytes]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so that the names created or renamed in it survive a crash.

    Windows cannot open a folder (it has no ``O_DIRECTORY``): there a new name is as
    durable as the file system makes it.
    """
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def saving_s3(state_dir: Path, lock: threading.Lock) -> Iterator[Callable[[WSGIEnvironment], None]]:
    """Journal each S3 write, save a snapshot shortly after and on exit; yield the
    function to call after each call that may have written, before its answer is sent.

    ``lock`` is the one moto's server serves each call under, so a save never sees a
    write half done and the journal sees one call at a time.
    """
    dirty = threading.Event()
    stopping = threading.Event()

    def save() -> None:
        with lock:
            dirty.clear()
            save_s3(state_dir)

    def due(journal: S3Journal) -> bool:
        snapshot = state_dir / _S3_FILE
        last = snapshot.stat().st_size if snapshot.is_file() else 0
        return journal.size() > max(SNAPSHOT_AFTER_BYTES, last)

    def loop(journal: S3Journal) -> None:
        while not stopping.wait(SAVE_EVERY):
            if dirty.is_set() and due(journal):
                save()

    with contextlib.closing(S3Journal(state_dir)) as journal:

        def written(environ: WSGIEnvironment) -> None:
            journal.note(environ)
            dirty.set()

        thread = threading.Thread(target=loop, args=(journal,), name="s3-state", daemon=True)
        thread.start()
        try:
            yield written
        finally:
            stopping.set()
            thread.join()
            save()
