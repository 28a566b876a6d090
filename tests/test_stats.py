"""`wbs inbox stats` and wbs/stats.py: counts for leadership over cases with known dates,
categories, desks, offices, statuses and replies, each expected number worked out by hand."""

from __future__ import annotations

import base64
import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from functions.keyring import load_active
from functions.storage import LocalStorage
from tests.support.inbox import (
    CANARY,
    FIRST,
    SECOND,
    THIRD,
    add_inspector_key,
    desk_keys,
    payload,
    post_followup,
    put,
    use_private_home,
    wbs,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key_text
from wbs import deadlines, stats
from wbs.cache import Cache
from wbs.cases import answering
from wbs.crypto import Identity

UTC = datetime.UTC
FOURTH, OLDER = "9ABCDEFGHJKMNPQR", "9ZZZZZZZ00000000"
TODAY = "2026-11-20"
REPORTER = PrivateKey.generate()  # the reporters' mailbox key: only sealed to here
# Five working days to acknowledge, thirty to give feedback; Wednesday 7 October a holiday.
CONFIG = """
[institution]
name = "Inspektorat Jenderal KPU"

[deadlines]
acknowledge = {count = 5, unit = "working_days"}
feedback = {count = 30, unit = "working_days"}
holidays = ["2026-10-07"]

[[categories]]
id = "korupsi"
label.id = "Tindak Pidana Korupsi"
label.en = "Corruption"

[[categories]]
id = "pungutan-liar"
label.id = "Pungutan Liar"

[[desks]]
id = "jabar"
name.id = "Inspektorat Wilayah Jawa Barat"

[[offices]]
id = "kpu-dki"
desk = "inspektorat"
name.id = "KPU Provinsi DKI Jakarta"
"""
PERIOD = ("--from", "2026-10-01", "--to", "2026-11-30", "--today", TODAY)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def _content(report_id: str, category: tuple[str, str], office: str | None) -> dict[str, object]:
    extra: dict[str, object] = {"route": {"office": office, "concerns_staff": False}}
    return payload(
        category={"id": category[0], "label": category[1]},
        reporter_signing_key=case_key_text(report_id),
        reporter_public_key=base64.b64encode(bytes(REPORTER.public_key)).decode(),
        **(extra if office is not None else {}),
    )


def _at(day: str, hour: int = 3) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def cases(tmp_path: Path) -> Identity:
    """Five cached cases; the inspector is a member of desks inspektorat and jabar.

    A (FIRST)  received Mon 5 Oct (Jakarta), pungutan-liar, inspektorat, office kpu-dki;
               a reply Wed 7 Oct (a holiday: 1 working day, met), selesai Mon 19 Oct
               (9 working days: 6, 8, 9, 12-16, 19 October; met).
    B (SECOND) received 31 Oct 18:00 UTC = Sun 1 Nov 01:00 in Jakarta, korupsi, both desks,
               office kab-bandung (not in the config); sedang-diverifikasi Tue 10 Nov:
               7 working days (2-6, 9, 10 November) against a deadline of Fri 6 Nov: missed;
               no feedback yet (deadline mid-December: pending).
    C (THIRD)  received Mon 2 Nov, a category id the config lacks, jabar, no office asked;
               only the reporter wrote: not acknowledged, its deadline Mon 9 Nov is past on
               20 Nov: overdue.
    D (FOURTH) received Tue 3 Nov, sealed to a key nobody here holds: not readable.
    E (OLDER)  received 30 Sep 16:59:59 UTC = 23:59:59 in Jakarta: before the period.
    """
    inspector = add_inspector_key("Inspektur", desks=("inspektorat", "jabar"))
    here = Institution.here()
    store = here.store
    both = desk_keys(["inspektorat", "jabar"])
    # The labels the reports carry are never shown: the config's names are (else the id)
    korupsi, pungli = ("korupsi", f"Korupsi {CANARY}"), ("pungutan-liar", f"Pungli {CANARY}")
    hostile = (f"x-{CANARY}", "")  # a category id the config does not know
    stranger = bytes(PrivateKey.generate().public_key)
    for report_id, to, category, office, received in (
        (FIRST, desk_keys(["inspektorat"]), pungli, "kpu-dki", "2026-10-05T02:00:00Z"),
        (SECOND, both, korupsi, "kab-bandung", "2026-10-31T18:00:00Z"),
        (THIRD, desk_keys(["jabar"]), hostile, None, "2026-11-02T01:00:00Z"),
        (FOURTH, [stranger], korupsi, "", "2026-11-03T01:00:00Z"),
        (OLDER, both, korupsi, "", "2026-09-30T16:59:59Z"),
    ):
        put(store, report_id, to, _content(report_id, category, office), received)
    post_followup(store, THIRD, f"tambahan {CANARY}", _at("2026-11-05"), desk_keys(["jabar"]))
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0

    cache = Cache.for_storage(f"local:{tmp_path / 'store'}")
    ring = load_active(here.path)
    reader = here.reader(inspector)

    def answer(report_id: str) -> answering.Answerable:
        return answering.answerable(store, cache, report_id, ring, reader)

    answering.reply(answer(FIRST), f"Terima kasih {CANARY}", _at("2026-10-07"))
    answering.change_status(answer(FIRST), "selesai", "", "", _at("2026-10-19"))
    answering.change_status(answer(SECOND), "sedang-diverifikasi", "", "", _at("2026-11-10"))
    answering.reply(answer(OLDER), "lama", _at("2026-10-01"))
    return inspector


EXPECTED = {
    ("reports", "total"): 4,
    ("reports", "readable"): 3,
    ("reports", "unreadable"): 1,
    ("reports", "undated"): 0,
    ("month", "2026-10"): 1,
    ("month", "2026-11"): 3,  # B counts in November (Jakarta), D too (its date is known)
    ("category", "pungutan-liar"): 1,
    ("category", "korupsi"): 1,
    ("category", "?"): 1,  # C's category is none of the config's
    ("desk", "inspektorat"): 2,
    ("desk", "jabar"): 2,
    ("office", "kpu-dki"): 1,
    ("office", "?"): 1,  # B's office kab-bandung is not in the config
    ("office", "-"): 1,
    ("status", "menunggu-verifikasi"): 1,
    ("status", "sedang-diverifikasi"): 1,
    ("status", "selesai"): 1,
    ("status", "ditolak"): 0,
    ("acknowledge", "unit"): "working_days",
    ("acknowledge", "done"): 2,
    ("acknowledge", "median"): 4,  # of 1 and 7
    ("acknowledge", "p90"): 7,
    ("acknowledge", "met"): 1,
    ("acknowledge", "missed"): 1,
    ("acknowledge", "overdue"): 1,
    ("acknowledge", "pending"): 0,
    ("feedback", "done"): 1,
    ("feedback", "median"): 9,
    ("feedback", "p90"): 9,
    ("feedback", "met"): 1,
    ("feedback", "missed"): 0,
    ("feedback", "overdue"): 0,
    ("feedback", "pending"): 2,
    ("overdue", "acknowledge"): 1,
    ("overdue", "feedback"): 0,
    ("overdue", "total"): 1,
}


def test_json_counts_match_the_cases(cases: Identity, config: Path) -> None:
    result = wbs("inbox", "stats", *PERIOD, "--json", "--config", str(config))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format"] == "wbs-stats/1"
    assert document["period"] == {
        "from": "2026-10-01",
        "to": "2026-11-30",
        "today": TODAY,
        "calendar": "Asia/Jakarta",
    }
    for (section, key), value in EXPECTED.items():
        assert document[section].get(key, 0) == value, (section, key)
    assert set(document["category"]) == {"pungutan-liar", "korupsi", "?"}
    pungli = "Pungutan Liar"
    assert document["labels"] == {
        "category": {"?": "?", "korupsi": "Tindak Pidana Korupsi", "pungutan-liar": pungli},
        "desk": {"inspektorat": "inspektorat", "jabar": "Inspektorat Wilayah Jawa Barat"},
        "office": {"-": "-", "?": "?", "kpu-dki": "KPU Provinsi DKI Jakarta"},
    }
    # The unreadable case is named on stderr as counted, never dropped in silence
    assert "1 case could not be opened with this key" in result.stderr
    assert CANARY not in result.stdout


def test_csv_and_table_say_the_same_as_the_json(cases: Identity, config: Path) -> None:
    as_json = json.loads(wbs("inbox", "stats", *PERIOD, "--json", "--config", str(config)).stdout)
    result = wbs("inbox", "stats", *PERIOD, "--csv", "--config", str(config))
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["section", "key", "value"]
    for section, key, value in rows[1:]:
        expected = as_json[section][key]
        assert value == ("" if expected is None else str(expected))
    assert len(rows) - 1 == sum(len(v) for k, v in as_json.items() if k not in ("format", "labels"))

    table = wbs("inbox", "stats", *PERIOD, "--config", str(config)).stdout
    lines = [" ".join(line.split()) for line in table.splitlines()]
    assert "tidak terbaca dengan kunci ini / not readable with this key 1" in lines
    assert "Tindak Pidana Korupsi 1" in lines and "Pungutan Liar 1" in lines
    assert "(tidak ada di konfigurasi / not in the config) 1" in lines
    assert "Inspektorat Wilayah Jawa Barat 2" in lines and "KPU Provinsi DKI Jakarta 1" in lines
    assert "Selesai 1" in lines and "Menunggu Verifikasi 1" in lines
    assert "median 4 hari kerja / working days" in lines
    assert "persentil ke-90 / 90th percentile 7 hari kerja / working days" in lines
    assert "2026-11 3" in lines
    assert "Asia/Jakarta" in table and CANARY not in table


def test_counting_module_directly_with_calendar_days(cases: Identity, tmp_path: Path) -> None:
    # Given rules in calendar days (the EU's 7 days and 3 months): times count in calendar days
    calendar = deadlines.Rules(
        deadlines.Period(7, "days"), deadlines.Period(3, "months"), frozenset(), 2
    )
    here = Institution.here()
    cache = Cache.for_storage(f"local:{tmp_path / 'store'}")
    found = stats.count(
        cache,
        here.reader(cases),
        calendar,
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 30),
        datetime.date(2026, 11, 20),
    )
    # A: 2 days to the reply, 14 to selesai; B: 9 days (1 to 10 November), after 8: missed
    assert sorted(found.acknowledge.times) == [2, 9]
    assert found.acknowledge.outcomes == {"met": 1, "missed": 1, "overdue": 1}
    assert found.feedback.times == [14]
    assert found.acknowledge.unit == "days"


def test_nothing_is_written(cases: Identity, config: Path, tmp_path: Path) -> None:
    def snapshot() -> dict[str, bytes]:
        return {
            str(p.relative_to(tmp_path)): p.read_bytes()
            for p in sorted(tmp_path.rglob("*"))
            if p.is_file()
        }

    before = snapshot()
    for output in ((), ("--csv",), ("--json",)):
        assert wbs("inbox", "stats", *PERIOD, *output, "--config", str(config)).exit_code == 0
    assert snapshot() == before


def test_summary_is_one_page_of_numbers(cases: Identity, config: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "ringkasan.html"
    target.parent.mkdir()
    result = wbs("inbox", "stats", *PERIOD, "--summary", str(target), "--config", str(config))
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert html.startswith("<!doctype html>") and "@media print" in html
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")
    assert "Tindak Pidana Korupsi" in html and "Asia/Jakarta" in html
    assert "<p>Inspektorat Jenderal KPU</p>" in html
    # No content of any case: no canary, no title, no name, no registration number
    for secret in (CANARY, "Budi Santoso", "Pungli di loket", "7K3M", "Terima kasih"):
        assert secret not in html
    # An existing file is never replaced
    again = wbs("inbox", "stats", *PERIOD, "--summary", str(target), "--config", str(config))
    assert again.exit_code == 1 and "exists: refusing to overwrite it" in again.stderr
    assert target.read_text() == html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-11-30", "--to", "2026-11-01"), "the period ends (2026-11-01) before"),
        (("--from", "2026-13-01"), "'2026-13-01' does not match the format"),
        (("--to", "kemarin"), "'kemarin' does not match the format"),
        (("--csv", "--json"), "--csv, --json and --summary are one output each"),
    ],
)
def test_bad_input_is_refused_before_anything(
    args: tuple[str, ...], message: str, store: LocalStorage
) -> None:
    result = wbs("inbox", "stats", *args, passphrase=None)
    assert result.exit_code != 0
    assert message in result.stderr
    assert result.stdout == ""


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def test_default_period_is_the_current_month() -> None:
    assert stats.period(None, None, datetime.date(2026, 2, 10)) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    assert stats.period(datetime.date(2026, 1, 15), None, datetime.date(2026, 5, 1)) == (
        datetime.date(2026, 1, 15),
        datetime.date(2026, 1, 31),
    )
    assert stats.period(None, datetime.date(2026, 3, 10), datetime.date(2026, 5, 1)) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 10),
    )


def test_the_summary_names_the_largest_and_sums_the_rest() -> None:
    # Given counts over twelve offices, 1 to 12 cases each
    rules = deadlines.DEFAULT_RULES
    day = datetime.date(2026, 11, 20)
    found = stats.Stats(day, day, day, stats.Duty(rules.acknowledge), stats.Duty(rules.feedback))
    for n in range(1, 13):
        found.offices[f"kantor-{n:02}"] = n
    found.names = stats.Names(office={"kantor-12": "Kantor <Dua Belas>"})  # not configured
    # Then the table lists all twelve, the summary the eight largest and the rest summed
    (table,) = [items for heading, items in stats.rows(found) if heading.startswith("Per kantor")]
    assert len(table) == 12
    (page,) = [i for h, i in stats.rows(found, stats.SUMMARY_TOP) if h.startswith("Per kantor")]
    assert page[0] == ("Kantor <Dua Belas>", "12")
    assert page[-1] == ("lainnya / others", str(1 + 2 + 3 + 4))
    assert len(page) == 9
    assert "Kantor &lt;Dua Belas&gt;" in stats.summary_html(found)
