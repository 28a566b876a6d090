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

from functions.storage import Storage
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
    fetched: int = 0
    sent: list[str] = field(default_factory=list)  # access records that waited, now stored
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
    for report_id in progress(state.reports, "Fetching reports"):
        cache.fetch(store, report_id)
        state.fetched += 1
    state.messages = cache.missing_messages(store)
    for key in progress(state.messages, "Fetching messages"):
        cache.fetch_message(store, key)
        state.fetched += 1
    state.notes = cache.missing_notes(store)
    for key in progress(state.notes, "Fetching internal notes"):
        cache.fetch_note(store, key)
        state.fetched += 1
    state.grants = cache.missing_grants(store, desks, state.refused)
    for key in progress(state.grants, "Fetching grants"):
        cache.fetch_grant(store, key)
        state.fetched += 1
    return state
