"""`wbs inbox`: sync ciphertext into the cache, list and show reports decrypted in memory."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    desk_keys,
    payload,
    put,
    wbs,
)
from tests.support.membership import Institution
from wbs import keyfile, paths
from wbs.crypto import Identity


def test_sync_copies_only_ciphertext_and_is_idempotent(
    store: LocalStorage, inspector: Identity, home: Path
) -> None:
    # Given two stored reports
    put(store, FIRST, inspector)
    put(store, THIRD, inspector)

    # When the inspector syncs twice
    first = wbs("inbox", "sync", passphrase=None)
    second = wbs("inbox", "sync", passphrase=None)

    # Then both are copied byte for byte, once, readable by the owner only
    assert first.exit_code == 0, first.output
    assert "2 new reports (2 in the cache)" in first.stdout
    assert second.exit_code == 0 and "0 new reports (2 in the cache)" in second.stdout
    cached = sorted((home / "cache").rglob("reports/*.json"))
    assert [p.stem for p in cached] == [FIRST, THIRD]
    for path in cached:
        assert path.read_bytes() == store.get(f"reports/{path.stem}.json")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # And no plaintext reached the disk
    for path in home.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes()


def test_sync_picks_up_only_new_reports(store: LocalStorage, inspector: Identity) -> None:
    put(store, FIRST, inspector)
    wbs("inbox", "sync")
    put(store, SECOND, inspector)
    result = wbs("inbox", "sync")
    assert "1 new report (2 in the cache)" in result.stdout


def test_list_shows_every_report_and_asks_the_passphrase_once(
    store: LocalStorage, inspector: Identity
) -> None:
    put(store, FIRST, inspector)
    put(store, SECOND, inspector, payload(category={"id": "suap", "label": "Gratifikasi dan Suap"}))
    put(store, THIRD, inspector, payload(title=""))
    wbs("inbox", "sync")

    result = wbs("inbox", "list")

    assert result.exit_code == 0, result.output
    assert result.stderr.count("Passphrase for") == 1
    for number in ("7K3M-Q2X9-ABCD-EFGH", "7K3M-ZZZZ-0000-0000", "8ABC-DEFG-HJKM-NPQR"):
        assert number in result.stdout
    assert result.stdout.count("Pungutan Liar") == 2
    assert "Gratifikasi dan Suap" in result.stdout
    assert "Petugas meminta" in result.stdout  # no title: the start of the account stands in


def test_list_with_an_empty_cache_suggests_sync() -> None:
    result = wbs("inbox", "list")
    assert result.exit_code == 0
    assert "wbs inbox sync" in result.stderr


def test_show_prints_every_field_intact(store: LocalStorage, inspector: Identity) -> None:
    put(store, FIRST, inspector)
    wbs("inbox", "sync")

    result = wbs("inbox", "show", FIRST)

    assert result.exit_code == 0, result.output
    out = result.stdout
    expected = [
        "7K3M-Q2X9-ABCD-EFGH",
        "Pungutan Liar",
        f"Pungli di loket {CANARY}",
        "  Petugas meminta uang pelicin.",
        f"  Baris kedua — ümlaut ✓ {CANARY}",
        "Budi Santoso",
        "Kepala Seksi",
        "Subbag Umum",
        "Siti Aminah",
        "Staf",
        "Keuangan",
        "Kantor KPU Jakarta Pusat",
        "2024-02-14 — sekitar pukul 10 pagi",
        "Melalui perantara",
        "Rp 1.500.000",
        "Anonim / Anonymous",
        "Masyarakat / Public",
        "[x] Laporan benar",
    ]
    for text in expected:
        assert text in out
    assert result.stderr.count("Passphrase for") == 1


def test_show_names_the_reporter_who_gave_a_name(store: LocalStorage, inspector: Identity) -> None:
    reporter = {
        "anonymous": False,
        "name": "Ani",
        "contact": "ani@example.id",
        "relation": "employee",
    }
    put(store, FIRST, inspector, payload(reporter=reporter, loss=""))
    wbs("inbox", "sync")
    out = wbs("inbox", "show", FIRST).stdout
    assert "Ani" in out and "ani@example.id" in out and "Pegawai / Employee" in out
    assert "Anonim" not in out


def test_show_escapes_terminal_control_characters(store: LocalStorage, inspector: Identity) -> None:
    # Given a report whose title tries to drive the inspector's terminal
    put(store, FIRST, inspector, payload(title="a\x1b]0;pwned\x07b\u202ec"))
    wbs("inbox", "sync")
    out = wbs("inbox", "show", FIRST).stdout
    # Then the escape sequence is shown, not obeyed
    assert "\x1b" not in out and "\u202e" not in out
    assert "a\\x1b]0;pwned\\x07b\\u202ec" in out


def test_bad_reports_are_named_and_do_not_stop_the_others(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    # Given a good report, a tampered one, one for another desk, and one that is not a report
    put(store, FIRST, inspector)
    put(store, SECOND, inspector)
    Institution.here().add_member(keyfile.generate(), "Irban Jabar", desks=["jabar"])
    put(store, THIRD, desk_keys(["jabar"]))
    other = "9999999999999999"
    put(store, other, inspector, content={"schema": "something-else"})
    wbs("inbox", "sync")
    tampered = paths.cache_dir(f"local:{tmp_path / 'store'}") / "reports" / f"{SECOND}.json"
    document = json.loads(tampered.read_text())
    ciphertext = document["envelope"]["ciphertext"]
    document["envelope"]["ciphertext"] = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    tampered.write_text(json.dumps(document))

    # When the inspector lists them
    result = wbs("inbox", "list")

    # Then each bad one is named on stderr (the one for another desk with who can open it),
    # the good one still shows, and the status is 1
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("wbs: error:")]
    opens = "it opens with desk jabar (1), held by Irban Jabar, Kunci pemulihan"
    assert errors == [
        "wbs: error: report 7K3M-ZZZZ-0000-0000: authentication failed: tampered, corrupt or moved",
        "wbs: error: report 9999-9999-9999-9999: decrypted content is not a wbs-report/1 document",
        "wbs: error: 1 report sealed to no key you hold (8ABC-DEFG-HJKM-NPQR)",
        "wbs: error: 3 of 4 reports could not be opened",
    ]
    hint = lines[lines.index(errors[2]) + 1]
    assert hint.startswith(f"hint: {opens}; the recovery key (Kunci pemulihan); ask one of them")
    assert "7K3M-Q2X9-ABCD-EFGH" in result.stdout and "Pungutan Liar" in result.stdout
    assert result.stdout.count("cannot open") == 3

    # And `show` explains the one sealed to another desk: which desk, and who holds it
    shown = wbs("inbox", "show", THIRD)
    assert shown.exit_code == 1
    last = shown.stderr.splitlines()[-2:]
    assert last[0] == "wbs: error: report 8ABC-DEFG-HJKM-NPQR is sealed to no key you hold"
    assert last[1].startswith(f"hint: {opens}; the recovery key (Kunci pemulihan); ask one")
    assert last[1].endswith("(wbs desks add), then: wbs inbox sync")


def test_a_report_moved_to_another_id_is_refused(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    put(store, FIRST, inspector)
    wbs("inbox", "sync")
    folder = paths.cache_dir(f"local:{tmp_path / 'store'}") / "reports"
    (folder / f"{FIRST}.json").rename(folder / f"{THIRD}.json")
    result = wbs("inbox", "show", THIRD)
    assert result.exit_code == 1
    assert "stored under another id" in result.stderr


@pytest.mark.parametrize(
    "typed", ["7k3mq", "7K3M-Q2", "7k3m q2x9 abcd efgh", "7K3M-Q2X9-ABCD-EFGH", "7K3MQ2X9ABCDEFGH"]
)
def test_show_by_unique_prefix(store: LocalStorage, inspector: Identity, typed: str) -> None:
    put(store, FIRST, inspector)
    put(store, SECOND, inspector)
    wbs("inbox", "sync")
    result = wbs("inbox", "show", typed)
    assert result.exit_code == 0, result.output
    assert "7K3M-Q2X9-ABCD-EFGH" in result.stdout


@pytest.mark.parametrize(
    ("typed", "message"),
    [("7k3m", "matches 2 reports"), ("ZZZZ", "no report 'ZZZZ'"), ("7K3M!", "not a registration")],
)
def test_show_ambiguous_or_unknown(
    store: LocalStorage, inspector: Identity, typed: str, message: str
) -> None:
    put(store, FIRST, inspector)
    put(store, SECOND, inspector)
    wbs("inbox", "sync")
    result = wbs("inbox", "show", typed)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "hint:" in result.stderr and "wbs inbox list" in result.stderr
    assert "Passphrase" not in result.stderr  # nothing to unlock for a number that matches nothing


def test_key_must_be_chosen_when_several(store: LocalStorage, inspector: Identity) -> None:
    put(store, FIRST, inspector)
    wbs("inbox", "sync")
    keyfile.create(paths.keys_dir() / "second.key", keyfile.generate(), PASSPHRASE, "Dua")

    ambiguous = wbs("inbox", "list")
    chosen = wbs("inbox", "list", "--key", str(paths.keys_dir() / f"{inspector.kid}.key"))

    assert ambiguous.exit_code == 1
    assert "several private keys" in ambiguous.stderr
    assert "hint: choose with --key" in ambiguous.stderr
    assert chosen.exit_code == 0 and "7K3M-Q2X9-ABCD-EFGH" in chosen.stdout


def test_passphrase_from_environment(
    store: LocalStorage, inspector: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, FIRST, inspector)
    wbs("inbox", "sync")
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    result = wbs("inbox", "list", passphrase=None)
    assert result.exit_code == 0 and "Passphrase" not in result.stderr
