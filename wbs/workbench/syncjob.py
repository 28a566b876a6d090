"""Sync now, in the background: `wbs.syncing.run` in a daemon thread, one at a time, and
what the pages and ``GET /sync/progress`` read of it while it runs.

The thread is given the storage and the cache, never the session: a sync copies ciphertext
only and needs no key. A failure ends the sync with its error (``failure``, which the pages
word in their language, wbs/workbench/wording.py; ``error``, its own words, for
``/sync/progress``); what was fetched before it stays in the cache (each object lands whole or
not at all).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from functions.errors import WbsError
from functions.storage import Storage
from wbs import syncing
from wbs.cache import Cache

PHASES = ("reports", "messages", "notes", "grants")  # in the order wbs.syncing.run fetches them


@dataclass(frozen=True)
class Progress:
    """One look at a sync: ``total`` is what is known so far (it grows phase by phase)."""

    running: bool
    done: bool
    phase: str
    fetched: int
    total: int
    reports: int
    messages: int
    notes: int
    error: str
    grants: int = 0

    def as_json(self) -> dict[str, object]:
        return asdict(self)


NOT_STARTED = Progress(False, False, "", 0, 0, 0, 0, 0, "")  # no sync since the workbench started


class SyncJob:
    def __init__(
        self, open_storage: Callable[[], Storage], cache: Cache, desks: tuple[str, ...] = ()
    ) -> None:
        self.state = syncing.Sync()
        self.phase = PHASES[0]
        self.error = ""
        self.failure: BaseException | None = None
        self.error_shown = False
        self.result_shown = False  # its counts are said once, on the inbox
        self.finished = threading.Event()
        self.finished_at = 0.0  # time.monotonic() when it ended
        self._open_storage = open_storage
        self._cache = cache
        self._desks = desks  # the keyring's, listed one by one if all cannot be (docs/aws.md)
        self.thread = threading.Thread(target=self._run, name="wbs-workbench-sync", daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def progress(self) -> Progress:
        running = self.running  # first: the counts read after it are at least as recent
        state = self.state
        reports, messages, notes = len(state.reports), len(state.messages), len(state.notes)
        grants = len(state.grants)
        return Progress(
            running=running,
            done=not running,
            phase=self.phase,
            fetched=state.fetched,
            total=reports + messages + notes + grants,
            reports=reports,
            messages=messages,
            notes=notes,
            error="" if running else self.error,
            grants=grants,
        )

    def _run(self) -> None:
        try:
            syncing.run(self._open_storage(), self._cache, self._follow, self.state, self._desks)
        except (WbsError, OSError) as exc:
            self.error, self.failure = str(exc) or type(exc).__name__, exc
        except Exception as exc:
            self.error, self.failure = "the sync failed unexpectedly", exc
            raise
        finally:
            self.finished_at = time.monotonic()
            self.finished.set()

    def _follow(self, items: list[str], label: str) -> Iterable[str]:
        """wbs.syncing's progress hook: it hands over each phase's own list as it begins."""
        for phase in PHASES:
            if items is getattr(self.state, phase):
                self.phase = phase
        return items
