"""The local ciphertext cache: a copy of the stored reports, exactly as stored.

``$WBS_HOME/cache/<storage>/reports/<ID>.json``, one file per report, mode 0600, written
atomically. Nothing in it is plaintext: reports are decrypted in memory when read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from functions.envelope import ID_RE
from functions.storage import Storage
from wbs import paths

PREFIX = "reports/"
SUFFIX = ".json"


def report_id(key: str) -> str | None:
    """``reports/<ID>.json`` -> ``<ID>``; None for any other key."""
    if not (key.startswith(PREFIX) and key.endswith(SUFFIX)):
        return None
    candidate = key[len(PREFIX) : -len(SUFFIX)]
    return candidate if ID_RE.fullmatch(candidate) else None


class Cache:
    def __init__(self, root: Path) -> None:
        self.folder = root / "reports"

    @classmethod
    def for_storage(cls, storage_url: str) -> Cache:
        return cls(paths.cache_dir(storage_url))

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*" + SUFFIX) if ID_RE.fullmatch(p.stem))

    def read(self, report: str) -> bytes:
        # Unbuffered, from a str path: this runs once per report in `wbs inbox list`.
        with open(os.path.join(self.folder, report + SUFFIX), "rb", buffering=0) as f:
            return f.read()

    def missing(self, storage: Storage) -> list[str]:
        """Ids of the stored reports this cache does not hold yet."""
        have = set(self.ids())
        stored = (report_id(info.key) for info in storage.list(PREFIX))
        return sorted({r for r in stored if r is not None and r not in have})

    def fetch(self, storage: Storage, report: str) -> None:
        """Copy one stored report into the cache (temporary file, then rename)."""
        data = storage.get(f"{PREFIX}{report}{SUFFIX}")
        paths.make_private_dir(self.folder)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".fetch-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.folder / f"{report}{SUFFIX}")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
