"""Numbered reservations: how a per-case limit holds when requests of one case run at once,
on a store whose only atomic step is a create-only write (docs/spec/upload-v1.md §3.1.1,
docs/spec/mailbox-v1.md §6.1). Upload grants and follow-ups both use it.

A request that the limit bounds first claims the lowest free number ``n`` of its case, by
writing ``key(n)`` create-only. It moves to ``n + 1`` only after finding ``key(n)`` taken and
reading it, so whoever holds ``n`` has read every reservation below it, and those never
change: the check made just before the claim is made against everything that counts before
it. Nothing is ever released or deleted, so a reservation counts for good, and a refused
request writes none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import NamedTuple

from functions.errors import AlreadyExists, NotFound, StorageError, WbsError
from functions.storage import Storage

# A write refused as taken while the other writer's object is not readable yet (S3's
# ConditionalRequestConflict: both were in flight): ask again this many times.
ATTEMPTS = 3


class Reservation(NamedTuple):
    number: int  # from 1
    data: bytes  # what the request that claimed it wrote


class Held(NamedTuple):
    """The reservations below the number about to be claimed, oldest first: what counts."""

    data: list[bytes]


def reserve(
    storage: Storage,
    key: Callable[[int], str],
    prefix: str,
    data: bytes,
    *,
    same: Callable[[bytes], bool],
    admit: Callable[[Held], None],
    most: int,
    desks: Collection[str] = frozenset(),
) -> Reservation:
    """The reservation this request holds: the lowest free number, claimed with ``data``,
    or an earlier reservation that ``same`` recognises as this request's (a retry).

    ``admit`` is asked before each claim with every reservation below it, and refuses by
    raising; then nothing is written. It must refuse once ``most`` reservations are held.
    A claim is tagged for ``desks`` (``Storage.put_new``), the case's, as all it stores."""
    listed = {info.key for info in storage.list(prefix)}
    below: list[bytes] = []
    for number in range(1, most + 1):
        found = _claim(storage, key(number), data, listed, lambda: admit(Held(below)), desks)
        if found is None:
            return Reservation(number, data)
        if same(found):
            return Reservation(number, found)
        below.append(found)
    admit(Held(below))
    raise WbsError(f"no reservation is free below {most + 1}, and the limit did not refuse")


def _claim(
    storage: Storage,
    key: str,
    data: bytes,
    listed: set[str],
    admit: Callable[[], None],
    desks: Collection[str],
) -> bytes | None:
    """Claim ``key`` for ``data`` (None), or return what another request holds there."""
    for _ in range(ATTEMPTS):
        if key not in listed:
            admit()
            try:
                storage.put_new(key, data, desks=desks)
            except AlreadyExists:
                pass
            else:
                return None
        try:
            return storage.get(key)
        except NotFound:
            listed.discard(key)  # refused as taken, yet empty: the other write failed
    raise StorageError(f"{key} is taken and cannot be read; try again")
