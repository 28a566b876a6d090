"""`wbs desks init`, `new` and `list`: the desks, the recovery key and its share sheets, with
real key files and a real local storage. A refused command changes nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from functions.errors import StorageError
from functions.keyring import dump, grouped
from tests.desks.cli import (
    PASSPHRASE,
    Home,
    held,
    init,
    person,
    ring,
    shares,
    state,
    stored_grants,
    typed_shares,
    wbs,
    write_config,
)
from wbs import keyfile, paths, screen
from wbs.desks import grants, recovery, sheets
from wbs.desks.keys import unlock


def test_init_makes_the_desks_the_recovery_key_grants_and_sheets(home: Home) -> None:
    # Given two inspectors with keys
    anna, bima = person(home, "anna"), person(home, "bima")

    # When the admin sets up the desks, with the sheets written to a folder
    result = init(home, anna, bima)

    # Then the keyring has desk inspektorat (generation 1, active) and the recovery key
    assert result.exit_code == 0, result.output
    keys = ring(home)
    desk = keys.desk("inspektorat")
    assert (desk.generation, desk.active) == (1, True)
    assert keys.recovery is not None
    assert (keys.recovery.threshold, keys.recovery.shares) == (3, 5)
    assert json.loads(home.keyring.read_text())["format"] == "wbs-keyring/4"
    # And storage holds a verified grant of it for the recovery key, anna and bima, which
    # each of them opens
    stored = stored_grants(home)
    members = {grants.parse(k, d).member for k, d in stored}
    assert members == {keys.recovery.kid, anna, bima}
    assert all(grants.check(grants.parse(k, d), keys) == "" for k, d in stored)
    assert set(held(home, "anna").desks) == set(held(home, "bima").desks) == {desk.kid}
    # And five sheets were written, mode 0600 in a folder of mode 0700
    assert stat.S_IMODE(home.sheets.stat().st_mode) == 0o700
    files = sorted(home.sheets.iterdir())
    assert [f.name for f in files] == [f"recovery-share-{n}-of-5.txt" for n in range(1, 6)]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    # And any three of their shares give the recovery key back; two reveal nothing
    words = shares(home)
    for chosen in (words[:3], words[2:], [words[4], words[0], words[2]]):
        assert recovery.identity(recovery.combine(chosen)).kid == keys.recovery.kid
    with pytest.raises(recovery.ShareError):
        recovery.combine(words[:2])
    # And each sheet says what its holder needs, on lines that print on paper
    second = files[1].read_text()
    for text in (
        "Inspektorat Uji",
        "SHARE 2 OF 5",
        "BAGIAN 2 DARI 5",
        "any 3 of the 5 shares",
        keys.recovery.kid,
        grouped(keys.recovery.fingerprint)[:39],
        keys.recovery.created,
        "Nama / Name",
        "Tanda tangan / Signature",
        "Handed over by",
        "Never photograph",
    ):
        assert text in second, text
    assert max(len(line) for line in second.splitlines()) <= 80
    assert len(second.splitlines()) <= 66  # one page
    # And the output names the keys, never a share's words
    assert keys.recovery.kid in result.stdout and desk.kid in result.stdout
    assert grouped(keys.recovery.fingerprint) in result.stdout
    for share in words:
        assert " ".join(share.split()[4:8]) not in result.output


def test_init_shows_the_sheets_one_at_a_time_on_a_terminal_and_writes_none(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = person(home, "anna")
    monkeypatch.setattr(screen, "terminal", lambda: True)

    # When it runs on a terminal, the admin pressing Enter before and after each sheet
    result = wbs("desks", "init", f"--member={anna}", typed="\n" * 10)

    # Then the sheets were shown on the alternate screen, each alone between two clears
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(screen.ALTERNATE_ON) and screen.ALTERNATE_OFF in out
    pages = [p for p in out.split(screen.CLEAR) if "RECOVERY KEY - SHARE" in p]
    assert len(pages) == 5
    for n, page in enumerate(pages, 1):
        assert f"SHARE {n} OF 5" in page and page.count("RECOVERY KEY - SHARE") == 1
    shown = [sheets.words_of(page) for page in pages]
    assert recovery.identity(recovery.combine(shown[1:4])).kid == ring(home).recovery.kid  # type: ignore[union-attr]
    # And the screen is left clear, with the summary after it
    after = out.rpartition(screen.ALTERNATE_OFF)[2]
    assert "RECOVERY" not in after and "recovery key" in after
    # And no sheet was written anywhere
    assert not home.sheets.exists()
    assert not any(p.name.startswith("recovery-share") for p in home.tmp.rglob("*"))


def test_init_stopped_while_the_sheets_are_shown_stores_nothing(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = person(home, "anna")
    monkeypatch.setattr(screen, "terminal", lambda: True)
    before = state(home)
    # The input ends after the second sheet (Ctrl-D; Ctrl-C stops the same way)
    result = wbs("desks", "init", f"--member={anna}", typed="\n\n\n")
    assert result.exit_code == 1
    assert "stopped while the share sheets were shown: nothing was stored" in result.stderr
    assert result.stdout.endswith(screen.CLEAR + screen.ALTERNATE_OFF)
    assert state(home) == before and not stored_grants(home)


def test_without_a_terminal_init_asks_for_sheets_and_changes_nothing(home: Home) -> None:
    anna = person(home, "anna")
    before = state(home)
    result = wbs("desks", "init", f"--member={anna}")
    assert result.exit_code == 1
    assert "shown on a terminal only" in result.stderr and "--sheets DIR" in result.stderr
    assert state(home) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--threshold", "4", "--shares", "3"), "4 of 3 shares cannot be made"),
        (("--threshold", "1", "--shares", "3"), "1 of 3 shares cannot be made"),
        (("--member", "0123456789abcdef"), "no key in the keyring"),
        (("--sheets", str(paths.PROJECT_ROOT / "sheets-here")), "refusing to write"),
    ],
)
def test_init_refuses_bad_input_and_changes_nothing(
    home: Home, args: tuple[str, ...], message: str
) -> None:
    anna = person(home, "anna")
    before = state(home)
    result = wbs("desks", "init", f"--member={anna}", "--sheets", str(home.sheets), *args)
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("wbs: error: ") and message in result.stderr
    assert "hint: " in result.stderr
    assert state(home) == before and not (paths.PROJECT_ROOT / "sheets-here").exists()


def test_init_refuses_a_retired_member_a_used_folder_and_a_second_run(home: Home) -> None:
    anna, retired = person(home, "anna"), person(home, "retired")
    assert wbs("keys", "retire", retired).exit_code == 0
    before = state(home)
    result = init(home, anna, retired)
    assert result.exit_code == 1 and "retired key" in result.stderr
    # A folder that holds something, or that others may enter, is refused
    home.sheets.mkdir(mode=0o700)
    (home.sheets / "old.txt").write_text("old")
    assert "not empty" in init(home, anna).stderr
    (home.sheets / "old.txt").unlink()
    home.sheets.chmod(0o755)
    assert "entered by other users" in init(home, anna).stderr
    home.sheets.chmod(0o700)
    assert state(home) == before
    # And once set up, it is never set up again
    assert init(home, anna).exit_code == 0
    after = state(home)
    again = wbs("desks", "init", f"--member={anna}", "--sheets", str(home.tmp / "other"))
    assert again.exit_code == 1 and "runs once" in again.stderr
    assert state(home) == after and not (home.tmp / "other").exists()


def test_init_refuses_grants_left_in_storage_by_an_unfinished_run(home: Home) -> None:
    # Given a grant stored under desk inspektorat that no keyring lists
    anna = person(home, "anna")
    home.store.put_new(f"desks/inspektorat/1/{anna}.json", b"{}")
    before = state(home)
    # Then init says what is in the way and how to clear it, and changes nothing
    result = init(home, anna)
    assert result.exit_code == 1
    assert "storage already holds 1 grant(s) of desk inspektorat" in result.stderr
    assert "remove desks/inspektorat/" in result.stderr
    assert state(home) == before


def test_a_failed_store_leaves_the_keyring_as_it_was_and_no_sheet(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given storage that fails after its first grant
    anna = person(home, "anna")
    before = home.keyring.read_bytes()
    real = type(home.store).put_new
    calls: list[str] = []

    def failing(self, key: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
        if calls:
            raise StorageError("storage is out of reach")
        calls.append(key)
        real(self, key, data)

    monkeypatch.setattr(type(home.store), "put_new", failing)
    result = init(home, anna)
    # Then the keyring is unchanged, the sheets are removed, and the error says what is left
    assert result.exit_code == 1
    assert (
        "stopped after 1 of 2" in result.stderr and "the keyring was not changed" in result.stderr
    )
    assert "destroy" not in result.stderr and "sheet files were removed" in result.stderr
    assert home.keyring.read_bytes() == before
    assert not list(home.sheets.glob("*"))


def test_init_creates_every_desk_of_the_config(home: Home) -> None:
    write_config(home.config, ("inspektorat", "pimpinan"), "Inspektorat, Komisi Pemilihan Umum")
    anna = person(home, "anna")
    assert init(home, anna).exit_code == 0
    keys = ring(home)
    assert keys.desk_ids() == ("inspektorat", "pimpinan")
    assert len(held(home, "anna").desks) == 2
    assert "Komisi Pemilihan Umum" in (home.sheets / "recovery-share-1-of-5.txt").read_text()
    # A config whose desk id is not one is refused before anything is made
    write_config(home.config, ("inspektorat", "Pimpinan KPU"))
    other = home.tmp / "again.json"
    result = wbs("desks", "init", "--keyring", str(other), "--sheets", str(home.tmp / "s2"))
    assert result.exit_code == 1 and "desks" in result.stderr and ".id" in result.stderr
    assert not other.exists()


def test_new_desk_is_granted_to_the_recovery_key_and_its_members_only(home: Home) -> None:
    # Given desks set up with anna, and a desk added to the config later
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna).exit_code == 0
    write_config(home.config, ("inspektorat", "pimpinan"), "Inspektorat, Komisi Pemilihan Umum")
    # When anna creates it for bima alone
    result = wbs(
        "desks", "new", "pimpinan", f"--member={bima}", "--recovery", typed=typed_shares(home)
    )
    # Then bima and the recovery key hold it, anna does not
    assert result.exit_code == 0, result.output
    keys = ring(home)
    desk = keys.desk("pimpinan")
    assert desk.kid in held(home, "bima").desks
    assert desk.kid not in held(home, "anna").desks
    rescuer = recovery.identity(recovery.combine(shares(home)[:3]))
    assert desk.kid in unlock(rescuer, keys, stored_grants(home)).desks
    # And the recovery key signed its grants: bima is a member as everyone sees it
    pimpinan = [grants.parse(k, d) for k, d in stored_grants(home) if "/pimpinan/" in k]
    assert {g.by for g in pimpinan} == {keys.recovery.kid}  # type: ignore[union-attr]
    assert "next: redeploy (`wbs deploy`" in result.stdout
    # And it is refused again, or for a desk the config does not name
    before = state(home)
    again = wbs("desks", "new", "pimpinan", "--recovery", typed=typed_shares(home))
    assert again.exit_code == 1 and "has desk pimpinan already" in again.stderr
    unknown = wbs("desks", "new", "wilayah-9", "--recovery", typed=typed_shares(home))
    assert unknown.exit_code == 1 and 'id = "wilayah-9"' in unknown.stderr
    assert state(home) == before


def test_a_desk_founded_by_a_person_counts_whom_they_grant(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna).exit_code == 0
    write_config(home.config, ("inspektorat", "pimpinan"), "Inspektorat, Komisi Pemilihan Umum")
    result = wbs("desks", "new", "pimpinan", f"--member={bima}", f"--key={home.keys / 'anna.key'}")
    assert result.exit_code == 0, result.output
    keys = ring(home)
    desk = keys.desk("pimpinan")
    assert desk.founder == anna and desk.kid in held(home, "bima").desks
    listed = wbs("desks", "list")
    assert "Inspektur bima" in listed.stdout and "not rooted" not in listed.stdout


def test_new_before_init_is_refused(home: Home) -> None:
    person(home, "anna")
    before = state(home)
    result = wbs("desks", "new", "inspektorat")
    assert result.exit_code == 1 and "wbs desks init" in result.stderr
    assert state(home) == before


def test_list_shows_who_reads_what_and_flags_what_does_not_verify(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    keys = ring(home)
    desk = keys.desk("inspektorat")
    # Given a forged grant for a third person, signed by a key the keyring does not know
    cici = person(home, "cici")
    stranger = keyfile.generate()
    secret = held(home, "anna").desks[desk.kid]
    cici_public = keyfile.inspect(home.keys / "cici.key").public_key
    key, data = grants.desk_grant(desk, secret, cici, cici_public, stranger)
    home.store.put_new(key, data)
    # And a grant to dewi signed by cici, a person of the keyring who is no member: it
    # verifies, but is not rooted in the recovery key
    dewi = person(home, "dewi")
    cici_identity = keyfile.unlock(home.keys / "cici.key", PASSPHRASE)
    dewi_public = keyfile.inspect(home.keys / "dewi.key").public_key
    unrooted, data = grants.desk_grant(desk, secret, dewi, dewi_public, cici_identity)
    home.store.put_new(unrooted, data)
    # And an object under desks/ that is no grant at all
    home.store.put_new("desks/inspektorat/1/0123456789abcdef.json", b'{"format": "junk"}')
    # And bima retired, still holding the active generation
    assert wbs("keys", "retire", bima).exit_code == 0

    result = wbs("desks", "list")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "inspektorat" in out and desk.kid in out and "Inspektur anna" in out
    assert "Kunci pemulihan" in out and keys.recovery.kid in out  # type: ignore[union-attr]
    assert "not verified" in out and "Inspektur cici" not in out
    assert "not rooted" in out and "Inspektur dewi" not in out
    assert "desks/inspektorat/1/0123456789abcdef.json: not used:" in result.stderr
    assert held(home, "anna").problems == [
        "desks/inspektorat/1/0123456789abcdef.json is not a wbs-desk-grant/2 or"
        " wbs-case-grant/2 document"
    ]
    assert f"{unrooted}: not counted: signed by Inspektur cici, who is no member" in result.stderr
    assert f"{key}: not used: it is signed by {stranger.kid}" in result.stderr
    assert "Inspektur bima" in result.stderr and "is retired but a member" in result.stderr
    assert f"remove-member --desk inspektorat --member {bima}" in result.stderr


def test_list_without_desks_says_so(home: Home) -> None:
    person(home, "anna")
    result = wbs("desks", "list")
    assert "the keyring has no desk" in result.stderr and "wbs desks init" in result.stderr
    assert "desk inspektorat of the config is not in the keyring" in result.stderr


def test_a_keyring_written_meanwhile_is_never_overwritten(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the keyring changes while init waits for the admin (another admin adds a key)
    anna = person(home, "anna")
    real = sheets.write

    def slow(folder: Path, pages):  # type: ignore[no-untyped-def]
        written = real(folder, pages)
        current = ring(home)
        dump(current, home.keyring)
        home.keyring.write_text(home.keyring.read_text() + "\n")
        return written

    monkeypatch.setattr(sheets, "write", slow)
    result = init(home, anna)
    assert result.exit_code == 1 and "changed while this command ran" in result.stderr
    assert not stored_grants(home) and not ring(home).desks


def test_an_empty_object_under_desks_is_flagged_never_a_crash(home: Home) -> None:
    anna = person(home, "anna")
    assert init(home, anna).exit_code == 0
    home.store.put_new("desks/inspektorat/1/0123456789abcdef.json", b"{}")
    result = wbs("desks", "list")
    assert result.exit_code == 0, result.output
    assert "0123456789abcdef.json: not used" in result.stderr
