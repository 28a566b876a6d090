"""Issue 14: inspectors read and write through desk keys (docs/spec/desks-v2.md), in the CLI
and the workbench, on real keys and real local storage: reports are sealed to desks and the
recovery key, never to persons, and a person reads through the grants a sync brings."""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from nacl.public import PrivateKey, PublicKey, SealedBox

from functions.errors import StorageError
from functions.keyring import DeskEntry, Keyring, RecoveryEntry
from functions.signature import Signature
from functions.storage import LocalStorage, layout
from functions.storage.base import ObjectInfo
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    add_inspector_key,
    desk_keys,
    payload,
    put,
    sealed_to,
    use_private_home,
    wbs,
)
from tests.support.membership import RECOVERY, Institution
from tests.support.reporter import case_key_text
from tests.support.workbench import Client, in_chromium, workbench
from wbs import keyfile, paths, syncing
from wbs.cache import Cache
from wbs.cases import readers
from wbs.crypto import Identity, Recipient, seal
from wbs.desks import grants, recovery
from wbs.reports import Reader, parse_stored

IDS = [f"7K3M{n:012d}" for n in range(20)]
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def key_path(kid: str) -> Path:
    return paths.keys_dir() / f"{kid}.key"


def as_(kid: str, *args: str) -> list[str]:
    """`wbs` arguments that use the key file of ``kid`` (several live in one WBS_HOME)."""
    return [*args, "--key", str(key_path(kid))]


def report(store: LocalStorage, report_id: str, title: str, desks: list[str]) -> None:
    content = payload(title=f"{title} {CANARY}", reporter_signing_key=case_key_text(report_id))
    put(store, report_id, desk_keys(desks), content)


def note(report_id: str, kid: str, words: str) -> Result:
    """`wbs inbox note` as the holder of ``kid``, the text from a file."""
    source = paths.home() / "note.txt"
    source.write_text(words, encoding="utf-8")
    return wbs("inbox", "note", report_id, "--file", str(source), *as_(kid))


def unlocked(kid: str, store: LocalStorage) -> Client:
    client = Client(workbench(key_path(kid), store, Institution.here().path))
    client.enter()
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    return client


def text(page: str) -> str:
    """The page's words; a person's name (a span in the line) stays part of its line."""
    inline = re.sub(r"</?span[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_a_member_added_after_20_reports_reads_all_20_in_the_cli_and_the_workbench(
    store: LocalStorage,
) -> None:
    # Given a desk with one member, and 20 reports sealed to the desk and the recovery key
    first = add_inspector_key("Irban I")
    for n, report_id in enumerate(IDS):
        report(store, report_id, f"Laporan {n}", ["inspektorat"])
    assert wbs("inbox", "sync").exit_code == 0
    # When a second inspector joins the desk afterwards: a grant of its key, nothing else
    second = add_inspector_key("Irban II")
    assert second.public_key not in desk_keys()
    assert all(second.kid not in sealed_to(r, store) for r in IDS)

    # Then, before a sync brought the grant, the newcomer reads none of them
    listed = wbs("inbox", "list", *as_(second.kid))
    assert listed.exit_code == 1 and "3 of 20" not in listed.stderr
    assert "20 of 20 reports could not be opened" in listed.stderr
    # And after it, every one of the 20
    synced = wbs("inbox", "sync")
    assert synced.exit_code == 0, synced.output
    assert "1 new grant (3 in the cache: desk memberships and shared cases)" in synced.stdout
    listed = wbs("inbox", "list", *as_(second.kid))
    assert listed.exit_code == 0, listed.output
    for n in range(20):
        assert f"Laporan {n} {CANARY}" in listed.stdout
    shown = wbs("inbox", "show", IDS[7], *as_(second.kid))
    assert shown.exit_code == 0, shown.output
    assert f"Laporan 7 {CANARY}" in shown.stdout
    # And in the workbench, every case opens
    client = unlocked(second.kid, store)
    inbox = client.get("/").body
    assert inbox.count('<tr class="case') == 20 and "dienkripsi untuk tim" not in inbox
    for n in range(20):
        assert f"Laporan {n} {CANARY}" in inbox
    page = client.get(f"/case/{IDS[19]}")
    assert page.status == 200 and f"Laporan 19 {CANARY}" in page.body
    readers = text(page.body.split('<section id="readers">')[1].split("</section>")[0])
    assert "tim inspektorat (1): dipegang oleh Irban I, Irban II, Kunci pemulihan" in readers
    assert "Orang yang dapat membacanya Irban I, Irban II, Kunci pemulihan" in readers
    # The first member still reads them as before
    assert wbs("inbox", "show", IDS[3], *as_(first.kid)).exit_code == 0


def test_a_removed_member_reads_what_it_held_and_nothing_sent_after_it_left(
    store: LocalStorage,
) -> None:
    # Given two members, and a report sealed to generation 1 of the desk
    stays = add_inspector_key("Irban I")
    leaves = add_inspector_key("Irban Lama")
    report(store, FIRST, "Sebelum rotasi", ["inspektorat"])
    # When one leaves: the desk is rotated, generation 2 granted to those who stay
    here = Institution.here()
    here.rotate(leaving=[leaves.kid])
    assert set(here.members(here.ring.desk("inspektorat"))) == {stays.kid, RECOVERY.kid}
    # And a report is sent after that (the rebuilt page seals to generation 2)
    report(store, SECOND, "Sesudah rotasi", ["inspektorat"])
    assert here.ring.desk("inspektorat").kid in sealed_to(SECOND, store)
    assert wbs("inbox", "sync").exit_code == 0

    # Then the leaver still reads the old report, and not the new one
    old = wbs("inbox", "show", FIRST, *as_(leaves.kid))
    assert old.exit_code == 0 and f"Sebelum rotasi {CANARY}" in old.stdout
    new = wbs("inbox", "show", SECOND, *as_(leaves.kid))
    assert new.exit_code == 1 and CANARY not in new.stdout
    assert "wbs: error: report 7K3M-ZZZZ-0000-0000 is sealed to no key you hold" in new.stderr
    assert "hint: it opens with desk inspektorat (2), held by Irban I, Kunci pemulihan" in (
        new.stderr
    )
    # And writes nothing, even on the case it reads: it holds no current key of the desk
    answer = note(FIRST, leaves.kid, "catatan")
    assert answer.exit_code == 1 and "hold the current key of none" in answer.stderr
    # And the one who stayed reads both, and writes to generation 2
    for report_id in (FIRST, SECOND):
        assert wbs("inbox", "show", report_id, *as_(stays.kid)).exit_code == 0
    noted = note(FIRST, stays.kid, "catatan")
    assert noted.exit_code == 0, noted.output
    assert "readable by:  desk inspektorat (2), the recovery key" in noted.stdout
    # The same in the workbench: the new case names the desk that would open it
    client = unlocked(leaves.kid, store)
    assert client.get(f"/case/{FIRST}").status == 200
    page = client.get(f"/case/{SECOND}")
    assert page.status == 422 and "location" not in page.headers
    assert "tim inspektorat (2): dipegang oleh Irban I, Kunci pemulihan" in text(page.body)


def test_a_case_shared_with_another_desk_is_read_by_its_members_and_on_the_audit_trail(
    store: LocalStorage,
) -> None:
    # Given a case of desk inspektorat, with a reply, and a member of another desk
    central = add_inspector_key("Irban Pusat")
    escalation = add_inspector_key("Pimpinan", desks=["pimpinan"])
    report(store, FIRST, "Menyangkut pegawai", ["inspektorat"])
    assert wbs("inbox", "sync").exit_code == 0
    noted = note(FIRST, central.kid, "catatan awal")
    assert noted.exit_code == 0, noted.output
    assert wbs("inbox", "sync").exit_code == 0
    before = wbs("inbox", "show", FIRST, *as_(escalation.kid))
    assert before.exit_code == 1 and "desk inspektorat (1), held by Irban Pusat" in before.stderr

    # When the central inspector shares it with desk pimpinan (a case grant)
    shared_at = datetime.datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    Institution.here().share(FIRST, "pimpinan", central, "menyangkut pegawai", shared_at)
    assert wbs("inbox", "sync").exit_code == 0

    # Then the escalation desk's member reads the report and the note written before
    shown = wbs("inbox", "show", FIRST, "--audit", *as_(escalation.kid))
    assert shown.exit_code == 0, shown.output
    assert f"Menyangkut pegawai {CANARY}" in shown.stdout and "catatan awal" in shown.stdout
    # And the share is on the audit trail: who shared with which desk, when
    trail = shown.stdout.split("Jejak audit / Audit trail")[1]
    assert "Irban Pusat  shared pimpinan (1)" in trail
    # And what is written from now on is sealed to both desks and the recovery key
    noted = note(FIRST, escalation.kid, "diterima")
    assert noted.exit_code == 0, noted.output
    assert "desk inspektorat (1), desk pimpinan (1), the recovery key" in noted.stdout
    assert wbs("inbox", "sync").exit_code == 0
    back = wbs("inbox", "show", FIRST, *as_(central.kid))
    assert back.exit_code == 0 and "diterima" in back.stdout
    # And the workbench shows the share, on the case and in its audit trail
    page = unlocked(escalation.kid, store).get(f"/case/{FIRST}")
    assert page.status == 200
    readers = text(page.body.split('<section id="readers">')[1].split("</section>")[0])
    assert "Dibagikan kepada tim pimpinan (1), oleh Irban Pusat" in readers
    assert "dipegang oleh Pimpinan, Kunci pemulihan" in readers
    audit = text(page.body.split('<section id="audit">')[1].split("</section>")[0])
    assert "Irban Pusat membagikan kasus kepada tim pimpinan (1)" in audit


def test_a_forged_share_is_shown_not_verified_and_opens_nothing(store: LocalStorage) -> None:
    add_inspector_key("Irban Pusat")
    outsider = add_inspector_key("Pimpinan", desks=["pimpinan"])
    report(store, FIRST, "Rahasia", ["inspektorat"])
    # A forger with storage rights seals keys it made up to desk pimpinan, signed by a key
    # of its own that no keyring lists
    here = Institution.here()
    payload_ = grants.case_keys("palsu", {bytes(24): bytes(32)})
    stranger = keyfile.generate()
    key, data = grants.case_grant(FIRST, here.ring.desk("pimpinan"), payload_, stranger)
    store.put_new(key, data)
    assert wbs("inbox", "sync").exit_code == 0
    shown = wbs("inbox", "show", FIRST, *as_(outsider.kid))
    assert shown.exit_code == 1 and CANARY not in shown.stdout
    # Said once, as a note, and never used
    notes = [line for line in shown.stderr.splitlines() if "case grant" in line]
    assert len(notes) == 1 and "not used" in notes[0] and stranger.kid in notes[0]


def self_granted(entry: DeskEntry, who: Identity) -> tuple[str, bytes]:
    """A membership grant ``who`` signs to itself, holding a key of its own making (the desk's
    it does not have): signed by a keyring key, rooted nowhere."""
    sealed = SealedBox(PublicKey(who.public_key)).encrypt(bytes(PrivateKey.generate()))
    unsigned = grants.Grant(
        grants.DESK_GRANT,
        entry.desk,
        entry.generation,
        entry.kid,
        "2026-12-06T09:00:00Z",
        sealed,
        Signature(who.kid, b""),
        member=who.kid,
    )
    assert who.signing_key is not None
    sig = who.signing_key.sign(grants.signed_bytes(unsigned.body())).signature
    signed = dataclasses.replace(unsigned, signature=Signature(who.kid, sig))
    return layout.desk_grant(entry.desk, entry.generation, who.kid), signed.to_bytes()


def test_a_share_or_a_grant_signed_by_no_member_counts_for_nothing(
    store: LocalStorage,
) -> None:
    # Given a case of desk inspektorat, and a person of another desk who is no member of it
    central = add_inspector_key("Irban Pusat")
    other = add_inspector_key("Irban Jabar", desks=["jabar"])
    report(store, FIRST, "Laporan", ["inspektorat"])
    here = Institution.here()
    # When that person signs a share of the case to its own desk (it holds none of the
    # case's keys: the payload is junk) and a grant of desk inspektorat to itself
    junk = grants.case_keys("ambil alih", {bytes(24): bytes(32)})
    key, data = grants.case_grant(FIRST, here.ring.desk("jabar"), junk, other)
    store.put_new(key, data)
    store.put_new(*self_granted(here.ring.desk("inspektorat"), other))
    assert wbs("inbox", "sync").exit_code == 0
    # Then what the members write is still sealed to desk inspektorat and the recovery key
    noted = note(FIRST, central.kid, "catatan")
    assert noted.exit_code == 0, noted.output
    assert "readable by:  desk inspektorat (1), the recovery key (not the reporter)" in (
        noted.stdout
    )
    # And the member's own unlock says the grant to it holds another key, and never uses it
    shown = wbs("inbox", "show", FIRST, "--audit", *as_(other.kid))
    assert shown.exit_code == 1
    assert "grant of desk inspektorat (1) holds another key" in shown.stderr
    # And the case page shows the share as one that does not count, the grant flagged
    page = unlocked(central.kid, store).get(f"/case/{FIRST}")
    readers = text(page.body.split('<section id="readers">')[1].split("</section>")[0])
    assert "tim inspektorat (1): dipegang oleh Irban Pusat, Kunci pemulihan" in readers
    assert "hibah kunci untuk Irban Jabar tidak menjadikannya anggota" in readers
    assert "Dibagikan kepada tim jabar (1), oleh Irban Jabar" in readers
    assert "pembagian ini tidak berlaku (it does not count: Irban Jabar is no member" in readers
    assert "Orang yang dapat membacanya Irban Pusat, Kunci pemulihan" in readers
    audit = text(page.body.split('<section id="audit">')[1].split("</section>")[0])
    assert (
        "Irban Jabar membagikan kasus kepada tim jabar (1) ⚠ pembagian ini tidak berlaku"
        " (it does not count" in audit
    )


def test_a_grant_that_fails_verification_is_said_once_and_never_used(
    store: LocalStorage,
) -> None:
    first = add_inspector_key("Irban I")
    report(store, FIRST, "Laporan", ["inspektorat"])
    # Given a grant of desk pimpinan to the inspector, signed by a key no keyring lists
    here = Institution.here()
    entry = here.new_desk("pimpinan")
    stranger = keyfile.generate()
    key, data = grants.desk_grant(entry, here.secret(entry), first.kid, first.public_key, stranger)
    store.put_new(key, data)
    report(store, SECOND, "Untuk pimpinan", ["pimpinan"])
    assert wbs("inbox", "sync").exit_code == 0
    # Then the CLI says so once, and the report of that desk stays closed
    listed = wbs("inbox", "list", *as_(first.kid))
    said = [line for line in listed.stderr.splitlines() if "grant of desk pimpinan" in line]
    assert said == [
        f"wbs: note: grant of desk pimpinan (1) not used: it is signed by {stranger.kid},"
        " which is no signing key of the keyring"
    ]
    assert "1 report sealed to no key you hold (7K3M-ZZZZ-0000-0000)" in listed.stderr
    # And the workbench says it once, on the page after the unlock
    client = unlocked(first.kid, store)
    inbox = client.get("/").body
    left_out = "keanggotaan tim atau kasus yang dibagikan (1) tidak lolos pemeriksaan"
    assert inbox.count(left_out) == 1 and "grant of desk" not in inbox  # the page's words
    assert left_out not in client.get("/").body  # once
    assert client.get(f"/case/{SECOND}").status == 422


def test_the_workbench_never_loops_on_a_case_it_cannot_read_and_names_the_desk(
    store: LocalStorage, tmp_path: Path
) -> None:
    # Given desks named in the config, and a case of a desk this inspector is not in
    config = tmp_path / "config.toml"
    config.write_text(
        '[[desks]]\nid = "inspektorat"\nname.id = "Inspektorat"\nname.en = "Inspectorate"\n\n'
        '[[desks]]\nid = "jabar"\nname.id = "Inspektorat Wilayah Jawa Barat"\n'
        'name.en = "West Java Inspectorate"\n',
        encoding="utf-8",
    )
    mine = add_inspector_key("Irban I")
    add_inspector_key("Irban Jabar", desks=["jabar"])
    report(store, FIRST, "Milik sendiri", ["inspektorat"])
    report(store, THIRD, "Milik Jabar", ["jabar"])
    app = workbench(key_path(mine.kid), store, Institution.here().path)
    app.config.desk_names = {"jabar": "Inspektorat Wilayah Jawa Barat"}
    client = Client(app)
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    inbox = client.sync().body
    # The inbox counts it, and lists it as one sealed to another desk
    assert "1 kasus dienkripsi untuk tim yang kuncinya tidak Anda pegang" in inbox
    # Opening it answers a page of its own, never a redirect, whatever is asked of it
    for target in (f"/case/{THIRD}", f"/case/{THIRD}/case-file"):
        answer = client.get(target)
        assert answer.status in (303, 422), target
        seen = 0
        while answer.status == 303 and seen < 3:  # at most one step back, never to itself
            assert answer.headers["location"] != target
            answer = client.follow(answer)
            seen += 1
        assert answer.status in (200, 422)
    page = client.get(f"/case/{THIRD}")
    assert page.status == 422 and "location" not in page.headers
    openers = text(page.body.split('<section id="openers">')[1].split("</section>")[0])
    assert (
        "tim Inspektorat Wilayah Jawa Barat (jabar, generation 1): dipegang oleh Irban Jabar,"
        " Kunci pemulihan" in openers
    )
    assert "Milik Jabar" not in page.body
    # And the CLI names it alike, with the config's name
    shown = wbs("inbox", "show", THIRD, *as_(mine.kid), "--config", str(config))
    assert "desk Inspektorat Wilayah Jawa Barat (jabar, generation 1), held by Irban Jabar" in (
        shown.stderr
    )


def test_the_recovery_key_reads_every_desk_through_its_grants(
    store: LocalStorage, tmp_path: Path
) -> None:
    # Given a real recovery key from its master secret, and a desk whose only grant is its own
    master = recovery.new_master()
    rescuer = recovery.identity(master)
    secret = PrivateKey.generate()
    ring = Keyring().with_recovery(
        RecoveryEntry.for_public_key(
            rescuer.public_key, rescuer.verify_key or b"", recovery.LABEL, "2026-12-06", 3, 5
        )
    )
    ring = ring.with_desk(
        DeskEntry.for_public_key("inspektorat", 1, bytes(secret.public_key), "2026-12-06")
    )
    key, data = grants.desk_grant(
        ring.desk("inspektorat"), secret, rescuer.kid, rescuer.public_key, rescuer
    )
    store.put_new(key, data)
    to = [Recipient(ring.desk("inspektorat").public_key_bytes), Recipient(rescuer.public_key)]
    plaintext = b'{"schema": "wbs-report/1", "title": "dibuka oleh pemulihan"}'
    envelope = seal("report", FIRST, plaintext, to)
    stored = {"received": "2026-12-06T01:00:00Z", "envelope": envelope.to_json()}
    store.put_new(layout.report(FIRST), json.dumps(stored).encode())
    cache = Cache(tmp_path / "cache")
    cache.fetch(store, FIRST)
    cache.fetch_grant(store, key)
    # Then a Reader of the recovery identity opens it with the desk key of its grant
    reader = Reader.unlocked(recovery.identity(master), ring, cache.grants())
    assert reader.problems == () and reader.desk_kids == {ring.desk("inspektorat").kid}
    opened = reader.open(parse_stored(FIRST, cache.read(FIRST)))
    assert opened.title == "dibuka oleh pemulihan"


class OneDesksCredentials(LocalStorage):
    """Storage as one desk's IAM policy sees it (docs/aws.md): listing desks/ is refused, and
    listing another desk's grants too."""

    def __init__(self, root: Path, desk: str) -> None:
        super().__init__(root)
        self.desk = desk

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if prefix.startswith(layout.DESKS) and not prefix.startswith(f"desks/{self.desk}/"):
            raise StorageError(f"cannot list {prefix} in S3: AccessDenied")
        return super().list(prefix)


def test_credentials_of_one_desk_sync_that_desk_s_grants_and_say_which_they_cannot(
    store: LocalStorage, tmp_path: Path
) -> None:
    member = add_inspector_key("Irban Jabar", desks=["jabar"])
    add_inspector_key("Irban Pusat", desks=["inspektorat"])
    report(store, FIRST, "Untuk Jabar", ["jabar"])
    limited = OneDesksCredentials(store.root, "jabar")
    cache = Cache(tmp_path / "cache")
    done = syncing.run(limited, cache, desks=Institution.here().ring.desk_ids())
    assert done.refused == ["inspektorat"]
    assert {layout.parse_desk_grant(k)[0] for k in cache.grant_keys()} == {"jabar"}  # type: ignore[index]
    reader = Reader.unlocked(member, Institution.here().ring, cache.grants())
    assert reader.problems == ()
    assert reader.open(parse_stored(FIRST, cache.read(FIRST))).title == f"Untuk Jabar {CANARY}"
    # Without the keyring's desks to list one by one, the refusal stops the sync, as before
    with pytest.raises(StorageError, match="AccessDenied"):
        syncing.run(limited, Cache(tmp_path / "other"))


def test_in_chromium_a_case_shows_who_reads_it_and_another_desk_s_case_who_would(
    browser: Any, home: Path, store: LocalStorage
) -> None:
    add_inspector_key("Irban I")
    Institution.here().add_member(keyfile.generate(), "Irban Jabar", desks=["jabar"])
    report(store, FIRST, "Milik sendiri", ["inspektorat"])
    report(store, THIRD, "Milik Jabar", ["jabar"])
    with in_chromium(browser, home, store) as (page, errors):
        page.click("#sync")
        page.wait_for_selector("#sync-result")
        assert "1 kasus dienkripsi untuk tim" in page.inner_text("#unaddressed")
        # The other desk's case: a page of its own, once, naming the desk and its holders
        with page.expect_navigation() as opened:
            page.click(f"a[href='/case/{THIRD}']")
        assert opened.value is not None and opened.value.status == 422
        assert page.url.endswith(f"/case/{THIRD}")
        openers = page.inner_text("#openers")
        assert "tim jabar (1): dipegang oleh Irban Jabar, Kunci pemulihan" in openers
        assert "Milik Jabar" not in page.content()
        page.click("text=Kembali ke kotak masuk")
        page.wait_for_selector("#cases")
        # Its own case: who can read it
        page.click(f"a[href='/case/{FIRST}']")
        page.wait_for_selector("#readers")
        readers = page.inner_text("#readers")
        assert "tim inspektorat (1): dipegang oleh Irban I, Kunci pemulihan" in readers
        # The console's one error is the browser's note of the 422 itself, no script's
        assert [e for e in errors if "status of 422" not in e] == []


def test_a_retired_desk_is_left_out_of_what_is_written_and_none_left_is_refused(
    store: LocalStorage,
) -> None:
    member = add_inspector_key("Irban I", desks=["inspektorat", "lama"])
    here = Institution.here()
    ring = here.ring
    retired = dataclasses.replace(
        ring, desks=tuple(dataclasses.replace(d, active=d.desk != "lama") for d in ring.desks)
    )
    writer = here.reader(member)
    old = readers.Sealed(ring.desk("lama"), ())
    both = readers.CaseReaders(
        FIRST, (old, readers.Sealed(ring.desk("inspektorat"), ())), (), "", ()
    )
    assert [d.desk for d in readers.audience(retired, both, writer).desks] == ["inspektorat"]
    alone = readers.CaseReaders(FIRST, (old,), (), "", ())
    with pytest.raises(readers.CannotWrite, match="every desk of report") as refused:
        readers.audience(retired, alone, writer)
    assert refused.value.hint == "share the case with a desk that is in use: wbs desks share"
