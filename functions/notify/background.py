"""A notifier that sends on a thread of its own, for the local and self-hosted service:
there the API answers one request at a time (functions/host.py's lock), and a slow or
unreachable mail server must delay no reporter. Not for Lambda, which freezes a function
between requests: there SNS is called in the request, with short timeouts."""

from __future__ import annotations

import queue
import threading

from functions.notify.base import Notice, Notifier

CAPACITY = 100  # notices waiting at most; beyond, one is dropped and logged


class QueueFull(Exception):
    """Too many notices are waiting for the mail server: this one is dropped."""


class Background:
    def __init__(self, notifier: Notifier, capacity: int = CAPACITY) -> None:
        self.notifier = notifier
        self.kind = notifier.kind
        self._queue: queue.Queue[Notice] = queue.Queue(capacity)
        self._started = False
        self._lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        """Queue ``notice`` and return at once; QueueFull if too many are waiting."""
        with self._lock:
            if not self._started:
                threading.Thread(target=self._run, name="wbs-notify", daemon=True).start()
                self._started = True
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            raise QueueFull from None

    def wait(self) -> None:
        """Return once every queued notice has been sent or has failed (tests)."""
        self._queue.join()

    def _run(self) -> None:
        from functions.notify import deliver  # the package imports this module

        while True:
            notice = self._queue.get()
            try:
                deliver(self.notifier, notice)
            finally:
                self._queue.task_done()
