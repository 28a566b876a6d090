"""The build's desks (wbs/build/desks.py): the keys and the routing rules every page embeds,
the questions the report page asks only when the config gives a choice, the panel that says
who can read a report, and the weight of a page with hundreds of offices."""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from functions import routing
from functions.keyring import grouped, load
from tests.support.desks import add_desks, office_config
from wbs import build
from wbs.build.errors import BuildError
from wbs.build.render import refuse_other_scripts

ROOT = Path(__file__).resolve().parents[1]
KPU = ROOT / "site" / "examples" / "kpu.toml"
KPU_DESKS = ("inspektorat", "wilayah-1", "wilayah-2", "wilayah-3", "pimpinan")
PAGES = ("index.html", "en/index.html", "status/index.html", "en/status/index.html")


def block(page: Path, element: str) -> Any:
    """The JSON of a page's data block, or None when the page has none."""
    found = re.search(
        rf'<script type="application/json" id="{element}">(.*?)</script>', page.read_text()
    )
    return None if found is None else json.loads(found[1])


def radios(page: Path, name: str) -> list[tuple[str, str]]:
    """(value, label text) of the radio buttons ``name`` of a page."""
    found = re.findall(
        rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*>\s*(.*?)</label>',
        page.read_text(),
    )
    return [(value, html.unescape(text).strip()) for value, text in found]


@pytest.fixture(scope="module")
def one_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("one")
    add_desks(tmp / "keys" / "keyring.json")
    build.build(keyring=tmp / "keys" / "keyring.json", out=tmp / "site")
    return tmp / "site"


@pytest.fixture(scope="module")
def kpu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("kpu")
    add_desks(tmp / "keys" / "keyring.json", KPU_DESKS)
    build.build(keyring=tmp / "keys" / "keyring.json", out=tmp / "site", config=KPU)
    return tmp / "site"


def test_with_one_desk_no_question_is_asked(one_desk: Path) -> None:
    # Given the project's config: one desk
    page = one_desk / "index.html"
    # Then the form asks nothing about where the report goes
    assert 'id="routing"' not in page.read_text()
    assert radios(page, "office") == [] and radios(page, "concerns_staff") == []
    # And the page routes every report to the one desk
    document = block(page, "wbs-routing")
    assert routing.parse(document).route("", False, "korupsi") == {"inspektorat"}
    # Which is the document the build writes for the API
    assert json.loads((one_desk / "routing.json").read_text()) == document


def test_the_routing_rules_are_embedded_in_the_report_page_only(kpu: Path) -> None:
    served = json.loads((kpu / "routing.json").read_text())
    assert len(served["offices"]) == 39 and served["escalation"] == "pimpinan"
    for page in PAGES:
        expected = None if "status" in page else served
        assert block(kpu / page, "wbs-routing") == expected, page


def test_every_page_embeds_every_desk_in_its_language(kpu: Path) -> None:
    ring = load(kpu.parent / "keys" / "keyring.json")
    for page in PAGES:
        keys = block(kpu / page, "wbs-keys")
        assert sorted(keys["desks"]) == sorted(KPU_DESKS)
        for desk in KPU_DESKS:
            assert keys["desks"][desk]["public_key"] == ring.desk(desk).public_key
        name = keys["desks"]["wilayah-2"]["name"]
        assert name == (
            "Regional Inspectorate II" if page.startswith("en/") else "Inspektorat Wilayah II"
        )
        # no kid and no fingerprint: the page computes them from the keys
        assert set(keys["desks"]["pimpinan"]) == {"name", "public_key"}


def test_the_report_page_asks_which_office_in_its_language(kpu: Path) -> None:
    # Given the KPU example: the KPU and 38 provinces
    offices = radios(kpu / "index.html", "office")
    # Then the page lists them all after "I do not know", which is chosen
    assert len(offices) == 40
    assert offices[0] == ("", "Saya tidak tahu, atau kantornya tidak ada dalam daftar")
    assert ("kpu-jawa-barat", "KPU Provinsi Jawa Barat") in offices
    assert '<input type="radio" name="office" value="" checked>' in (kpu / "index.html").read_text()
    english = dict(radios(kpu / "en/index.html", "office"))
    assert english["kpu-papua-selatan"] == "KPU of South Papua Province"
    # And says where a report goes: to the office's desk and to the central one
    text = html.unescape((kpu / "en/index.html").read_text())
    assert "goes to the desk that handles that office, and to Principal Inspectorate" in text
    # With a search field that the module shows (hidden without it)
    assert '<div class="office-search" hidden>' in text
    assert 'id="office-filter"' in text and 'aria-controls="office-list"' in text


def test_the_staff_question_names_the_escalation_desk(kpu: Path) -> None:
    page = kpu / "en/index.html"
    assert [v for v, _ in radios(page, "concerns_staff")] == ["no", "yes"]
    text = html.unescape(page.read_text())
    yes = dict(radios(page, "concerns_staff"))["yes"]
    assert yes == "Yes: send it only to KPU leadership (Chair and Secretary General)"
    assert 'data-check="chosen"' in text  # an answer is required: no default
    staff = text.split('id="staff"', 1)[1].split("</fieldset>", 1)[0]
    assert "checked" not in staff


def test_the_panel_shows_the_first_route_and_the_recovery_key(kpu: Path) -> None:
    ring = load(kpu.parent / "keys" / "keyring.json")
    assert ring.recovery is not None
    text = (kpu / "index.html").read_text()
    panel = text.split('<details class="keys" id="keys">', 1)[1].split("</details>", 1)[0]
    # Before any answer: the central desk, by name and fingerprint
    routed = panel.split('<ul id="routed-desks">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'data-desk="([^"]+)"', routed) == ["inspektorat"]
    assert "Inspektorat Utama KPU" in routed
    assert grouped(ring.desk("inspektorat").fingerprint) in routed
    # And the recovery key, its fingerprint and how many officials hold its parts
    assert grouped(ring.recovery.fingerprint) in panel
    assert "dibagi menjadi 5 bagian" in panel and "3 bagian mana pun" in panel
    # And the same route as a sentence under the questions
    summary = text.split('id="route-summary"', 1)[1].split("</p>", 1)[0]
    assert summary.endswith(">Laporan Anda dikirim ke: Inspektorat Utama KPU.")


def test_a_desk_name_cannot_close_its_data_block(tmp_path: Path) -> None:
    # Given a desk whose name holds markup
    hostile = "Inspektorat </script><script>alert(1)</script> & 'x'"
    (tmp_path / "config.toml").write_text(
        "[institution]\nname = 'X'\n[[categories]]\nid = 'ok'\nlabel = {id = 'a', en = 'b'}\n"
        f'[[desks]]\nid = "inspektorat"\nname = {{id = "{hostile}", en = "I"}}\n'
    )
    add_desks(tmp_path / "keyring.json")
    build.build(
        keyring=tmp_path / "keyring.json", out=tmp_path / "site", config=tmp_path / "config.toml"
    )
    # Then the page holds it as data, escaped, and gives it back unchanged
    text = (tmp_path / "site" / "index.html").read_text()
    assert "<script>alert" not in text
    assert block(tmp_path / "site" / "index.html", "wbs-keys")["desks"]["inspektorat"]["name"] == (
        hostile
    )


@pytest.mark.parametrize(
    "script",
    [
        "<script>alert(1)</script>",
        '<script type="module">import("/x.mjs")</script>',
        '<script type="module" src="/assets/js/app.mjs"></script>',  # no integrity
        '<script type="application/json" src="/keys.json"></script>',
        '<script type="text/javascript" id="wbs-keys">{}</script>',
    ],
)
def test_a_page_with_any_other_script_is_refused(script: str) -> None:
    with pytest.raises(BuildError, match="neither a module with integrity nor JSON data"):
        refuse_other_scripts(f"<html><body>{script}</body></html>", "index.html")
    refuse_other_scripts(
        '<script type="module" src="/a.mjs" integrity="sha384-x"></script>'
        '<script type="application/json" id="d">{"a":1}</script>',
        "index.html",
    )


def test_five_hundred_and_fifty_offices_keep_the_page_light(tmp_path: Path) -> None:
    # Given one central desk and 550 office desks, each with its key
    desks = office_config(tmp_path / "config.toml", escalation=True)
    add_desks(tmp_path / "keyring.json", desks)
    build.build(
        keyring=tmp_path / "keyring.json", out=tmp_path / "site", config=tmp_path / "config.toml"
    )
    index, status = tmp_path / "site" / "index.html", tmp_path / "site" / "status/index.html"
    # Then every office is a choice, its name written once in the page
    offices = radios(index, "office")
    assert len(offices) == 551
    name = offices[300][1]
    assert index.read_text().count(name) == 1
    # And the pages stay light (gzip -9; one desk: about 8 and 6 KB; the 552 keys alone,
    # 32 random bytes each, take 18 KB whatever the encoding)
    assert len(gzip.compress(index.read_bytes(), 9)) < 48_000
    assert len(gzip.compress(status.read_bytes(), 9)) < 36_000
    # And the status page carries the keys, not the offices
    assert "kab-0300" in block(status, "wbs-keys")["desks"]
    assert block(status, "wbs-routing") is None and radios(status, "office") == []
