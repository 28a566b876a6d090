"""`wbs desks reissue-shares`: the same recovery key split again into a new set of word shares
(docs/spec/desks-v2.md section 4.2), for holders who leave, a lost sheet or another count; the
key, the grants and the page stay as they were."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from functions.envelope import b64encode
from functions.keyring import dump
from tests.desks.cli import (
    Home,
    init,
    person,
    ring,
    shares,
    state,
    typed_shares,
    wbs,
)
from wbs import xwing
from wbs.desks import recovery, sheets


def new_sheets(folder: Path) -> dict[int, str]:
    """The shares written on the sheets in ``folder``, by their number, and the sheets."""
    found = sorted(folder.glob("recovery-share-*-of-*.txt"))
    return {int(p.name.split("-")[2]): p.read_text(encoding="utf-8") for p in found}


def test_the_new_set_gives_the_same_key_and_cannot_be_mixed_with_the_old(
    home: Home, tmp_path: Path
) -> None:
    # Given an institution set up with five shares, any three of which restore the key
    assert init(home, person(home, "anna")).exit_code == 0
    old = shares(home)
    before = state(home)
    kid = ring(home).recovery.kid  # type: ignore[union-attr]
    old_set = recovery.read_share(old[0]).identifier
    # When three holders of the old set hand it on (their shares from a file, for the test)
    given = tmp_path / "old.txt"
    given.write_text("\n".join(old[i] for i in (0, 2, 4)) + "\n", encoding="utf-8")
    folder = tmp_path / "new-sheets"
    result = wbs("desks", "reissue-shares", f"--sheets={folder}", f"--shares-file={given}")
    # Then five new sheets are written, of a new set that gives the same recovery key
    assert result.exit_code == 0, result.output
    pages = new_sheets(folder)
    assert sorted(pages) == [1, 2, 3, 4, 5]
    new = [sheets.words_of(pages[n]) for n in sorted(pages)]
    assert recovery.identity(recovery.combine([new[1], new[3], new[4]])).kid == kid
    new_set = recovery.read_share(new[0]).identifier
    assert new_set != old_set and not set(new) & set(old)
    # And each new sheet says which set it replaces
    assert all(f"Replaces   set {old_set}" in page for page in pages.values())
    assert max(len(line) for page in pages.values() for line in page.splitlines()) <= 80
    assert f"set {old_set}: collect and destroy every sheet of it" in result.stdout
    # And the two sets cannot be mixed
    with pytest.raises(recovery.ShareError):
        recovery.combine([old[0], old[1], new[2]])
    # And the old set still gives the key until its sheets are destroyed, as the output says
    assert recovery.identity(recovery.combine(old[:3])).kid == kid
    assert "until then any 3 of them still give the key" in result.stdout
    # And nothing else changed: the keyring (same counts), the grants, the old sheets
    assert state(home) == before
    # And the drill takes the new set
    drill = wbs("desks", "check-shares", typed="".join(s + "\n" for s in new[:3]))
    assert drill.exit_code == 0 and f"give the recovery key {kid}" in drill.stdout


def test_a_new_count_is_written_to_the_keyring_and_used_by_the_next_recovery(
    home: Home, tmp_path: Path
) -> None:
    # Given the default 3 of 5, and cici, a new inspector to grant with the recovery key
    assert init(home, person(home, "anna")).exit_code == 0
    cici = person(home, "cici")
    # When three holders type their shares and ask for 2 of 4 instead
    folder = tmp_path / "new-sheets"
    result = wbs(
        "desks",
        "reissue-shares",
        "--threshold=2",
        "--shares=4",
        f"--sheets={folder}",
        typed=typed_shares(home),
    )
    assert result.exit_code == 0, result.output
    # Then four sheets are written, each saying any 2 of the 4 restore the key
    pages = new_sheets(folder)
    assert sorted(pages) == [1, 2, 3, 4]
    assert all("any 2 of the 4 shares restore this key" in page for page in pages.values())
    entry = ring(home).recovery
    assert entry is not None and (entry.threshold, entry.shares) == (2, 4)
    # And the next recovery asks for two shares of the new set, and grants cici
    new = [sheets.words_of(pages[n]) for n in (1, 4)]
    granted = wbs(
        "desks",
        "add-member",
        "--desk=inspektorat",
        f"--member={cici}",
        "--recovery",
        typed="".join(s + "\n" for s in new),
    )
    assert granted.exit_code == 0, granted.output
    assert "any 2 of its 4 shares" in granted.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--threshold=4", "--shares=3"), "4 of 3 shares cannot be made"),
        (("--threshold=1", "--shares=3"), "1 of 3 shares cannot be made"),
        (("--shares=2",), "3 of 2 shares cannot be made"),  # the current threshold kept
    ],
)
def test_a_split_that_cannot_be_made_is_refused_before_any_share_is_asked(
    home: Home, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    assert init(home, person(home, "anna")).exit_code == 0
    before = state(home)
    folder = tmp_path / "new-sheets"
    result = wbs("desks", "reissue-shares", *args, f"--sheets={folder}", typed="")
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert "Share 1 of" not in result.output
    assert not folder.exists() and state(home) == before


def test_shares_of_another_key_or_no_terminal_change_nothing(home: Home, tmp_path: Path) -> None:
    assert init(home, person(home, "anna")).exit_code == 0
    before = state(home)
    folder = tmp_path / "new-sheets"
    # Shares of another institution's key
    other = tmp_path / "other.txt"
    other.write_text("\n".join(recovery.split(recovery.new_master())[:3]), encoding="utf-8")
    result = wbs("desks", "reissue-shares", f"--sheets={folder}", f"--shares-file={other}")
    assert result.exit_code == 1 and "not this keyring's" in result.stderr
    assert not folder.exists() and state(home) == before
    # No --sheets, and no terminal to show them on: refused before any share is asked
    result = wbs("desks", "reissue-shares", typed=typed_shares(home))
    assert result.exit_code == 1 and "shown on a terminal only" in result.stderr
    assert "Share 1 of" not in result.output and state(home) == before


@pytest.mark.parametrize("swapped", ["xwing_key", "signing_key"])
def test_a_keyring_whose_recovery_keys_were_swapped_is_refused(
    home: Home, tmp_path: Path, swapped: str
) -> None:
    # Given a keyring whose recovery entry keeps its kid but names another X-Wing or signing
    # key (a tampered keyring: the page would seal the recovery key's copy to someone else)
    assert init(home, person(home, "anna")).exit_code == 0
    current = ring(home)
    assert current.recovery is not None
    if swapped == "xwing_key":
        other = b64encode(xwing.DecapsulationKey.generate().public_key)
        entry = dataclasses.replace(current.recovery, xwing_key=other)
    else:
        other = b64encode(bytes(SigningKey.generate().verify_key))
        entry = dataclasses.replace(current.recovery, signing_key=other)
    dump(dataclasses.replace(current, recovery=entry), home.keyring)
    before = state(home)
    folder = tmp_path / "new-sheets"
    # Then the drill and the reissue both refuse, naming the swapped key, and change nothing
    drill = wbs("desks", "check-shares", typed=typed_shares(home))
    assert drill.exit_code == 1 and "has another" in drill.stderr, drill.output
    again = wbs("desks", "reissue-shares", f"--sheets={folder}", typed=typed_shares(home))
    assert again.exit_code == 1 and "has another" in again.stderr, again.output
    assert not folder.exists() and state(home) == before


def test_a_keyring_change_made_while_the_sheets_are_shown_is_kept(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reissue to 2 of 4, during which another admin adds budi to the keyring
    assert init(home, person(home, "anna")).exit_code == 0
    written = sheets.write

    def meanwhile(folder: Path, pages: list[sheets.Sheet]) -> list[Path]:
        person(home, "budi")  # `wbs keys new` writes the keyring
        return written(folder, pages)

    monkeypatch.setattr(sheets, "write", meanwhile)
    folder = tmp_path / "new-sheets"
    args = ("--threshold=2", "--shares=4", f"--sheets={folder}")
    result = wbs("desks", "reissue-shares", *args, typed=typed_shares(home))
    # Then the keyring has budi and the new count
    assert result.exit_code == 0, result.output
    after = ring(home)
    assert {k.label for k in after.keys} == {"Inspektur anna", "Inspektur budi"}
    assert after.recovery is not None and (after.recovery.threshold, after.recovery.shares) == (
        2,
        4,
    )
