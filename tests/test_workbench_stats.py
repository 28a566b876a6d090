"""The workbench's statistics page (/stats), in-process: its numbers are `stats.count`'s over
tests/support/stats.py's five cases, a period that cannot be read is refused in the page's
language with the typed values kept, its CSV and summary are those of `wbs inbox stats`, and
it is behind the unlock like every other page."""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import re
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import CANARY, PASSPHRASE, wbs
from tests.support.stats import EXPECTED, PERIOD, TODAY, make_cases, write_config
from tests.support.workbench import Client, key_file, workbench
from wbs import config as config_file
from wbs import stats

QUERY = "from=2026-10-01&to=2026-11-30"


def client_for(home: Path, tmp_path: Path, lang: str = "id") -> Client:
    """A workbench on the five cases, with the fixture's config and today 20 November."""
    config = write_config(tmp_path)
    app = workbench(key_file(home), LocalStorage(tmp_path / "store"), lang=lang)
    app.config = dataclasses.replace(
        app.config,
        rules=config_file.load(config),
        stats_names=stats.names(config, lang),
        today=lambda: datetime.date.fromisoformat(TODAY),
    )
    return Client(app)


@pytest.fixture
def client(home: Path, tmp_path: Path) -> Client:
    make_cases(tmp_path)
    return client_for(home, tmp_path)


def unlock(client: Client) -> None:
    client.enter()
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303


def bars(page: str, section: str) -> dict[str, int]:
    """The numbers written beside a chart's bars, by key."""
    part = page.split(f'id="stats-{section}"')[1].split("</section>")[0]
    found = re.findall(r'<tr data-key="([^"]*)">.*?<td class="n">(\d+)</td>', part, re.S)
    return {html.unescape(key): int(n) for key, n in found}


def cells(page: str, measure: str) -> list[str]:
    """A deadline row's two cells: acknowledgement, then first feedback."""
    return re.findall(rf'<td data-measure="{measure}">([^<]*)</td>', page)


def test_the_numbers_on_the_page_are_those_of_stats_count(client: Client, tmp_path: Path) -> None:
    # Given the five cases, unlocked
    unlock(client)
    # When the page is asked for October and November
    answer = client.get(f"/stats?{QUERY}")
    # Then every number is the one counted for `wbs inbox stats`, a chart's beside its bar
    assert answer.status == 200, answer.body
    page = answer.body
    for key in ("total", "readable", "unreadable", "undated"):
        assert f'id="stats-{key}">{EXPECTED[("reports", key)]}<' in page, key
    for section in ("month", "category", "desk", "office", "status"):
        expected = {k: v for (s, k), v in EXPECTED.items() if s == section}
        shown = bars(page, section)
        assert {k: shown[k] for k in expected} == expected, section
        assert len(re.findall(r"<svg [^>]*aria-hidden", page.split(f'id="stats-{section}"')[1]))
    assert set(bars(page, "status")) == set(stats.statuses.STATUSES)  # every one, even at 0
    assert "Pungutan Liar" in page and "(tidak ada di konfigurasi)" in page  # the config's names
    for measure in ("done", "met", "missed", "overdue", "pending"):
        expected_cells = [str(EXPECTED[(duty, measure)]) for duty in ("acknowledge", "feedback")]
        assert cells(page, measure) == expected_cells, measure
    assert cells(page, "median") == ["4 hari kerja", "9 hari kerja"]
    assert cells(page, "p90") == ["7 hari kerja", "9 hari kerja"]
    assert 'id="stats-unreadable-note"' in page  # D, sealed to a stranger's key
    assert CANARY not in page  # numbers and the config's names only
    # And they are those of `wbs inbox stats --json`
    config = str(tmp_path / "config.toml")
    document = json.loads(wbs("inbox", "stats", *PERIOD, "--json", "--config", config).stdout)
    assert bars(page, "month") == document["month"]
    assert bars(page, "category") == document["category"]
    assert bars(page, "office") == document["office"]  # only those counted, not all 550
    assert "Per kantor" in page


def test_the_period_defaults_to_the_current_month_and_the_inbox_links_the_page(
    client: Client,
) -> None:
    unlock(client)
    assert 'href="/stats"' in client.get("/").body
    page = client.get("/stats").body
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page
    assert bars(page, "month") == {"2026-11": 3}  # B (1 Nov in Jakarta), C and D
    assert "/stats/csv?from=2026-11-01&amp;to=2026-11-30" in page


@pytest.mark.parametrize(
    ("query", "lang", "message"),
    [
        ("from=2026-13-01&to=2026-11-30", "id", "Tulis tanggal sebagai TTTT-BB-HH"),
        ("from=1%2F10%2F2026", "en", "Type the dates as YYYY-MM-DD"),
        ("to=2026-W45-1", "en", "Type the dates as YYYY-MM-DD"),
        ("from=2026-11-30&to=2026-10-01", "id", "Periode berakhir sebelum dimulai"),
        ("from=2026-11-30&to=2026-10-01", "en", "The period ends before it starts"),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_and_the_typed_values_kept(
    home: Path, tmp_path: Path, query: str, lang: str, message: str
) -> None:
    make_cases(tmp_path)
    client = client_for(home, tmp_path, lang)
    unlock(client)
    answer = client.get(f"/stats?{query}")
    assert answer.status == 400
    page = html.unescape(answer.body)
    assert message in page and 'role="alert"' in page and 'aria-invalid="true"' in page
    for typed in re.findall(r"=([^&]*)", query):
        assert f'value="{typed.replace("%2F", "/")}"' in page
    assert 'id="stats-total"' not in page  # nothing counted
    assert client.get(f"/stats/csv?{query}").status == 400  # nor downloaded


def test_the_csv_and_the_summary_are_those_of_wbs_inbox_stats(
    client: Client, tmp_path: Path
) -> None:
    unlock(client)
    config = str(tmp_path / "config.toml")
    csv_answer = client.get(f"/stats/csv?{QUERY}")
    assert csv_answer.status == 200
    assert csv_answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_answer.headers["content-disposition"]
    assert csv_answer.headers["cache-control"] == "no-store"
    cli = wbs("inbox", "stats", *PERIOD, "--csv", "--config", config)
    assert cli.exit_code == 0
    assert csv_answer.body == cli.stdout
    summary = client.get(f"/stats/summary?{QUERY}")
    target = tmp_path / "summary.html"
    assert (
        wbs("inbox", "stats", *PERIOD, "--summary", str(target), "--config", config).exit_code == 0
    )
    assert summary.status == 200 and summary.body == target.read_text()
    assert (
        'filename="ringkasan_2026-10-01_2026-11-30.html"' in summary.headers["content-disposition"]
    )
    assert not (tmp_path / "home" / "ringkasan_2026-10-01_2026-11-30.html").exists()


def test_the_page_and_its_downloads_are_behind_the_unlock(client: Client) -> None:
    client.enter()
    for path in ("/stats", f"/stats/csv?{QUERY}", f"/stats/summary?{QUERY}"):
        answer = client.get(path)
        assert answer.status == 200 and 'id="passphrase"' in answer.body, path
        assert "text/html" in answer.headers["content-type"]
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    assert 'id="stats-total"' in client.get("/stats").body
    assert client.post("/lock", {}).status == 303
    assert 'id="passphrase"' in client.get(f"/stats/csv?{QUERY}").body
    stranger = Client(client.app)  # no cookie: the guard refuses it
    assert stranger.get("/stats").status != 200
