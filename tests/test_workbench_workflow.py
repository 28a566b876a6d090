"""The workbench's side of who handles a case and the two-person rule: the case page's
assignment form and pending proposal, the inbox's "handled by" filter and column
(docs/spec/mailbox-v1.md sections 7.2 and 7.3), in the page's language."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    SECOND,
    add_inspector_key,
    desk_keys,
    desk_reader,
    payload,
    put,
    refuse_notes,
)
from tests.support.reporter import case_key_text
from tests.support.workbench import Client, workbench
from tests.test_workbench_audit import trail
from wbs import keyfile, notes, paths
from wbs.config.workflow import Workflow
from wbs.crypto import Identity

RULE = Workflow(frozenset({"ditolak", "selesai"}))


@pytest.fixture
def anna(home: Path) -> Identity:
    return add_inspector_key("Anna")


@pytest.fixture
def budi(anna: Identity) -> Identity:
    return add_inspector_key("Budi")


@pytest.fixture
def store(tmp_path: Path, anna: Identity, budi: Identity) -> LocalStorage:
    """Two reports of desk inspektorat, which Anna and Budi are members of."""
    store = LocalStorage(tmp_path / "store")
    for report_id in (FIRST, SECOND):
        reporter = base64.b64encode(keyfile.generate().public_key).decode()
        content = payload(
            reporter_signing_key=case_key_text(report_id), reporter_public_key=reporter
        )
        put(store, report_id, desk_keys(), content)
    return store


def unlocked(who: Identity, store: LocalStorage, lang: str = "id") -> Client:
    """The workbench of ``who``, with the two-person rule on, unlocked and synced."""
    client = Client(workbench(paths.keys_dir() / f"{who.kid}.key", store, lang=lang))
    client.app.config.workflow = RULE
    client.enter()
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    client.sync()
    return client


def text(page: str) -> str:
    inline = re.sub(r"</?span[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def cells(inbox: str) -> dict[str, str]:
    """Each case's "assigned to" cell, by id."""
    rows = re.findall(r'data-id="(\w+)">(.*?)</tr>', inbox, re.S)
    return {
        rid: text(re.findall(r'<td class="assignee">(.*?)</td>', row, re.S)[0]) for rid, row in rows
    }


def test_a_case_is_assigned_from_its_page_and_the_inbox_filters_by_it(
    store: LocalStorage, anna: Identity, budi: Identity
) -> None:
    client = unlocked(anna, store)
    page = client.get(f"/case/{FIRST}").body
    assert "Ditangani oleh: tidak seorang pun" in text(page)
    assert f'<option value="{budi.kid}">Budi</option>' in page  # by label; herself is "saya"
    assert f'<option value="{anna.kid}">' not in page
    # When Anna gives the case to Budi, then takes it herself
    assert client.post(f"/case/{FIRST}/assign", {"assignee": budi.kid}).status == 303
    assert "Ditangani oleh: Budi" in text(client.get(f"/case/{FIRST}").body)
    client.post(f"/case/{FIRST}/assign", {"assignee": "me"})
    page = client.get(f"/case/{FIRST}").body
    assert "Ditangani oleh: Anna" in text(page)
    assert [row for row in trail(page) if "menugaskan" in row] == [
        "Anna | menugaskan kasus kepada Budi",
        "Anna | menugaskan kasus kepada Anna",
    ]
    # Then the inbox shows who handles each case, and filters by it
    assert cells(client.get("/").body) == {FIRST: "Anna", SECOND: "-"}
    assert list(cells(client.get("/?who=mine").body)) == [FIRST]
    assert list(cells(client.get("/?who=unassigned").body)) == [SECOND]
    assert list(cells(unlocked(budi, store).get("/?who=mine").body)) == []
    # And the same assignment again is refused in the page's words, nothing written
    before = notes.keys(store, FIRST)
    refused = client.follow(client.post(f"/case/{FIRST}/assign", {"assignee": "me"}))
    assert "Kasus ini sudah ditugaskan kepada anggota tersebut." in refused.body
    assert "--" not in text(refused.body).split("Ditangani oleh")[0][-200:]
    assert notes.keys(store, FIRST) == before


def test_someone_who_cannot_read_the_case_is_refused_without_command_words(
    store: LocalStorage, anna: Identity
) -> None:
    outsider = add_inspector_key("Pimpinan", desks=["pimpinan"])
    client = unlocked(anna, store, lang="en")
    refused = client.follow(client.post(f"/case/{FIRST}/assign", {"assignee": outsider.kid}))
    assert "This member cannot read the case: nothing was written." in refused.body
    assert "wbs inbox" not in refused.body
    assert notes.keys(store, FIRST) == [k for k in notes.keys(store, FIRST) if "-" in k]
    assert not [k for k in notes.keys(store, FIRST) if anna.kid in k and "assign" in k]


def test_a_rejection_is_proposed_by_one_member_and_approved_by_another(
    store: LocalStorage, anna: Identity, budi: Identity
) -> None:
    first = unlocked(anna, store)
    page = first.get(f"/case/{FIRST}").body
    assert "Ubah atau usulkan status" in page and "Ditolak, Selesai" in text(page)
    # When Anna rejects the case
    answer = first.post(f"/case/{FIRST}/status", {"status": "ditolak", "reason": "duplikat"})
    shown = first.follow(answer).body
    # Then it is a proposal: the status stays, and Anna cannot approve it
    assert "Diusulkan: pelapor belum melihat apa pun" in shown
    assert '<dd id="case-status">Menunggu Verifikasi</dd>' in shown
    assert 'id="own-proposal"' in shown and 'id="approve"' not in shown
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    name = re.findall(
        r'name="proposal" value="([^"]+)"', unlocked(budi, store).get(f"/case/{FIRST}").body
    )
    own = first.follow(first.post(f"/case/{FIRST}/approve", {"proposal": name[0]}))
    assert "Usulan ini milik Anda sendiri" in own.body
    # And the inbox shows it awaits approval, from records it keeps without their words
    assert "Ditolak menunggu persetujuan" in cells(first.get("/?who=awaiting").body)[FIRST]
    reader = first.app.session.reader
    assert reader is not None
    kept = [r for r in first.app.outlines(reader).values() if r is not None]
    assert [(type(r).__name__, r.status, r.reason) for r in kept] == [("Proposal", "ditolak", "")]
    first.post("/lock", {})
    assert first.app._outlines is None
    # When Budi approves it
    second = unlocked(budi, store)
    page = second.get(f"/case/{FIRST}").body
    assert "Anna mengusulkan status Ditolak" in text(page) and "Alasan: duplikat" in text(page)
    done = second.follow(second.post(f"/case/{FIRST}/approve", {"proposal": name[0]}))
    # Then the status is sent, and the trail holds both, unflagged
    assert '<dd id="case-status">Ditolak</dd>' in done.body
    assert 'id="proposal"' not in done.body and 'id="unapproved"' not in done.body
    assert [row for row in trail(done.body) if "membuka" not in row][-3:] == [
        "Anna | mengusulkan status Ditolak: duplikat",
        "Budi | menyetujui status Ditolak",
        "Budi | mengubah status menjadi Ditolak",
    ]
    assert "ditetapkan tanpa persetujuan" not in done.body
    assert len(list(store.list(f"mailboxes/{FIRST}/"))) == 1


def test_an_approval_of_a_proposal_the_page_did_not_show_is_refused(
    store: LocalStorage, anna: Identity, budi: Identity
) -> None:
    unlocked(anna, store).post(f"/case/{FIRST}/status", {"status": "selesai"})
    second = unlocked(budi, store)
    for form in ({"proposal": "20260101T000000000000Z-0000000000000000-00000000.json"}, {}):
        refused = second.follow(second.post(f"/case/{FIRST}/approve", form))
        assert "Usulan berubah sejak halaman ini ditampilkan" in refused.body
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    nothing = second.follow(second.post(f"/case/{SECOND}/approve", {"proposal": "x"}))
    assert "Tidak ada usulan yang menunggu persetujuan" in nothing.body


def test_a_status_set_alone_under_the_rule_is_flagged_on_the_page(
    store: LocalStorage, anna: Identity
) -> None:
    client = unlocked(anna, store)
    client.app.config.workflow = Workflow()  # a tool that keeps no rule sends it
    client.post(f"/case/{FIRST}/status", {"status": "selesai"})
    client.app.config.workflow = RULE
    page = client.get(f"/case/{FIRST}").body
    assert "Status Selesai ditetapkan tanpa persetujuan anggota kedua." in text(page)
    assert (
        "Anna | mengubah status menjadi Selesai ⚠ ditetapkan tanpa persetujuan anggota kedua"
        in trail(page)
    )


def test_an_approval_storage_refuses_is_said_in_the_page_and_finished_by_approving_again(
    store: LocalStorage, anna: Identity, budi: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    unlocked(anna, store).post(f"/case/{FIRST}/status", {"status": "selesai"})
    second = unlocked(budi, store)
    (name,) = re.findall(r'name="proposal" value="([^"]+)"', second.get(f"/case/{FIRST}").body)
    real = LocalStorage.put_new
    refuse_notes(monkeypatch)
    refused = second.follow(second.post(f"/case/{FIRST}/approve", {"proposal": name}))
    assert "Persetujuan Anda tersimpan di komputer ini saja" in refused.body
    assert "wbs inbox" not in refused.body
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    monkeypatch.setattr(LocalStorage, "put_new", real)
    done = second.follow(second.post(f"/case/{FIRST}/approve", {"proposal": name}))
    assert '<dd id="case-status">Selesai</dd>' in done.body
    assert len(list(store.list(f"mailboxes/{FIRST}/"))) == 1
    keys = desk_reader(budi)
    found = [notes.read_one(k, store.get(k), keys) for k in notes.keys(store, FIRST)]
    assert [(r.author, r.proposal) for r in found if isinstance(r, notes.Approval)] == [
        (budi.kid, name)
    ]
