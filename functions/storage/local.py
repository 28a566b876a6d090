"""A folder as storage: the embedded default and the self-hosted store.

Each object is a file. A write goes to a temporary file in the target's folder, is flushed
to disk, then hard-linked to its final name: ``link`` fails if the name exists, so creation
is atomic and never overwrites, and a reader never sees half an object. Files are 0600,
folders 0700: only the account that runs the server can read the ciphertext.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from functions.errors import AlreadyExists, NotFound, StorageError
from functions.storage.base import ObjectInfo, Readable, check_key, check_prefix, is_key
from functions.storage.tags import tagging

DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"  # never a valid key segment, so listings skip it


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        path = self._path(key)
        tagging(desks)  # checked as on S3, then not kept: a folder has no tags, nor IAM
        try:
            link_new(path, lambda f: f.write(data))
        except FileExistsError:
            raise AlreadyExists(f"{key} already exists") from None
        except OSError as exc:
            raise StorageError(f"cannot write {key} under {self.root}: {exc.strerror}") from None

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(f"no object {key}") from None
        except OSError as exc:
            raise StorageError(f"cannot read {key} under {self.root}: {exc.strerror}") from None

    def stream(self, key: str) -> Readable:
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(f"no object {key}") from None
        except OSError as exc:
            raise StorageError(f"cannot read {key} under {self.root}: {exc.strerror}") from None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        # Walk only the deepest folder the prefix names, then filter by the full prefix.
        folder = self.root.joinpath(*prefix.split("/")[:-1])
        found: list[ObjectInfo] = []

        def refuse(exc: OSError) -> None:
            if isinstance(exc, FileNotFoundError) or (
                isinstance(exc, NotADirectoryError) and self.root.is_dir()
            ):
                return  # nothing stored under this prefix: an empty listing, as on S3
            raise StorageError(f"cannot list {self.root}: {exc.strerror}") from None

        for dirpath, dirnames, filenames in os.walk(folder, onerror=refuse):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix) or not is_key(key):
                    continue  # another prefix, a temporary file, or a file nobody stored here
                st = path.stat()
                found.append(ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        return iter(sorted(found, key=lambda info: info.key))

    def expire(self, prefix: str, before: datetime) -> int:
        """Remove the objects under ``prefix`` (a folder: ``proofs/``) last written before
        ``before``; return how many. The local host's stand-in for an S3 lifecycle rule, for
        its own sweep only: no API route reaches it, and it never follows a link."""
        if not prefix.endswith("/"):
            raise ValueError("expire takes a folder prefix, ending in /")
        removed = 0
        for info in self.list(prefix):
            if info.modified < before:
                with contextlib.suppress(FileNotFoundError):
                    self._path(info.key).unlink()
                    removed += 1
        return removed


def link_new(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Create ``path`` whole or not at all, never replacing a file (FileExistsError).

    ``write`` fills a temporary file (mode 0600) in the same folder, which is fsynced and
    then hard-linked to ``path``: the name appears only for complete, durable content."""
    make_private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    fsync_dir(path.parent)


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each with mode 0700."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=DIR_MODE)


def fsync_dir(folder: Path) -> None:
    """Make the new name durable: a crash after the answer must not lose the report."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
