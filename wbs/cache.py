"""The local ciphertext cache: a copy of the stored reports and messages, exactly as stored.

``$WBS_HOME/cache/<storage>/reports/<ID>.json`` and
``$WBS_HOME/cache/<storage>/mailboxes/<ID>/<stamp>-<from>-<rand>.json`` and
``$WBS_HOME/cache/<storage>/notes/<ID>/<stamp>-<kid>-<hash>.json``, and the grants:
``desks/<desk>/<generation>/<kid>.json`` (membership grants) and
``shares/<ID>/<stamp>-<desk>.json`` (case grants), the same keys as in storage, one file per
object, mode 0600, written atomically. Nothing in it is plaintext: reports and messages are
decrypted in memory when read, grants are opened in memory when a key is unlocked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path

from functions.envelope import ID_RE
from functions.errors import StorageError
from functions.storage import Storage, layout
from functions.storage.tags import tag_desks, tag_value
from wbs import notes, paths

PENDING = "pending/"  # empty markers: pending/notes/<ID>/<name> waits to be stored
SUFFIX = layout.JSON


def is_grant(key: str) -> bool:
    """``desks/<desk>/<generation>/<kid>.json`` or ``shares/<ID>/<stamp>-<desk>.json``."""
    return layout.parse_desk_grant(key) is not None or layout.share_desk(key) is not None


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / layout.REPORTS

    @classmethod
    def for_storage(cls, storage_url: str) -> Cache:
        return cls(paths.cache_dir(storage_url))

    # -- reports --------------------------------------------------------------------------

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
        stored = (layout.report_id(info.key) for info in storage.list(layout.REPORTS))
        return sorted({r for r in stored if r is not None and r not in have})

    def fetch(self, storage: Storage, report: str) -> None:
        """Copy one stored report into the cache."""
        key = layout.report(report)
        self._write(key, storage.get(key))

    # -- messages -------------------------------------------------------------------------

    def message_keys(self, report: str | None = None) -> list[str]:
        """Keys of the cached messages of one case (or of every case), oldest first."""
        if report is None:
            root = self.root / layout.MAILBOXES
            found = (p.relative_to(self.root).as_posix() for p in root.glob(f"*/*{SUFFIX}"))
            return sorted(k for k in found if layout.is_message(k))
        # One case: a plain listing, as `wbs inbox list` and the workbench read every case.
        prefix = layout.mailbox(report)
        try:
            names = os.listdir(os.path.join(self.root, prefix))
        except FileNotFoundError:
            return []
        return sorted(prefix + n for n in names if layout.is_message(prefix + n))

    def read_message(self, key: str) -> bytes:
        # From a str path: this runs once per message of every case that is read.
        with open(os.path.join(self.root, key), "rb", buffering=0) as f:
            return f.read()

    def missing_messages(self, storage: Storage, report: str | None = None) -> list[str]:
        """Keys of the stored messages (of one case, or of all) this cache does not hold yet."""
        prefix = layout.mailbox(report) if report else layout.MAILBOXES
        have = set(self.message_keys(report))
        stored = (info.key for info in storage.list(prefix))
        return sorted(k for k in stored if layout.is_message(k) and k not in have)

    def fetch_message(self, storage: Storage, key: str) -> None:
        """Copy one stored message into the cache."""
        self.keep_message(key, storage.get(key))

    def keep_message(self, key: str, data: bytes) -> None:
        """Put a message this tool has just stored into the cache as well."""
        self._write(key, data)

    # -- internal notes (notes/<ID>/..., never under mailboxes/) ------------------------

    def note_keys(self, report: str | None = None) -> list[str]:
        """Keys of the cached notes of one case (or of every case), oldest first."""
        root = self.root / layout.NOTES
        found = (p.relative_to(self.root).as_posix() for p in root.glob(f"{report or '*'}/*"))
        return sorted(k for k in found if layout.is_note(k))

    def missing_notes(self, storage: Storage) -> list[str]:
        """Keys of the stored notes this cache does not hold yet."""
        have = set(self.note_keys())
        return [k for k in notes.keys(storage) if k not in have]

    def fetch_note(self, storage: Storage, key: str) -> None:
        if not layout.is_note(key):
            raise ValueError(f"not a note's key: {key}")
        self._write(key, storage.get(key))

    # -- grants (docs/spec/desks-v2.md sections 2 and 5) ---------------------------------

    def grant_keys(self) -> list[str]:
        """Keys of the cached membership grants and case grants, sorted."""
        found = [
            *(self.root / layout.DESKS).glob("*/*/*" + SUFFIX),
            *(self.root / layout.SHARES).glob("*/*" + SUFFIX),
        ]
        keys = (p.relative_to(self.root).as_posix() for p in found)
        return sorted(k for k in keys if is_grant(k))

    def grants(self) -> list[tuple[str, bytes]]:
        """Every cached grant as (storage key, bytes): what wbs.desks.keys.unlock opens."""
        return [(key, self.read_message(key)) for key in self.grant_keys()]

    def missing_grants(
        self, storage: Storage, desks: Iterable[str] = (), refused: list[str] | None = None
    ) -> list[str]:
        """Keys of the stored grants (desks/ and shares/) this cache does not hold yet.

        Storage credentials of one desk may list only that desk's grants (docs/aws.md): if
        listing ``desks/`` is refused, each desk of ``desks`` (the keyring's) is listed on its
        own, and a desk whose listing is refused too is named in ``refused`` and skipped."""
        listed: list[str] = []
        try:
            listed += (info.key for info in storage.list(layout.DESKS))
        except StorageError:
            if not desks:
                raise
            for desk in desks:
                try:
                    listed += (info.key for info in storage.list(layout.desk_grants(desk)))
                except StorageError:
                    (refused if refused is not None else []).append(desk)
        listed += (info.key for info in storage.list(layout.SHARES))
        have = set(self.grant_keys())
        return sorted(k for k in listed if is_grant(k) and k not in have)

    def fetch_grant(self, storage: Storage, key: str) -> None:
        if not is_grant(key):
            raise ValueError(f"not a grant's key: {key}")
        self._write(key, storage.get(key))

    # -- access records waiting to be stored (wbs/audit.py) -----------------------------

    def keep_pending(self, key: str, data: bytes, desks: Collection[str] = ()) -> None:
        """Keep a record this tool wrote, and mark it as not stored yet; the mark holds the
        ``wbs-desks`` tag it is to be stored with (the case's ``desks``)."""
        if not layout.is_note(key):
            raise ValueError(f"not a note's key: {key}")
        self._write(key, data)
        self._write(PENDING + key, tag_value(desks).encode() if desks else b"")

    def pending_desks(self, key: str) -> tuple[str, ...]:
        """The desks a waiting record is to be tagged with; () for a mark that names none."""
        try:
            return tag_desks(self._path(PENDING + key).read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError):
            return ()

    def pending_keys(self) -> list[str]:
        root = self.root / PENDING
        found = (p.relative_to(root).as_posix() for p in root.glob(f"{layout.NOTES}*/*"))
        return sorted(k for k in found if layout.is_note(k))

    def sent(self, key: str) -> None:
        """The record is stored now: it no longer waits."""
        self._path(PENDING + key).unlink(missing_ok=True)

    # -- files ----------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def _write(self, key: str, data: bytes) -> None:
        """Write one object: a temporary file (mode 0600) in its folder, then a rename."""
        target = self._path(key)
        paths.make_private_dir(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
