"""The unlocked key, held in this process's memory only, and the idle lock that drops it.

What Python can wipe: nothing, reliably. Locking drops every reference to the unlocked
``Reader`` (its PyNaCl ``PrivateKey`` and unsealer), to the decrypted reports kept for
the inbox and to the one evidence file kept for seeking in it, so that the garbage
collector frees them; the bytes may stay in freed memory until it is reused, and may have
been swapped out. docs/workbench.md says so. Drafts (wbs/workbench/drafts.py) outlive the
lock, sealed to the key's public half: only the key, unlocked again, opens them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from functions.errors import StorageError
from functions.keyring import Keyring
from wbs import keyfile
from wbs.crypto import Identity
from wbs.reports import Reader, Report
from wbs.signing import Signers
from wbs.workbench.drafts import Drafts
from wbs.workbench.files import Decrypted

Clock = Callable[[], float]


class Locked(StorageError):
    """A request to storage needed the key, which the idle lock had dropped."""


class Session:
    """One inspector's unlocked key and what was decrypted with it; locks after ``idle``
    seconds without a request (``clock`` is a test hook)."""

    def __init__(self, key: Path, idle: float, clock: Clock = time.monotonic) -> None:
        self.key = key
        self.idle = idle
        self.clock = clock
        self.lock_ = threading.Lock()
        self._reader: Reader | None = None
        self._last = clock()
        self.reports: dict[str, Report] = {}  # decrypted reports, dropped with the key
        self.recorded: set[str] = set()  # cases whose opening is in the audit trail
        self.file: Decrypted | None = None  # the last evidence file opened, dropped with it
        # What was typed into a refused form, per case: (form, its fields), dropped with it
        self.typed: dict[str, tuple[str, dict[str, str]]] = {}
        # Replies and notes being typed: sealed to the key's public half, kept over the lock
        self.drafts = Drafts(clock)

    def touch(self) -> None:
        """A request arrived: lock first if it came after the idle time."""
        with self.lock_:
            now = self.clock()
            if now - self._last > self.idle:
                self._drop()
            self._last = now

    def left(self) -> float:
        """Seconds until the idle lock, if no request comes."""
        return max(0.0, self.idle - (self.clock() - self._last))

    def expire(self) -> None:
        """Lock if the idle time has passed, whether or not a request comes (see ``watch``)."""
        with self.lock_:
            if self.clock() - self._last > self.idle:
                self._drop()

    @property
    def reader(self) -> Reader | None:
        return self._reader

    def signing_identity(self) -> Identity:
        """The unlocked key, which signs requests to an inspector API; StorageError if it is
        locked (wbs/remote_storage.py asks at each request)."""
        reader = self._reader
        if reader is None:
            raise Locked(
                "the key is locked: requests to the inspector API are signed with it",
                hint="unlock it in the page, then try again",
            )
        return reader.identity

    def unlock(
        self,
        passphrase: str,
        signers: Signers | None = None,
        ring: Keyring | None = None,
        grants: Iterable[tuple[str, bytes]] = (),
    ) -> Reader:
        """Open the key file (WrongPassphrase or KeyFileError if it cannot be), and with it
        every grant of ``grants`` checked against ``ring`` (each desk key once, here); what
        inspectors signed is checked against ``signers``."""
        identity = keyfile.unlock(self.key, passphrase)
        reader = Reader.unlocked(identity, ring, grants, signers)
        with self.lock_:
            self._reader = reader
            self._last = self.clock()
        return reader

    def refresh(self, ring: Keyring, grants: list[tuple[str, bytes]]) -> Reader | None:
        """Open ``grants`` again, against ``ring``, if they are others than the reader was
        built from (a sync brought new ones), keeping the key and what was decrypted; return
        the new reader, or None if nothing changed (or the key is locked)."""
        reader = self._reader
        if reader is None or frozenset(key for key, _ in grants) == reader.grant_keys:
            return None
        fresh = Reader.unlocked(reader.identity, ring, grants, reader.signers)
        with self.lock_:
            if self._reader is not reader:  # locked, or unlocked again, meanwhile
                return None
            self._reader = fresh
        return fresh

    def lock(self) -> None:
        with self.lock_:
            self._drop()

    def keep_file(self, reader: Reader, decrypted: Decrypted | None) -> None:
        """Keep one file's plaintext (None: forget the one kept), unless the key was locked
        since ``reader`` opened it: a lock that came meanwhile must not be undone."""
        with self.lock_:
            if decrypted is None or self._reader is reader:
                self.file = decrypted

    def _drop(self) -> None:
        self._reader = None
        self.reports = {}
        self.recorded = set()  # after an unlock, opening a case is recorded again
        self.file = None
        self.typed = {}


def watch(session: Session, stop: threading.Event, every: float = 5.0) -> threading.Thread:
    """Check the idle time every ``every`` seconds in a daemon thread, until ``stop`` is set:
    the key is dropped on time even when no request comes."""

    def run() -> None:
        while not stop.wait(every):
            session.expire()

    thread = threading.Thread(target=run, name="wbs-workbench-idle-lock", daemon=True)
    thread.start()
    return thread
