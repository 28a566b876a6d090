"""Create, verify and restore a backup (docs/backup.md): streamed, so that memory stays
bounded whatever the store holds.

Restore reads the file twice: once to check all of it (a wrong passphrase, a damaged or cut
short file is refused before anything is written), then to write. It never replaces an
object: one already stored with the same bytes (and tags) counts as present, which makes a
second run finish what an interrupted one began; one that differs is left alone and named.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from functions.errors import AlreadyExists, Denied, NotFound
from functions.storage import ObjectInfo
from functions.storage.local import link_new
from wbs.backup import BackupError
from wbs.backup.archive import FORMAT, PIECE, Entry, Info, Reader, Writer
from wbs.backup.stores import Store

Advance = Callable[[int], None]  # counts bytes done, for a progress bar


def _still(done: int) -> None:
    return None


@dataclass
class Created:
    objects: int = 0
    bytes: int = 0
    vanished: int = 0  # listed, then gone before they were read (expired proofs)


@dataclass
class Verified:
    info: Info
    objects: int = 0
    bytes: int = 0
    tagged: int = 0


@dataclass
class Restored:
    restored: int = 0
    bytes: int = 0
    present: int = 0  # already stored, the same bytes and tags
    differ: list[str] = field(default_factory=list)  # stored otherwise: left alone
    untagged: int = 0  # tags a store without tags (a folder) could not keep


def create(
    store: Store,
    listing: list[ObjectInfo],
    source: str,
    path: Path,
    passphrase: str,
    progress: Advance = _still,
) -> Created:
    """Write the objects of ``listing`` (``store.objects()``), with their tags, into a new
    file ``path`` (never replacing one: it appears complete or not at all)."""
    done = Created()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def write(out: BinaryIO) -> None:
        writer = Writer(out, passphrase)
        writer.record({"type": "backup", "format": FORMAT, "created": now, "source": source})
        for info in listing:
            try:
                tags = store.tags(info.key)
                stream = store.open(info.key)
            except NotFound:
                done.vanished += 1  # a spent proof expired since the listing: not needed
                progress(info.size)
                continue
            except Denied:
                raise BackupError(
                    f"the storage refuses {info.key} to these credentials",
                    hint="back up with credentials that may read every object and its tags"
                    " (docs/backup.md), not an inspector's per-desk ones",
                ) from None
            writer.record({"type": "object", "key": info.key, "size": info.size, "tags": tags})
            hasher, size = hashlib.sha256(), 0
            try:
                while piece := stream.read(PIECE):
                    size += len(piece)
                    if size > info.size:
                        break
                    hasher.update(piece)
                    writer.write(piece)
                    progress(len(piece))
            finally:
                stream.close()
            if size != info.size:
                raise BackupError(
                    f"{info.key} changed while it was read ({size} bytes, listed {info.size})",
                    hint="stored objects never change: check the store, then back up again",
                )
            writer.write(hasher.digest())
            done.objects += 1
            done.bytes += size
        writer.record({"type": "end", "objects": done.objects, "bytes": done.bytes})
        writer.close()

    try:
        link_new(path, write)
    except FileExistsError:
        raise BackupError(
            f"{path} already exists", hint="name a new file: a backup never replaces one"
        ) from None
    return done


def verify(
    path: Path,
    passphrase: str,
    progress: Advance = _still,
    each: Callable[[Entry], None] | None = None,
) -> Verified:
    """Read and check all of ``path``; ``each`` sees every object once it is checked."""
    with _open(path, progress) as source:
        reader = Reader(source, passphrase, path.name)
        done = Verified(reader.info)
        for entry in reader.objects():
            for _ in reader.data(entry):
                pass
            done.objects += 1
            done.bytes += entry.size
            done.tagged += bool(entry.tags)
            if each is not None:
                each(entry)
    return done


def restore(
    path: Path,
    store: Store,
    passphrase: str,
    progress: Advance = _still,
    done: Restored | None = None,
) -> Restored:
    """Check all of ``path``, then create each of its objects that ``store`` lacks."""
    verify(path, passphrase, progress)
    done = done if done is not None else Restored()
    stored = {info.key: info.size for info in store.objects()}
    with _open(path, progress) as source:
        reader = Reader(source, passphrase, path.name)
        for entry in reader.objects():
            if entry.key not in stored:
                try:
                    store.create(entry.key, entry.size, reader.data(entry), entry.tags)
                except AlreadyExists:  # stored since the listing: compare, below
                    stored[entry.key] = -1
                else:
                    done.restored += 1
                    done.bytes += entry.size
                    done.untagged += bool(entry.tags) and not store.keeps_tags
                    continue
            for _ in reader.data(entry):
                pass
            if _same(store, entry, stored[entry.key]):
                done.present += 1
            else:
                done.differ.append(entry.key)
    return done


def _same(store: Store, entry: Entry, size: int) -> bool:
    if size not in (-1, entry.size):
        return False
    hasher, stream = hashlib.sha256(), store.open(entry.key)
    try:
        while piece := stream.read(PIECE):
            hasher.update(piece)
    finally:
        stream.close()
    if hasher.hexdigest() != entry.sha256:
        return False
    return not store.keeps_tags or store.tags(entry.key) == entry.tags


class _Counted:
    """A file being read whose bytes are counted for a progress bar."""

    def __init__(self, file: BinaryIO, progress: Advance) -> None:
        self._file = file
        self._progress = progress

    def read(self, size: int, /) -> bytes:
        data = self._file.read(size)
        self._progress(len(data))
        return data

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def _open(path: Path, progress: Advance) -> _Counted:
    return _Counted(path.open("rb"), progress)
