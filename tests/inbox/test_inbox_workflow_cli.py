"""`wbs inbox assign`, `list --mine/--unassigned` and the two-person rule of `status` and
`approve` (docs/spec/mailbox-v1.md sections 7.2 and 7.3), with two members of one desk."""

from __future__ import annotations

import base64
import datetime
import json
import re
from pathlib import Path

import pytest

from functions.errors import StorageError
from functions.storage import LocalStorage
from tests.support.inbox import (
    FIRST,
    SECOND,
    add_inspector_key,
    desk_keys,
    payload,
    put,
    refuse_notes,
    wbs,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key_text
from wbs import config, keyfile, notes, paths, thread
from wbs.cache import Cache
from wbs.cases import answering, readers, workflow
from wbs.crypto import Identity

RULE = '[workflow]\nsecond_approval = ["ditolak", "selesai"]\n'


def as_(who: Identity, *args: str) -> list[str]:
    """`wbs` arguments that use the key file of ``who`` (two live in one WBS_HOME)."""
    return [*args, "--key", str(paths.keys_dir() / f"{who.kid}.key")]


@pytest.fixture
def anna() -> Identity:
    return add_inspector_key("Anna")


@pytest.fixture
def budi(anna: Identity) -> Identity:
    return add_inspector_key("Budi")


@pytest.fixture
def cases(store: LocalStorage, anna: Identity, budi: Identity) -> None:
    """Two synced reports of desk inspektorat, which Anna and Budi are members of."""
    for report_id in (FIRST, SECOND):
        reporter = base64.b64encode(keyfile.generate().public_key).decode()
        content = payload(
            reporter_signing_key=case_key_text(report_id), reporter_public_key=reporter
        )
        put(store, report_id, desk_keys(), content)
    assert wbs("inbox", "sync").exit_code == 0


@pytest.fixture
def rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The config file of the institution, with the two-person rule on."""
    path = tmp_path / "config.toml"
    path.write_text(RULE, encoding="utf-8")
    monkeypatch.setattr(config, "DEFAULT_PATH", path)
    return path


def trail(who: Identity, number: str = FIRST) -> list[str]:
    shown = wbs("inbox", "show", number, "--audit", *as_(who))
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.split("Jejak audit / Audit trail\n")[1].splitlines()
    return [" ".join(line.split()[2:]) for line in lines if line.strip()]


def propose_rejection(who: Identity) -> None:
    rejected = wbs("inbox", "status", FIRST, "ditolak", "--reason", "duplikat", *as_(who))
    assert rejected.exit_code == 0, rejected.output
    assert "proposed Ditolak" in rejected.stdout


def case_of(store: LocalStorage, who: Identity, report_id: str = FIRST) -> answering.Answerable:
    """What `wbs inbox status` answers with, as ``who``: any tool holding the key could."""
    cache = Cache.for_storage(f"local:{store.root}")
    here = Institution.here()
    return answering.answerable(store, cache, report_id, here.ring, here.reader(who))


def test_a_case_is_assigned_reassigned_and_unassigned_on_the_trail_by_label(
    cases: None, anna: Identity, budi: Identity, tmp_path: Path
) -> None:
    # When Anna takes the case, then gives it to Budi (by label), then to nobody
    taken = wbs("inbox", "assign", FIRST, "--me", *as_(anna))
    assert taken.exit_code == 0, taken.output
    assert "is assigned to Anna" in taken.stdout
    assert wbs("inbox", "assign", FIRST, "--to", "budi", *as_(anna)).exit_code == 0
    assert "Ditangani / Assigned to: Budi" in wbs("inbox", "show", FIRST, *as_(anna)).stdout
    # Then the list shows the label, never the key id
    listed = wbs("inbox", "list", *as_(budi))
    assert listed.exit_code == 0, listed.output
    assert "Assigned to" in listed.stdout and "Budi" in listed.stdout
    assert budi.kid not in listed.stdout
    mine = wbs("inbox", "list", "--mine", *as_(budi))
    assert "7K3M-Q2X9" in mine.stdout and "7K3M-ZZZZ" not in mine.stdout
    unassigned = wbs("inbox", "list", "--unassigned", *as_(budi))
    assert "7K3M-ZZZZ" in unassigned.stdout and "7K3M-Q2X9" not in unassigned.stdout
    assert "7K3M" not in wbs("inbox", "list", "--mine", *as_(anna)).stdout
    # And the same again is refused, nothing written
    again = wbs("inbox", "assign", FIRST, "--to", budi.kid, *as_(anna))
    assert again.exit_code == 1 and "assigned to Budi already" in again.stderr
    assert wbs("inbox", "assign", FIRST, "--nobody", *as_(budi)).exit_code == 0
    assert [line for line in trail(anna) if "assigned" in line] == [
        "Anna assigned Anna",
        "Anna assigned Budi",
        "Budi assigned nobody",
    ]
    assert "7K3M-Q2X9" in wbs("inbox", "list", "--unassigned", *as_(anna)).stdout
    # And the case file's trail names them too
    target = tmp_path / "kasus.html"
    assert wbs("inbox", "case-file", FIRST, "--to", str(target), *as_(anna)).exit_code == 0
    written = target.read_text(encoding="utf-8")
    assert "menugaskan kasus kepada" in written and "tidak ditugaskan kepada siapa pun" in written


def test_assigning_someone_who_cannot_read_the_case_or_nobody_named_is_refused(
    store: LocalStorage, cases: None, anna: Identity
) -> None:
    outsider = add_inspector_key("Pimpinan", desks=["pimpinan"])
    before = notes.keys(store, FIRST)
    for args in (["--to", "Pimpinan"], ["--to", outsider.kid], ["--to", "Siapa"], []):
        refused = wbs("inbox", "assign", FIRST, *args, *as_(anna))
        assert refused.exit_code == 1, refused.output
        assert "wbs: error: " in refused.stderr and "hint: " in refused.stderr
    assert "Anna" in wbs("inbox", "assign", FIRST, "--to", "Siapa", *as_(anna)).stderr
    # Even asked through the module with a key id, someone outside is refused
    with pytest.raises(workflow.Refused, match="cannot read"):
        case = case_of(store, anna)
        workflow.assign(store, case.cache, FIRST, case.ring, case.unlocked, outsider.kid, _now())
    assert notes.keys(store, FIRST) == before


def test_under_the_rule_a_rejection_is_proposed_and_a_second_member_sends_it(
    store: LocalStorage, cases: None, rule: Path, anna: Identity, budi: Identity
) -> None:
    # When Anna rejects the case alone
    proposed = wbs("inbox", "status", FIRST, "ditolak", "--reason", "duplikat", *as_(anna))
    # Then only a proposal is stored: the reporter sees nothing yet
    assert proposed.exit_code == 0, proposed.output
    assert (
        "proposed Ditolak" in proposed.stdout and "wbs inbox approve 7K3M-Q2X9" in proposed.stdout
    )
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    shown = wbs("inbox", "show", FIRST, *as_(budi)).stdout
    assert "⚠ Anna proposed Ditolak: awaiting a second member's approval" in shown
    assert "Status: Menunggu Verifikasi (menunggu-verifikasi)" in shown
    awaiting = wbs("inbox", "list", "--awaiting", *as_(budi))
    assert "7K3M-Q2X9" in awaiting.stdout and "7K3M-ZZZZ" not in awaiting.stdout
    # And Anna cannot approve her own proposal
    own = wbs("inbox", "approve", FIRST, *as_(anna))
    assert own.exit_code == 1 and "your own" in own.stderr
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    # When Budi approves it
    approved = wbs("inbox", "approve", FIRST, *as_(budi))
    assert approved.exit_code == 0, approved.output
    assert "approving: Anna proposed Ditolak" in approved.stdout
    assert "reason:       duplikat" in approved.stdout
    # Then the status message is sent, signed by Budi, and the trail shows both, unflagged
    shown = [
        line for line in trail(anna) if "proposed" in line or "approved" in line or "status" in line
    ]
    assert shown == [
        "Anna proposed ditolak: duplikat",
        "Budi approved ditolak",
        "Budi status ditolak",
    ]
    cache = Cache.for_storage(f"local:{store.root}")
    assert thread.read(cache, Institution.here().reader(anna), FIRST).status == "ditolak"
    # And nothing waits any more
    again = wbs("inbox", "approve", FIRST, *as_(budi))
    assert again.exit_code == 1 and "no proposal waits" in again.stderr


def test_a_status_the_rule_does_not_cover_is_sent_at_once(
    store: LocalStorage, cases: None, rule: Path, anna: Identity
) -> None:
    sent = wbs("inbox", "status", FIRST, "dalam-proses", *as_(anna))
    assert sent.exit_code == 0, sent.output
    assert "Menunggu Verifikasi → Dalam Proses" in sent.stdout
    assert len(list(store.list(f"mailboxes/{FIRST}/"))) == 1


def test_without_the_rule_one_member_rejects_alone_and_nothing_is_flagged(
    store: LocalStorage, cases: None, anna: Identity
) -> None:
    sent = wbs("inbox", "status", FIRST, "ditolak", "--reason", "duplikat", *as_(anna))
    assert sent.exit_code == 0 and "→ Ditolak" in sent.stdout
    assert [line for line in trail(anna) if "status" in line] == ["Anna status ditolak"]


def test_a_status_sent_alone_by_other_tools_or_with_a_forged_approval_is_flagged(
    store: LocalStorage,
    cases: None,
    rule: Path,
    anna: Identity,
    budi: Identity,
    tmp_path: Path,
) -> None:
    # Given Anna's proposal, and Budi "approving" with an unsigned approval record, then
    # sending the status with a tool that keeps no rule
    propose_rejection(anna)
    (proposal,) = notes.keys(store, FIRST)
    case = case_of(store, budi)
    document = {"schema": notes.APPROVAL_SCHEMA, "proposal": proposal.rpartition("/")[2]}
    key, body = notes.seal_record(FIRST, document, budi, case.audience, _now())
    unsigned = {k: v for k, v in json.loads(body).items() if k != "signature"}
    store.put_new(key, json.dumps(unsigned).encode())
    answering.change_status(case, "ditolak", "duplikat", "", _now())
    # And on the other case, Anna rejects alone with such a tool
    answering.change_status(case_of(store, anna, SECOND), "selesai", "", "", _now())
    assert wbs("inbox", "sync").exit_code == 0
    # Then the status shows (the reporter saw it) but flagged, and the forgery is no event
    assert (
        "⚠ Ditolak: set without a second member's approval"
        in wbs("inbox", "show", FIRST, *as_(anna)).stdout
    )
    lines = trail(anna)
    assert "Budi status ditolak ⚠ set without a second member's approval" in lines
    assert not [line for line in lines if "approved" in line]
    assert "Anna status selesai ⚠ set without a second member's approval" in trail(anna, SECOND)
    # and the case file's audit trail flags it the same way, in its language
    for lang, flag in (("en", "set without a second member's approval"), ("id", "tanpa")):
        written = tmp_path / f"berkas-{lang}.html"
        made = wbs("inbox", "case-file", FIRST, "--to", str(written), "--lang", lang, *as_(anna))
        assert made.exit_code == 0, made.output
        (cell,) = re.findall(r'<span class="error unapproved">([^<]*)</span>', written.read_text())
        assert flag in cell


def test_a_changed_proposal_or_wording_is_not_an_approval(
    store: LocalStorage, cases: None, rule: Path, anna: Identity, budi: Identity
) -> None:
    # Given Anna's proposal, approved by Budi, who then sends another reason
    propose_rejection(anna)
    case = case_of(store, budi)
    proposal, _ = workflow.awaiting(case)
    document = {"schema": notes.APPROVAL_SCHEMA, "proposal": proposal.name}
    notes.write_record(store, FIRST, document, budi, case.audience, _now())
    answering.change_status(case, "ditolak", "kedaluwarsa", "", _now())
    assert wbs("inbox", "sync").exit_code == 0
    assert "Budi status ditolak ⚠ set without a second member's approval" in trail(anna)


def test_an_approval_stored_before_the_message_failed_is_reused_when_run_again(
    store: LocalStorage,
    cases: None,
    rule: Path,
    anna: Identity,
    budi: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    propose_rejection(anna)
    # When the status message cannot be stored after the approval was
    real = LocalStorage.put_new

    def no_mailbox(self: LocalStorage, key: str, data: bytes, **kw: object) -> None:
        if key.startswith("mailboxes/"):
            raise StorageError("storage is out of reach")
        real(self, key, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalStorage, "put_new", no_mailbox)
    failed = wbs("inbox", "approve", FIRST, *as_(budi))
    assert failed.exit_code == 1
    assert len(notes.keys(store, FIRST)) == 2  # the proposal and the approval
    # Then running it again sends the status, with no second approval
    monkeypatch.setattr(LocalStorage, "put_new", real)
    done = wbs("inbox", "approve", FIRST, *as_(budi))
    assert done.exit_code == 0, done.output
    assert len(notes.keys(store, FIRST)) == 2
    assert len(list(store.list(f"mailboxes/{FIRST}/"))) == 1
    assert "Budi status ditolak" in trail(anna)  # approved: not flagged


def test_an_approval_storage_refuses_waits_in_the_cache_and_nothing_is_sent(
    store: LocalStorage,
    cases: None,
    rule: Path,
    anna: Identity,
    budi: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    propose_rejection(anna)
    real = LocalStorage.put_new
    refuse_notes(monkeypatch)
    refused = wbs("inbox", "approve", FIRST, *as_(budi))
    assert refused.exit_code == 1 and "approval is not stored yet" in refused.stderr
    assert list(store.list(f"mailboxes/{FIRST}/")) == [] and len(notes.keys(store, FIRST)) == 1
    monkeypatch.setattr(LocalStorage, "put_new", real)
    # Then the next sync stores the approval that waited, and says so as a record of the trail
    synced = wbs("inbox", "sync")
    assert "sent 1 audit-trail record that waited in the cache" in synced.output
    assert len(notes.keys(store, FIRST)) == 2 and list(store.list(f"mailboxes/{FIRST}/")) == []
    # and approving again sends the status with that one approval
    assert wbs("inbox", "approve", FIRST, *as_(budi)).exit_code == 0
    assert len(notes.keys(store, FIRST)) == 2
    assert len(list(store.list(f"mailboxes/{FIRST}/"))) == 1


def test_a_second_proposal_of_the_same_status_by_another_member_is_refused(
    store: LocalStorage, cases: None, rule: Path, anna: Identity, budi: Identity
) -> None:
    assert wbs("inbox", "status", FIRST, "selesai", *as_(anna)).exit_code == 0
    again = wbs("inbox", "status", FIRST, "selesai", *as_(budi))
    assert again.exit_code == 1 and "Anna proposed Selesai already" in again.stderr
    assert "wbs inbox approve 7K3M-Q2X9" in again.stderr
    assert len(notes.keys(store, FIRST)) == 1


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('[workflow]\nsecond_approval = ["dibatalkan"]\n', "'dibatalkan' is no status id"),
        ('[workflow]\nsecond_approval = "ditolak"\n', "must be a list of status ids"),
        ("[workflow]\ntwo_person = true\n", "unknown field 'two_person'"),
    ],
)
def test_a_wrong_workflow_table_is_refused_with_one_line_and_a_hint(
    store: LocalStorage,
    cases: None,
    anna: Identity,
    tmp_path: Path,
    table: str,
    problem: str,
) -> None:
    path = tmp_path / "salah.toml"
    path.write_text(table, encoding="utf-8")
    refused = wbs("inbox", "status", FIRST, "ditolak", "--reason", "x", "--config", str(path))
    assert refused.exit_code == 1
    first, hint = refused.stderr.splitlines()[:2]
    assert first.startswith("wbs: error: ") and problem in first and "workflow" in first
    assert hint == "hint: see the [workflow] example in docs/inspector.md"
    assert list(store.list(f"mailboxes/{FIRST}/")) == [] and notes.keys(store, FIRST) == []


def test_the_shipped_configs_keep_the_rule_where_they_say(anna: Identity) -> None:
    kpu = config.load_all(paths.PROJECT_ROOT / "site" / "examples" / "kpu.toml")
    assert kpu.workflow.second_approval == {"ditolak", "selesai"}
    assert (
        config.load_all(paths.PROJECT_ROOT / "site" / "config.toml").workflow.second_approval
        == set()
    )


def test_a_reader_of_the_case_is_who_it_can_be_assigned_to(
    store: LocalStorage, cases: None, anna: Identity, budi: Identity
) -> None:
    # Given a third member whose key was then retired (still a holder of the desk's key)
    citra = add_inspector_key("Citra")
    Institution.here().person(citra, "Citra", active=False)
    assert wbs("inbox", "sync").exit_code == 0
    case = case_of(store, anna)
    directory = readers.Directory(case.ring, case.cache.grants())
    assert citra.kid in readers.case_readers(case.cache, directory, FIRST).people()
    # Then the case can be assigned to the active members only, and not to the recovery key
    found = workflow.people(case.cache, case.ring, FIRST)
    assert set(found) == {anna.kid, budi.kid}
    assert case.ring.recovery is not None
    assert case.ring.recovery.kid in readers.case_readers(case.cache, directory, FIRST).people()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
