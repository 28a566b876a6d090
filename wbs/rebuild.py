"""The site `wbs serve` keeps in step with its keyring and config, while it serves.

A keyring changed under a running server (``wbs keys retire``, ``wbs desks rotate``) used to
leave the page sealing to the old keys while the API checked the new ones: every report was
refused until a restart. Now the API checks reports against the keyring and routing rules
the site was built from (the build's hidden ``.wbs-keyring.json`` and its ``routing.json``),
and this watcher builds the site again as soon as the keyring or the config changes; the
build replaces the folder in one atomic swap (wbs/build/output.py), so the page and the API
change together. A build that fails (a keyring the build refuses) changes nothing: the old
site and its keys stay in service, and the reason is printed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from functions.errors import WbsError
from functions.recipients import StatKey, stat_key
from wbs import console

POLL_SECONDS = 1.0


def stamp(paths: tuple[Path, ...]) -> tuple[StatKey, ...]:
    return tuple(stat_key(path) for path in paths)


class Rebuilder:
    """Run ``build()`` again whenever one of ``watched`` has changed since the last build."""

    def __init__(self, watched: tuple[Path, ...], build: Callable[[], None]) -> None:
        self.watched = watched
        self.build = build
        self.built = stamp(watched)

    def check(self) -> bool:
        """Build if a watched file changed; whether the site was built again."""
        now = stamp(self.watched)
        if now == self.built:
            return False
        self.built = now  # a failed build is not tried again until the files change again
        try:
            self.build()
        except (WbsError, OSError) as exc:
            hint = exc.hint if isinstance(exc, WbsError) else None
            console.error(
                f"the site was not rebuilt, the previous one is still served: {exc}", hint
            )
            return False
        console.err.print("the keyring or the config changed: the site was rebuilt for it")
        return True

    def start(self, every: float = POLL_SECONDS) -> threading.Event:
        """Check every ``every`` seconds in a daemon thread, until the Event returned is set."""
        stopped = threading.Event()

        def loop() -> None:
            while not stopped.wait(every):
                self.check()

        threading.Thread(target=loop, name="wbs-rebuild", daemon=True).start()
        return stopped
