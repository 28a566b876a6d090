"""The two-person rule in Chromium: member A proposes a rejection in her workbench, member
B approves it in his; the case shows Ditolak with both on the audit trail."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.storage import LocalStorage
from tests.support.axe import assert_no_violations
from tests.support.inbox import FIRST, PASSPHRASE, add_inspector_key, desk_keys, payload, put
from tests.support.reporter import case_key_text
from tests.support.workbench import default_keyring, opened
from wbs import config, keyfile, paths
from wbs.config.workflow import Workflow
from wbs.crypto import Identity
from wbs.workbench.app import Config

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def workbench_of(
    browser: Any, who: Identity, store: LocalStorage
) -> Iterator[tuple[Any, list[str]]]:
    """The workbench of ``who`` with the two-person rule on, unlocked and synced in
    Chromium; yields the page and the console's errors."""
    settings = Config(
        key=paths.keys_dir() / f"{who.kid}.key",
        storage_url=f"local:{store.root}",
        open_storage=lambda: store,
        keyring=default_keyring(),
        rules=config.load(None),
        workflow=Workflow(frozenset({"ditolak", "selesai"})),
    )
    with opened(browser, settings, idle_seconds=60) as (page, _, errors):
        page.fill("#passphrase", PASSPHRASE)
        page.click("#unlock button[type=submit]")
        page.wait_for_selector("#sync")
        page.click("#sync")
        page.wait_for_selector(f"tr[data-id='{FIRST}'] a")
        page.click(f"tr[data-id='{FIRST}'] a")
        page.wait_for_selector("#case-number")
        yield page, errors


def test_a_rejection_proposed_by_one_member_is_approved_by_another(
    browser: Any, home: Path, tmp_path: Path
) -> None:
    anna = add_inspector_key("Anna")
    budi = add_inspector_key("Budi")
    store = LocalStorage(tmp_path / "store")
    reporter = base64.b64encode(keyfile.generate().public_key).decode()
    content = payload(reporter_signing_key=case_key_text(FIRST), reporter_public_key=reporter)
    put(store, FIRST, desk_keys(), content)

    with workbench_of(browser, anna, store) as (page, errors):
        page.select_option("#status-new", "ditolak")
        page.select_option("#assign-to", "me")
        page.click("#assign button[type=submit]")
        page.wait_for_selector("#case-assignee:has-text('Anna')")
        page.select_option("#status-new", "ditolak")
        page.fill("#status-reason", "duplikat")
        page.click("#status button[type=submit]")
        page.wait_for_selector("#own-proposal")
        assert page.inner_text("#case-status") == "Menunggu Verifikasi"
        assert_no_violations(page, "the case page with one's own proposal pending")
        assert errors == []

    with workbench_of(browser, budi, store) as (page, errors):
        assert "Anna mengusulkan status Ditolak" in page.inner_text("#proposal")
        assert_no_violations(page, "the case page with another member's proposal to approve")
        page.click("#approve button[type=submit]")
        page.wait_for_selector("#case-status:has-text('Ditolak')")
        trail = page.inner_text("#audit")
        assert "Anna\tmengusulkan status Ditolak: duplikat" in trail
        assert "Budi\tmenyetujui status Ditolak" in trail
        assert "Budi\tmengubah status menjadi Ditolak" in trail
        assert "tanpa persetujuan" not in trail
        assert page.query_selector("#proposal") is None
        page.goto(page.url.split("/case/")[0] + "/?who=mine")
        page.wait_for_selector("#filter-who")
        assert page.query_selector(f"tr[data-id='{FIRST}']") is None  # Anna's, not Budi's
        assert_no_violations(page, "the inbox filtered by who handles it")
        assert errors == []
