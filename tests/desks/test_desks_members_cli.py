"""`wbs desks add-member`, `remove-member`, `rotate` and recovery with the shares, as the
issue's scenarios: a newcomer reads every past case, a leaver cannot read what is sent after
they left, and the recovery drill restores everything with 3 of 5 shares typed in."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from functions.errors import AlreadyExists
from tests.desks.cli import (
    Home,
    held,
    init,
    listed,
    person,
    readable,
    report_ids,
    ring,
    send_report,
    shares,
    state,
    stored_grants,
    typed_shares,
    wbs,
)
from tests.support import inbox
from wbs import keyfile
from wbs.crypto import open_envelope
from wbs.desks import grants, recovery
from wbs.desks.keys import unlock

NOW = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=datetime.UTC)


def key(home: Home, name: str) -> str:
    return f"--key={home.keys / f'{name}.key'}"


def test_a_member_added_after_20_reports_reads_all_20(home: Home) -> None:
    # Given a desk with anna, and 10 reports sent to generation 1
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    first = report_ids(10)
    for report_id in first:
        send_report(home, report_id)
    # And bima left (generation 2), then 10 more reports
    removed = wbs(
        "desks",
        "remove-member",
        "--desk=inspektorat",
        f"--member={bima}",
        "--recovery",
        typed=typed_shares(home),
    )
    assert removed.exit_code == 0, removed.output
    second = report_ids(10, first=10)
    for report_id in second:
        send_report(home, report_id)
    # And a newcomer who reads none of them
    cici = person(home, "cici")
    assert readable(home, held(home, "cici"), first + second) == []

    # When anna adds cici to the desk
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={cici}", key(home, "anna"))

    # Then cici holds both generations and reads all 20 reports, in `wbs inbox list` too
    assert result.exit_code == 0, result.output
    assert "generation 1  granted" in result.stdout and "generation 2  granted" in result.stdout
    assert readable(home, held(home, "cici"), first + second) == first + second
    assert listed(home, "cici", first + second) == first + second
    # And adding her again stores nothing new and says so
    before = state(home)
    again = wbs("desks", "add-member", "--desk=inspektorat", f"--member={cici}", key(home, "anna"))
    assert again.exit_code == 0
    assert again.stdout.count("held already") == 2 and "0 new grant(s)" in again.stdout
    assert state(home) == before


def test_a_removed_member_cannot_read_a_report_sent_after_removal(home: Home) -> None:
    # Given anna and bima on the desk, and a report both read
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    before, after = report_ids(2)
    send_report(home, before)
    assert readable(home, held(home, "bima"), [before]) == [before]

    # When anna removes bima
    result = wbs(
        "desks", "remove-member", "--desk=inspektorat", f"--member={bima}", key(home, "anna")
    )

    # Then generation 2 is active, held by anna and the recovery key, not by bima
    assert result.exit_code == 0, result.output
    keys = ring(home)
    assert [(d.generation, d.active) for d in keys.generations("inspektorat")] == [
        (1, False),
        (2, True),
    ]
    assert keys.desk("inspektorat").kid in held(home, "anna").desks
    assert keys.desk("inspektorat").kid not in held(home, "bima").desks
    # And the keyring names anna as the founder of generation 2, who signed its grants
    assert keys.desk("inspektorat").founder == anna
    # And the output says plainly what bima keeps, and to redeploy now
    out = " ".join(result.stdout.split())
    assert "What Inspektur bima already held cannot be taken back: generation 1" in out
    assert "everything sent before the page and the API were rebuilt with generation 2" in out
    assert "anything they saved" in out
    assert "the keys of every case shared with the desk before now" in out
    assert "next: redeploy now" in out
    # And a report sealed to the new generation is read by anna and the recovery key only
    send_report(home, after)
    assert readable(home, held(home, "bima"), [before, after]) == [before]
    assert listed(home, "bima", [before, after]) == [before]
    shown = wbs("inbox", "show", after, f"--key={home.keys / 'bima.key'}")
    assert shown.exit_code == 1 and f"laporan {after}" not in shown.stdout
    assert readable(home, held(home, "anna"), [before, after]) == [before, after]
    rescuer = recovery.identity(recovery.combine(shares(home)[2:]))
    rescued = unlock(rescuer, keys, stored_grants(home))
    assert readable(home, rescued, [before, after]) == [before, after]


def test_remove_member_and_rotate_refuse_what_cannot_be_done(home: Home, tmp_path: Path) -> None:
    anna, bima, cici = person(home, "anna"), person(home, "bima"), person(home, "cici")
    assert init(home, anna, bima).exit_code == 0
    before = state(home)
    # Someone who is no member is not removed: nothing rotates, no share is asked
    result = wbs("desks", "remove-member", "--desk=inspektorat", f"--member={cici}")
    assert result.exit_code == 1 and "is no member of desk inspektorat" in result.stderr
    assert "wbs desks rotate --desk inspektorat" in result.stderr
    # An unknown desk, an unknown person
    result = wbs("desks", "rotate", "--desk=pusat")
    assert result.exit_code == 1 and "no desk 'pusat'" in result.stderr
    result = wbs("desks", "remove-member", "--desk=inspektorat", "--member=0123456789ab")
    assert result.exit_code == 1 and "no key in the keyring" in result.stderr
    # Shares of another recovery key
    other = tmp_path / "other.txt"
    other.write_text("\n".join(recovery.split(recovery.new_master())[:3]) + "\n")
    result = wbs("desks", "rotate", "--desk=inspektorat", "--recovery", f"--shares-file={other}")
    assert result.exit_code == 1 and "not this keyring's" in result.stderr
    # Two shares typed, then the input ends
    result = wbs(
        "desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home, (0, 1))
    )
    assert result.exit_code == 1 and "stopped after 2 of 3 shares" in result.stderr
    assert state(home) == before
    # After one rotation, grants of generation 3 already in storage (left by a rotation that
    # stopped before it wrote the keyring) are in the way of the next
    assert (
        wbs(
            "desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home)
        ).exit_code
        == 0
    )
    after_rotation = state(home)
    home.store.put_new(f"desks/inspektorat/3/{anna}.json", b"left by a rotation that stopped")
    left = state(home)
    result = wbs("desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home))
    assert result.exit_code == 1 and "remove desks/inspektorat/3/" in result.stderr
    assert state(home) == left and len(after_rotation) + 1 == len(left)


def test_only_a_member_rotates_and_nobody_removes_themselves(home: Home) -> None:
    anna, bima, cici = person(home, "anna"), person(home, "bima"), person(home, "cici")
    assert init(home, anna, bima).exit_code == 0
    before = state(home)
    # cici, no member, cannot rotate; anna cannot remove herself
    result = wbs("desks", "rotate", "--desk=inspektorat", key(home, "cici"))
    assert result.exit_code == 1 and "you are no member of desk inspektorat" in result.stderr
    result = wbs(
        "desks", "remove-member", "--desk=inspektorat", f"--member={anna}", key(home, "anna")
    )
    assert result.exit_code == 1 and "you cannot remove yourself" in result.stderr
    assert state(home) == before
    # And once bima is removed, he cannot rotate generation 2 (nor grant it to anyone)
    removed = wbs(
        "desks", "remove-member", "--desk=inspektorat", f"--member={bima}", key(home, "anna")
    )
    assert removed.exit_code == 0, removed.output
    after = state(home)
    result = wbs("desks", "rotate", "--desk=inspektorat", key(home, "bima"))
    assert result.exit_code == 1 and "no member of desk inspektorat (generation 2)" in result.stderr
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={cici}", key(home, "bima"))
    assert result.exit_code == 0  # generation 1, which he held, and nothing else
    assert "generation 1  granted" in result.stdout
    assert "generation 2 of desk inspektorat not granted: you hold no grant" in result.stderr
    assert ring(home).desk("inspektorat").kid not in held(home, "cici").desks
    assert len(state(home)) == len(after) + 1


def test_rotation_is_signed_by_the_recovery_key(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    result = wbs(
        "desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home, (4, 1, 3))
    )
    assert result.exit_code == 0, result.output
    keys = ring(home)
    second = [grants.parse(k, d) for k, d in stored_grants(home) if "/inspektorat/2/" in k]
    assert {g.member for g in second} == {anna, bima, keys.recovery.kid}  # type: ignore[union-attr]
    assert {g.by for g in second} == {keys.recovery.kid}  # type: ignore[union-attr]
    assert keys.desk("inspektorat").founder is None


def test_rotate_renews_the_key_for_every_member(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    result = wbs("desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home))
    assert result.exit_code == 0, result.output
    new = ring(home).desk("inspektorat")
    assert new.generation == 2
    assert new.kid in held(home, "anna").desks and new.kid in held(home, "bima").desks
    assert "Inspektur anna, Inspektur bima" in result.stdout
    assert "still opens everything sealed to it" in " ".join(result.stdout.split())


def test_a_retired_member_gets_no_new_generation(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    assert wbs("keys", "retire", bima).exit_code == 0
    result = wbs("desks", "rotate", "--desk=inspektorat", "--recovery", typed=typed_shares(home))
    assert result.exit_code == 0, result.output
    assert f"not granted   Inspektur bima ({bima}): a retired key" in result.stdout
    assert ring(home).desk("inspektorat").kid not in held(home, "bima").desks


def test_recovery_drill_every_key_file_lost(home: Home) -> None:
    # Given desks held by anna and bima, reports and a follow-up sealed to the desk
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    sent = report_ids(5)
    for report_id in sent:
        send_report(home, report_id)
    keys = ring(home)
    to = [keys.desk("inspektorat").public_key_bytes, keys.recovery.public_key_bytes]  # type: ignore[union-attr]
    followup = inbox.post_followup(home.store, sent[0], "bukti tambahan", NOW, to)
    words = shares(home)
    # And every inspector's key file is gone
    for name in ("anna", "bima"):
        (home.keys / f"{name}.key").unlink()
    # When a new inspector is made and granted with 3 of the 5 shares typed in, the first
    # one with a word mistyped, then typed again
    dewi = person(home, "dewi")
    mistyped = words[0].split()
    mistyped[7] = "academic" if mistyped[7] != "academic" else "acid"
    typed = "\n".join([" ".join(mistyped), words[0], words[0], words[2], words[4]]) + "\n"
    result = wbs(
        "desks", "add-member", "--desk=inspektorat", f"--member={dewi}", "--recovery", typed=typed
    )

    # Then the typo was caught and asked again, the repeated share refused, and dewi granted
    assert result.exit_code == 0, result.output
    assert result.stderr.count("this share is not valid") == 1
    assert "share 1 was typed already" in result.stderr
    assert "signed by Kunci pemulihan" in result.stdout
    # And dewi reads every case, the follow-up too
    dewi_holds = held(home, "dewi")
    assert readable(home, dewi_holds, sent) == sent
    assert listed(home, "dewi", sent) == sent
    assert b"bukti tambahan" in open_envelope(followup.envelope, dewi_holds.keys)
    # And no share's words were echoed back in the output
    assert " ".join(words[2].split()[5:9]) not in result.stdout


def test_two_shares_are_refused_and_change_nothing(home: Home, tmp_path: Path) -> None:
    anna, dewi = person(home, "anna"), person(home, "dewi")
    assert init(home, anna).exit_code == 0
    words = shares(home)
    before = state(home)
    # Typed: two shares, then the input ends
    args = ["desks", "add-member", "--desk=inspektorat", f"--member={dewi}", "--recovery"]
    result = wbs(*args, typed=f"{words[0]}\n{words[1]}\n")
    assert result.exit_code == 1
    assert "stopped after 2 of 3 shares: nothing was changed" in result.stderr
    # From a file: two shares
    two = tmp_path / "two.txt"
    two.write_text(f"# drill\n{words[3]}\n\n{words[1]}\n{words[3]}\n")
    result = wbs(*args, f"--shares-file={two}")
    assert result.exit_code == 1 and "gives 2 different share(s)" in result.stderr
    # A share of another set among them
    other = recovery.split(recovery.new_master())
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(f"{words[0]}\n{other[1]}\n{words[2]}\n")
    result = wbs(*args, f"--shares-file={mixed}")
    assert result.exit_code == 1 and "line 2: this share is of another set" in result.stderr
    # Three shares of another recovery key
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("\n".join(other[:3]) + "\n")
    result = wbs(*args, f"--shares-file={foreign}")
    assert result.exit_code == 1 and "not this keyring's" in result.stderr
    # --shares-file without --recovery
    result = wbs(*args[:-1], f"--shares-file={foreign}", key(home, "anna"))
    assert result.exit_code == 1 and "goes with --recovery" in result.stderr
    assert state(home) == before


def test_recovery_shares_from_the_environment(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    anna, dewi = person(home, "anna"), person(home, "dewi")
    assert init(home, anna).exit_code == 0
    monkeypatch.setenv("WBS_RECOVERY_SHARES", "\n".join(shares(home)[1:4]))
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={dewi}", "--recovery")
    assert result.exit_code == 0, result.output
    assert "reading the recovery shares from WBS_RECOVERY_SHARES" in result.stderr
    assert ring(home).desk("inspektorat").kid in held(home, "dewi").desks


def test_add_member_refusals_change_nothing(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna).exit_code == 0
    before = state(home)
    # bima holds nothing, so cannot grant
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={anna}", key(home, "bima"))
    assert result.exit_code == 1 and "you are no member of desk inspektorat" in result.stderr
    # an unknown desk; a retired newcomer; a key file not in the keyring
    result = wbs("desks", "add-member", "--desk=pusat", f"--member={bima}", key(home, "anna"))
    assert result.exit_code == 1 and "no desk 'pusat'" in result.stderr
    stranger = home.tmp / "stranger.key"
    keyfile.create(stranger, keyfile.generate(), "kata sandi lain sekali", "Orang lain")
    result = wbs(
        "desks", "add-member", "--desk=inspektorat", f"--member={bima}", f"--key={stranger}"
    )
    assert result.exit_code == 1 and "is not in the keyring" in result.stderr
    assert wbs("keys", "retire", bima).exit_code == 0
    retired = state(home)
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={bima}", key(home, "anna"))
    assert result.exit_code == 1 and "retired key" in result.stderr
    assert {k: v for k, v in retired.items() if "keyring" not in k} == {
        k: v for k, v in before.items() if "keyring" not in k
    }


def test_a_grant_already_stored_that_is_not_valid_is_reported_never_replaced(home: Home) -> None:
    # Given a bogus grant stored under the newcomer's name
    anna, cici = person(home, "anna"), person(home, "cici")
    assert init(home, anna).exit_code == 0
    name = f"desks/inspektorat/1/{cici}.json"
    bogus = held(home, "anna")
    desk = ring(home).desk("inspektorat")
    stranger = keyfile.generate()
    public = keyfile.inspect(home.keys / "cici.key").public_key
    _, data = grants.desk_grant(desk, bogus.desks[desk.kid], cici, public, stranger)
    home.store.put_new(name, data)
    before = state(home)
    result = wbs("desks", "add-member", "--desk=inspektorat", f"--member={cici}", key(home, "anna"))
    assert result.exit_code == 1
    assert f"{name} is occupied by an object that is not Inspektur cici's grant" in result.stderr
    assert "cannot be replaced" in result.stderr and "nothing was stored" in result.stderr
    assert state(home) == before
    with pytest.raises(AlreadyExists):
        home.store.put_new(name, b"{}")


def test_the_granter_signs_every_grant(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna).exit_code == 0
    assert (
        wbs(
            "desks", "add-member", "--desk=inspektorat", f"--member={bima}", key(home, "anna")
        ).exit_code
        == 0
    )
    name = f"desks/inspektorat/1/{bima}.json"
    grant = grants.parse(name, home.store.get(name))
    assert grant.by == anna and grants.check(grant, ring(home)) == ""


def test_check_shares_is_a_drill_that_changes_nothing(home: Home, tmp_path: Path) -> None:
    anna = person(home, "anna")
    assert init(home, anna).exit_code == 0
    words = shares(home)
    before = state(home)
    # Typed by three holders, one of whom mistypes a word first
    wrong = words[3].replace(words[3].split()[10], "zero" if "zero" not in words[3] else "zoo")
    typed = "\n".join([words[1], wrong, words[3], words[4]]) + "\n"
    result = wbs("desks", "check-shares", typed=typed)
    assert result.exit_code == 0, result.output
    assert f"give the recovery key {ring(home).recovery.kid}" in result.stdout  # type: ignore[union-attr]
    assert "nothing was changed" in result.stdout and "not valid" in result.stderr
    # Shares of another key are told apart
    other = tmp_path / "other.txt"
    other.write_text("\n".join(recovery.split(recovery.new_master())[:3]))
    result = wbs("desks", "check-shares", f"--shares-file={other}")
    assert result.exit_code == 1 and "not this keyring's" in result.stderr
    assert state(home) == before


def test_whom_the_leaver_alone_granted_is_not_given_the_new_key(home: Home) -> None:
    # Given bima, about to leave, granting the desk to cici first
    anna, bima, cici = person(home, "anna"), person(home, "bima"), person(home, "cici")
    assert init(home, anna, bima).exit_code == 0
    granted = wbs(
        "desks", "add-member", "--desk=inspektorat", f"--member={cici}", key(home, "bima")
    )
    assert granted.exit_code == 0, granted.output
    # When anna removes bima
    result = wbs(
        "desks", "remove-member", "--desk=inspektorat", f"--member={bima}", key(home, "anna")
    )
    # Then cici, rooted only through bima, gets no grant of generation 2, and is named
    assert result.exit_code == 0, result.output
    assert f"not granted   Inspektur cici ({cici}): granted by the leaver alone" in result.stdout
    assert f"add-member --desk inspektorat --member {cici}" in result.stderr
    new = ring(home).desk("inspektorat")
    assert new.kid not in held(home, "cici").desks and new.kid in held(home, "anna").desks
