"""S3 Object Lock, per object: the retention every stored version gets (docs/aws.md,
"Object Lock").

The data bucket has Object Lock enabled but no default retention: under a default, S3 takes
an uploaded part only with a checksum header, which the page's presigned evidence parts do
not send. Instead, whoever writes gives the object its retention: ``S3Storage.put_new`` with
the object (``ObjectLockMode``, ``ObjectLockRetainUntilDate``), the upload protocol right
after completing an evidence file (``PutObjectRetention``, a request with no part in it).

One setting for the functions and the inspector's tool: ``WBS_OBJECT_LOCK``, ``MODE:DAYS``
(``GOVERNANCE:365``), empty or unset for none; the template gives it to the function and
``wbs deploy`` prints it among the inspectors' settings, beside ``WBS_STORAGE``.

The spent proofs' markers (``proofs/``) are never locked: empty objects, one a report, that
matter for ten minutes and expire after a day; a lock would keep every one of them (a flood's
million included) for the lock's days, and they hold nothing of a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from functions.storage import layout

VARIABLE = "WBS_OBJECT_LOCK"
Mode = Literal["GOVERNANCE", "COMPLIANCE"]
MODES: tuple[Mode, ...] = ("GOVERNANCE", "COMPLIANCE")
MAX_DAYS = 36500  # as the template's ObjectLockDays and the config's object_lock_days
UNLOCKED = (layout.PROOFS,)  # prefixes whose objects get no retention (above)


@dataclass(frozen=True)
class ObjectLock:
    """The retention every locked object gets: ``mode`` for ``days`` from its writing."""

    mode: Mode
    days: int

    def __post_init__(self) -> None:
        if self.mode not in MODES or not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"an Object Lock is GOVERNANCE or COMPLIANCE for 1 to {MAX_DAYS} days")

    def until(self, now: datetime) -> datetime:
        """The end of the retention of an object written at ``now`` (timezone-aware)."""
        return now + timedelta(days=self.days)

    def to_env(self) -> str:
        return f"{self.mode}:{self.days}"


def applies(key: str) -> bool:
    """Whether the object ``key`` (a storage key, without the storage's prefix) is locked."""
    return not key.startswith(UNLOCKED)


def parse(text: str) -> ObjectLock | None:
    """``MODE:DAYS`` (``GOVERNANCE:365``) or ``""`` (None: no lock); ValueError otherwise."""
    if not text:
        return None
    mode, _, days = text.partition(":")
    for choice in MODES:
        if mode == choice and days.isascii() and days.isdecimal() and 1 <= int(days) <= MAX_DAYS:
            return ObjectLock(choice, int(days))
    raise ValueError(
        f"{VARIABLE} must be GOVERNANCE:<days> or COMPLIANCE:<days> (1 to {MAX_DAYS} days),"
        " or empty for none"
    )


def from_env(env: Mapping[str, str]) -> ObjectLock | None:
    return parse(env.get(VARIABLE) or "")
