"""`wbs inbox stats` and wbs/stats.py: counts for leadership over cases with known dates,
categories, desks, offices, statuses and replies, each expected number worked out by hand."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import (
    CANARY,
    use_private_home,
    wbs,
)
from tests.support.membership import Institution
from tests.support.stats import EXPECTED, PERIOD, TODAY, make_cases, write_config
from wbs import deadlines, stats
from wbs.cache import Cache
from wbs.crypto import Identity


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def cases(tmp_path: Path) -> Identity:
    """Five cached cases (tests/support/stats.py)."""
    return make_cases(tmp_path)


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
