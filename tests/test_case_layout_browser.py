"""The case page in Chromium (issue 17, item 6): the actions beside a long thread on a wide
screen and right after it on a narrow one; and a reply being typed when the idle lock comes:
warned before, kept over the lock, back in its form after the unlock."""

from __future__ import annotations

import contextlib
import datetime
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from functions.storage import LocalStorage
from tests.support.axe import assert_no_violations
from tests.support.inbox import FIRST, PASSPHRASE, desk_keys, payload, post_followup, put
from tests.support.reporter import case_key_text
from tests.support.workbench import in_chromium
from wbs.crypto import Identity

pytestmark = pytest.mark.browser

WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 360, "height": 640}
FOLLOWUP = (
    "Saya ingin menambahkan keterangan: pada hari Senin pukul sembilan pagi, petugas loket "
    "kembali meminta uang tambahan sebesar dua ratus ribu rupiah tanpa kuitansi. "
)
DRAFT = "Terima kasih atas keterangannya. Mohon kirimkan foto kuitansi bila ada."


@pytest.fixture
def long_case(tmp_path: Path, inspector: Identity) -> LocalStorage:
    """A case whose reporter wrote twenty long follow-ups, in the storage of the test
    institution, which holds the inspector's desk grant (tests/support/membership.py)."""
    store = LocalStorage(tmp_path / "store")
    put(store, FIRST, inspector, payload(reporter_signing_key=case_key_text(FIRST)))
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=20)
    for n in range(20):
        sent = start + datetime.timedelta(days=n)
        post_followup(store, FIRST, f"{n + 1}. {FOLLOWUP * 3}", sent, desk_keys())
    return store


@contextlib.contextmanager
def unlocked_page(browser: Any, home: Path, store: LocalStorage, idle: float) -> Iterator[Any]:
    """A real workbench on ``store`` locking after ``idle`` seconds, unlocked and synced, on a
    wide screen; ``page.case`` is the case's address."""
    with in_chromium(browser, home, store, idle) as (page, errors):
        page.set_viewport_size(WIDE)
        page.click("#sync")
        page.wait_for_selector("#sync-result")
        page.case = urljoin(page.url, f"/case/{FIRST}")
        yield page
    assert errors == []


def unlock(page: Any) -> None:
    page.fill("#passphrase", PASSPHRASE)
    with page.expect_navigation():
        page.click("#unlock button[type=submit]")


def top(page: Any, selector: str) -> float:
    """Where ``selector``'s box starts, in px from the top of the page."""
    return float(
        page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().top + scrollY")
    )


def test_the_actions_sit_beside_a_long_thread_and_follow_it_on_a_phone(
    browser: Any, home: Path, long_case: LocalStorage
) -> None:
    with unlocked_page(browser, home, long_case, idle=600) as page:
        page.goto(page.case)
        page.wait_for_selector("#thread article.post >> nth=19")
        height = page.evaluate("document.documentElement.scrollHeight")
        # On a wide screen: the reply form starts on the first screen, beside the thread
        reply = top(page, "#reply")
        print(f"1280x800: page {height} px, reply form at y={reply:.0f}")
        assert height > 2 * WIDE["height"]  # a long page
        assert reply < WIDE["height"]
        thread = page.locator("#thread").bounding_box()
        answer = page.locator("#answer").bounding_box()
        assert answer["x"] >= thread["x"] + thread["width"]  # beside it, not below
        # And stays in view down to the thread's last message
        last = "#thread article.post >> nth=19"
        page.eval_on_selector(last, "post => post.scrollIntoView({block: 'end'})")
        box = page.locator("#reply-text").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= WIDE["height"]
        # On a phone: right after the thread, before the notes and the audit trail
        page.set_viewport_size(NARROW)
        order = [top(page, s) for s in ("#thread", "#reply", "#notes", "#audit")]
        print(f"360x640: thread, reply, notes, audit at y={[round(y) for y in order]}")
        assert order == sorted(order)
        assert_no_violations(page, "a long case on a phone")
        # The headings read in order: the page, its parts, the actions' forms within them
        levels = page.eval_on_selector_all(
            "main h1, main h2, main h3", "hs => hs.map(h => h.tagName)"
        )
        assert levels[0] == "H1" and all(
            int(b[1]) <= int(a[1]) + 1 for a, b in itertools.pairwise(levels)
        )


def test_a_reply_being_typed_is_kept_over_the_idle_lock(
    browser: Any, home: Path, long_case: LocalStorage
) -> None:
    with unlocked_page(browser, home, long_case, idle=8) as page:
        page.goto(page.case)
        # Given a reply being typed
        page.fill("#reply-text", DRAFT)
        # When nobody does anything: a warning comes first, with a button that keeps it open
        page.wait_for_selector("#idle-warning:not([hidden])", timeout=10_000)
        assert page.get_attribute("#idle-warning", "role") == "alert"
        assert_no_violations(page, "the idle lock's warning over a reply being typed")
        page.click("#stay-unlocked")
        page.wait_for_selector("#idle-warning", state="hidden")
        # And later the lock: the page asks for the passphrase, the reply leaves the screen
        page.wait_for_selector("#passphrase", timeout=20_000)
        assert DRAFT not in page.content()
        # Then the unlock brings back the case, the reply in its form
        unlock(page)
        assert page.url == page.case
        assert page.input_value("#reply-text") == DRAFT
