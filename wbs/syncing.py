"""Copying new encrypted reports, messages, internal notes and grants (membership grants under
``desks/``, case grants under ``shares/``) from storage into the local cache, after sending the
access records that wait in it (wbs/audit.py). A grant fetched here is opened at the next
unlock (or, in the workbench, when the sync ends).

Shared by `wbs inbox sync` and the workbench's "sync now": the same objects, in the same
order, each landing in the cache whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from functions.errors import Denied
from functions.storage import Storage, layout
from wbs import audit
from wbs.cache import Cache

# Wraps each list of objects while it is fetched, e.g. in a progress bar: (items, label).
Progress = Callable[[list[str], str], Iterable[str]]


def _plain(items: list[str], label: str) -> Iterable[str]:
    return items


@dataclass
class Sync:
    """What one sync found and how far it got (readable while it runs, and after a failure)."""

    reports: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # desks whose grants cannot be listed here
    # Objects the storage refuses these credentials (403): on AWS, those of cases of other
    # desks (docs/aws.md, "Inspectors' access, per desk"). Skipped, never a stop.
    denied: list[str] = field(default_factory=list)
    fetched: int = 0
    sent: list[str] = field(default_factory=list)  # audit-trail records (access records,
    # approvals) that waited in the cache, now stored
    unsent: list[str] = field(default_factory=list)  # why others still wait


def run(
    store: Storage,
    cache: Cache,
    progress: Progress = _plain,
    state: Sync | None = None,
    desks: Iterable[str] = (),
) -> Sync:
    """Fetch every stored report, message, internal note and grant the cache does not hold
    yet. ``desks`` (the keyring's) are listed one by one when the storage credentials may
    not list every desk's grants at once (one desk's policy, docs/aws.md)."""
    state = state if state is not None else Sync()
    state.sent, state.unsent = audit.send_pending(store, cache)
    state.reports = cache.missing(store)
    state.reports = _fetch(state, progress(state.reports, "Fetching reports"), layout.report,
                           lambda report_id: cache.fetch(store, report_id))  # fmt: skip
    state.messages = cache.missing_messages(store)
    state.messages = _fetch(state, progress(state.messages, "Fetching messages"), str,
                            lambda key: cache.fetch_message(store, key))  # fmt: skip
    state.notes = cache.missing_notes(store)
    state.notes = _fetch(state, progress(state.notes, "Fetching internal notes"), str,
                         lambda key: cache.fetch_note(store, key))  # fmt: skip
    state.grants = cache.missing_grants(store, desks, state.refused)
    state.grants = _fetch(state, progress(state.grants, "Fetching grants"), str,
                          lambda key: cache.fetch_grant(store, key))  # fmt: skip
    return state


def _fetch(
    state: Sync, items: Iterable[str], key_of: Callable[[str], str], fetch: Callable[[str], None]
) -> list[str]:
    """Fetch each item; return those fetched. One the storage refuses (Denied) is another
    desk's: kept out of the cache and counted in ``state.denied``."""
    fetched: list[str] = []
    for item in items:
        try:
            fetch(item)
        except Denied:
            state.denied.append(key_of(item))
            continue
        fetched.append(item)
        state.fetched += 1
    return fetched
