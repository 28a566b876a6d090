"""Which cases this inspector has opened in the workbench, so that a new case, or one the
reporter wrote to since, shows as unread (inspector-side metadata in the cache folder, no
plaintext)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from functions.envelope import ID_RE
from wbs import paths, thread
from wbs.cache import Cache

OPENED_FILE = "workbench-opened"
_COUNT = re.compile(r"[0-9]{1,9}")


class Opened:
    """Which cases this inspector has opened in the workbench, and how many of the
    reporter's messages each had then: lines ``ID N`` in the cache folder (inspector-side
    metadata, no plaintext), so that a new case, or one the reporter wrote to since it was
    opened, shows as unread."""

    def __init__(self, cache: Cache) -> None:
        self.path: Path = cache.root / OPENED_FILE

    def seen(self) -> dict[str, int]:
        """Each opened case's count of reporter messages when it was last opened: the
        largest of its lines; a line of the first format, ``ID`` alone, counts 0; a malformed
        line is skipped."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return {}
        found: dict[str, int] = {}
        for line in text.splitlines():
            fields = line.split()
            if not 1 <= len(fields) <= 2 or not ID_RE.fullmatch(fields[0]):
                continue
            if len(fields) == 2 and not _COUNT.fullmatch(fields[1]):
                continue
            count = int(fields[1]) if len(fields) == 2 else 0
            found[fields[0]] = max(count, found.get(fields[0], count))
        return found

    def add(self, report_id: str, count: int = 0) -> None:
        """Mark a case read with ``count`` reporter messages seen: a line is appended when the
        case is new here or the count has grown."""
        seen = self.seen()
        if report_id in seen and seen[report_id] >= count:
            return
        paths.make_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as f:
            f.write(f"{report_id} {count}\n")


def reporter_posts(case: thread.Thread) -> int:
    """How many readable messages the reporter has written in a case (follow-ups; the
    inspectors' replies and status changes do not count)."""
    return sum(1 for post in case.posts if post.sender == "reporter")
