"""Sync now, in the background (wbs/workbench/syncjob.py): the page and GET /sync/progress
follow a sync while it runs, one at a time; its counts, its failure, and the idle lock,
which polling must not hold off. The storage is gated so that a test can look mid-sync."""

from __future__ import annotations

import base64
import datetime
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from functions.errors import StorageError
from functions.storage import LocalStorage
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    desk_keys,
    payload,
    post_followup,
    put,
)
from tests.support.membership import Institution
from tests.support.workbench import Answer, Client, Clock, in_chromium, key_file, workbench
from wbs import keyfile, notes
from wbs.cache import Cache
from wbs.crypto import Identity
from wbs.workbench.app import SYNC_PROGRESS

UTC = datetime.UTC


class Gated(LocalStorage):
    """Local storage whose reads, after the first ``let_through``, each wait for one
    ``release`` (``waiting`` says one has waited), or fail with ``fail`` if it is set."""

    def __init__(self, root: Path, let_through: int = 1_000_000) -> None:
        super().__init__(root)
        self.let_through = let_through
        self.fail: Exception | None = None
        self.waiting = threading.Event()
        self.release = threading.Semaphore(0)

    def get(self, key: str) -> bytes:
        if self.let_through <= 0:
            if self.fail is not None:
                raise self.fail
            self.waiting.set()
            assert self.release.acquire(timeout=30), "the test never released the storage"
        self.let_through -= 1
        return super().get(key)


@pytest.fixture
def store(tmp_path: Path, inspector: Identity) -> Gated:
    """Three reports, a reporter's follow-up and an internal note: five objects."""
    store = Gated(tmp_path / "store")
    reporter = keyfile.generate()
    key = base64.b64encode(reporter.public_key).decode()
    for report_id in (FIRST, SECOND, THIRD):
        put(store, report_id, inspector, payload(reporter_public_key=key))
    sent = datetime.datetime(2024, 3, 2, 8, 0, tzinfo=UTC)
    post_followup(store, FIRST, f"tindak lanjut {CANARY}", sent, desk_keys())
    here = Institution(Institution.here().path, store)
    notes.write(store, FIRST, f"catatan {CANARY}", inspector, here.audience(FIRST), sent)
    return store


@pytest.fixture
def client(home: Path, store: Gated) -> Client:
    client = Client(workbench(key_file(home), store, clock=Clock(), idle=60))
    client.enter()
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    return client


def progress(client: Client) -> dict[str, object]:
    answer = client.get(SYNC_PROGRESS)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert CANARY not in answer.body  # a sync copies ciphertext only
    state = json.loads(answer.body)
    assert isinstance(state, dict)
    return state


def start_held(client: Client, store: Gated, let_through: int) -> Answer:
    """Press "Sync now" and wait until the sync's thread is held at a read of storage."""
    store.let_through = let_through
    answer = client.post("/sync", {})
    assert answer.status == 303 and answer.headers["location"] == "/"
    assert store.waiting.wait(10), "the sync never reached the storage"
    return answer


def finish(client: Client, store: Gated) -> None:
    store.release.release(100)
    job = client.app.sync_job
    assert job is not None
    job.thread.join(timeout=30)
    assert not job.running


def test_before_any_sync_the_progress_says_nothing_runs(client: Client) -> None:
    assert progress(client) == {
        "running": False,
        "done": False,
        "phase": "",
        "fetched": 0,
        "total": 0,
        "reports": 0,
        "messages": 0,
        "notes": 0,
        "error": "",
        "grants": 0,
    }
    assert "data-running" not in client.get("/").body


def test_the_page_and_the_progress_follow_a_running_sync_and_a_second_press_starts_none(
    client: Client, store: Gated
) -> None:
    # Given a sync held at its second read: one report fetched of the three known so far
    try:
        page = client.follow(start_held(client, store, let_through=1))

        # Then the progress says so, as JSON
        state = progress(client)
        assert state["running"] is True and state["done"] is False
        assert state["phase"] == "reports"
        assert (state["fetched"], state["total"]) == (1, 3)
        assert (state["reports"], state["messages"], state["notes"]) == (3, 0, 0)
        assert state["error"] == ""
        # And the page, rendered by the server, shows it without any script
        assert 'id="sync-form" data-running="1"' in page.body
        assert '<button type="submit" id="sync" disabled>' in page.body
        assert '<progress id="sync-progress" value="1" max="3">' in page.body
        assert "1 dari 3" in page.body and 'data-of="{fetched} dari {total}"' in page.body
        assert 'id="sync-result"' not in page.body

        # When "Sync now" is pressed again while it runs, no second sync starts
        job = client.app.sync_job
        assert job is not None and job.thread.daemon
        assert client.post("/sync", {}).status == 303
        assert client.app.sync_job is job
        running = [t for t in threading.enumerate() if t.name == "wbs-workbench-sync"]
        assert running == [job.thread]
    finally:
        finish(client, store)

    # Then the one sync ends with every count, internal notes and grants included (the
    # inspector's and the recovery key's membership grants of the desk)
    state = progress(client)
    assert state["running"] is False and state["done"] is True
    assert state["phase"] == "grants"
    assert (state["fetched"], state["total"]) == (7, 7)
    assert (state["reports"], state["messages"], state["notes"], state["grants"]) == (3, 1, 1, 2)
    assert state["error"] == ""
    inbox = client.get("/").body
    assert 'id="sync-result"' in inbox
    result = "Sinkronisasi: 3 laporan baru, 1 pesan baru, 1 rekaman internal baru"
    assert result + " (catatan dan jejak audit)." in inbox
    assert "2 hibah kunci baru (keanggotaan tim dan kasus yang dibagikan)." in inbox
    # And the key unlocked before the sync opens the reports with the desk key it brought
    assert inbox.count("Pungli di loket") == 3 and "tidak dapat dibuka" not in inbox
    assert "data-running" not in inbox and '<progress id="sync-progress" hidden>' in inbox
    assert len(Cache.for_storage(client.app.config.storage_url).ids()) == 3


def test_the_result_is_in_english_too(home: Path, store: Gated) -> None:
    english = Client(workbench(key_file(home), store, lang="en"))
    english.enter()
    english.post("/unlock", {"passphrase": PASSPHRASE})
    page = english.sync().body
    result = "Sync: 3 new reports, 1 new messages, 1 new internal records"
    assert result + " (notes and the audit trail)." in page


def test_a_failed_sync_shows_its_error_once_and_keeps_what_it_fetched(
    client: Client, store: Gated
) -> None:
    # Given storage that fails at the third read
    store.let_through = 2
    store.fail = StorageError("storage unreachable: timed out")

    page = client.sync()

    state = progress(client)
    assert state["done"] is True and state["error"] == "storage unreachable: timed out"
    assert state["fetched"] == 2
    assert "Sinkronisasi berhenti. Penyimpanan tidak dapat dihubungi" in page.body
    assert 'role="alert"' in page.body and "timed out" not in page.body
    assert 'id="sync-result"' not in page.body
    again = client.get("/").body
    assert "Sinkronisasi berhenti" not in again  # once
    assert len(Cache.for_storage(client.app.config.storage_url).ids()) == 2
    # And a new press starts a new sync, which fetches the rest
    store.fail = None
    store.let_through = 1_000_000
    assert "3 laporan baru" not in client.sync().body  # two were already there
    assert progress(client)["reports"] == 1
    assert len(Cache.for_storage(client.app.config.storage_url).ids()) == 3


def test_an_os_error_is_told_in_the_page_s_words(client: Client, store: Gated) -> None:
    store.let_through = 0
    store.fail = PermissionError(13, "Permission denied", "/srv/wbs/cache")
    page = client.sync()
    assert "Komputer ini tidak mengizinkan meja kerja memakai /srv/wbs/cache." in page.body
    assert "Permission denied" not in page.body
    assert progress(client)["error"] == "[Errno 13] Permission denied: '/srv/wbs/cache'"


def test_polling_the_progress_does_not_keep_the_key_unlocked(client: Client, store: Gated) -> None:
    clock = client.app.session.clock
    assert isinstance(clock, Clock)
    try:
        # Given a running sync and its page, loaded at the last real request
        client.follow(start_held(client, store, let_through=1))
        # When only the page's polling comes, for longer than the idle time
        clock.now += 59
        assert progress(client)["running"] is True
        assert client.app.session.reader is not None
        clock.now += 2
        assert progress(client)["running"] is True
        # Then the key is dropped all the same, by the poll itself
        assert client.app.session.reader is None and client.app.session.reports == {}
    finally:
        finish(client, store)
    # And the sync, which never needed the key, ends well; the page asks for the passphrase
    assert progress(client)["error"] == ""
    assert len(Cache.for_storage(client.app.config.storage_url).ids()) == 3
    assert 'id="passphrase"' in client.get("/").body


def test_a_page_request_still_counts_as_activity(client: Client) -> None:
    clock = client.app.session.clock
    assert isinstance(clock, Clock)
    client.sync()
    clock.now += 59
    client.get("/")
    clock.now += 59
    assert progress(client)["done"] is True
    assert client.app.session.reader is not None


def test_chromium_follows_the_sync_and_then_shows_the_inbox(
    browser: Any, home: Path, store: Gated
) -> None:
    with in_chromium(browser, home, store) as (page, errors):
        store.let_through = 1
        try:
            page.click("#sync")
            # The server renders the running sync; then the script's polling moves it on
            page.wait_for_selector("#sync-form[data-running]")
            shows = "text => document.getElementById('sync-label').textContent === text"
            page.wait_for_function(shows, arg="1 dari 3")
            store.release.release()
            page.wait_for_function(shows, arg="2 dari 3")
            assert page.eval_on_selector("#sync-progress", "p => [p.value, p.max]") == [2, 3]
        finally:
            store.release.release(100)
        result = page.wait_for_selector("#sync-result")
        assert "3 laporan baru, 1 pesan baru, 1 rekaman internal baru" in result.text_content()
        assert len(page.query_selector_all("tr.case")) == 3
        assert page.query_selector("#sync-form[data-running]") is None
        assert errors == []
