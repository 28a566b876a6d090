"""``[[desks]]``, ``[routing]``, ``[[offices]]`` and ``desks`` on ``[[categories]]``
(wbs/config/desks.py): the defaults, the routing document they compile into
(docs/spec/desks-v2.md section 5), and every mistake refused naming its dotted field."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions import routing
from functions.errors import WbsError
from tests.support.desks import office_config
from wbs import config
from wbs.config import ConfigFileError
from wbs.config.desks import MAX_ROUTED

ROOT = Path(__file__).resolve().parents[1]
START = """languages = ["id", "en"]
[institution]
name = "Inspektorat"
[[categories]]
id = "korupsi"
label = {id = "Korupsi", en = "Corruption"}
[[categories]]
id = "pengadaan-barang-jasa"
label = {id = "Pengadaan", en = "Procurement"}
"""
# Every table and field, valid; each refusal below spoils one value.
FULL = (
    START.replace(
        'label = {id = "Pengadaan", en = "Procurement"}',
        'label = {id = "Pengadaan", en = "Procurement"}\ndesks = ["pengadaan"]',
    )
    + """
[[desks]]
id = "inspektorat"
name = {id = "Inspektorat Utama", en = "Principal Inspectorate"}
[[desks]]
id = "jabar"
name = {id = "Inspektorat Wilayah Jawa Barat", en = "West Java Inspectorate"}
[[desks]]
id = "pengadaan"
name = {id = "Tim Pengadaan", en = "Procurement desk"}
[[desks]]
id = "pimpinan"
name = {id = "Pimpinan", en = "Leadership"}
[routing]
central = "inspektorat"
central_receives = "none"
escalation = "pimpinan"
[[offices]]
id = "kab-bandung"
desk = "jabar"
name = {id = "KPU Kabupaten Bandung", en = "KPU of Bandung Regency"}
[[offices]]
id = "kpu-ri"
desk = "inspektorat"
name = {id = "KPU RI", en = "KPU of Indonesia"}
"""
)


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return config.load_all(path)


def test_without_desks_there_is_one_desk_that_receives_everything(tmp_path: Path) -> None:
    # Given a file that says nothing about desks, in English only
    desks = load(tmp_path, START.replace('["id", "en"]', '["en"]')).desks
    # Then there is one desk, the inspectorate, central, and no question to ask
    assert [(d.id, dict(d.names)) for d in desks.desks] == [("inspektorat", {"en": "Inspectorate"})]
    assert desks.document() == {
        "format": "wbs-routing/1",
        "central": "inspektorat",
        "central_receives": "all",
        "escalation": None,
        "offices": [],
        "categories": {},
    }


def test_the_project_config_has_one_desk() -> None:
    desks = config.load_all(ROOT / "site" / "config.toml").desks
    assert [d.id for d in desks.desks] == ["inspektorat"]
    assert desks.document()["offices"] == [] and desks.escalation is None


def test_every_table_compiles_into_the_routing_document(tmp_path: Path) -> None:
    # Given desks, routing rules, offices and a category with its own desk
    desks = load(tmp_path, FULL).desks
    # Then the document says all of it, offices in the file's order
    document = desks.document()
    assert document == {
        "format": "wbs-routing/1",
        "central": "inspektorat",
        "central_receives": "none",
        "escalation": "pimpinan",
        "offices": [
            {"id": "kab-bandung", "desk": "jabar"},
            {"id": "kpu-ri", "desk": "inspektorat"},
        ],
        "categories": {"pengadaan-barang-jasa": ["pengadaan"]},
    }
    # And it is a document the API reads, routing as the spec says
    rules = routing.parse(document)
    assert rules.route("kab-bandung", False, "korupsi") == {"jabar"}
    assert rules.route("kab-bandung", False, "pengadaan-barang-jasa") == {"jabar", "pengadaan"}
    assert rules.route("kab-bandung", True, "pengadaan-barang-jasa") == {"pimpinan"}
    # And the names are the page's, by language
    assert desks.desk("jabar").names == {
        "id": "Inspektorat Wilayah Jawa Barat",
        "en": "West Java Inspectorate",
    }
    assert [o.names["en"] for o in desks.offices] == ["KPU of Bandung Regency", "KPU of Indonesia"]


def test_the_central_desk_is_the_first_when_not_named(tmp_path: Path) -> None:
    text = FULL.replace('central = "inspektorat"\n', "").replace(
        'escalation = "pimpinan"', 'escalation = ""'
    )
    desks = load(tmp_path, text).desks
    assert desks.central == "inspektorat" and desks.escalation is None
    assert desks.document()["escalation"] is None


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('id = "jabar"', 'id = "Jabar"', "desks[2].id", "lower-case"),
        ('id = "jabar"', 'id = "-jabar"', "desks[2].id", "not starting with a hyphen"),
        ('id = "jabar"', f'id = "{"j" * 49}"', "desks[2].id", "1 to 48"),
        ('id = "jabar"', 'id = "inspektorat"', "desks[2].id", "'inspektorat' appears twice"),
        ('en = "West Java Inspectorate"', 'en = ""', "desks[2].name.en", "printable"),
        (
            '{id = "Inspektorat Wilayah Jawa Barat", en = "West Java Inspectorate"}',
            '{id = "Inspektorat Wilayah Jawa Barat"}',
            "desks[2].name.en",
            "printable",
        ),
        ('en = "Leadership"}', 'en = "Leadership", fr = "x"}', "desks[4].name.fr", "unknown"),
        ('id = "pimpinan"\n', 'id = "pimpinan"\ncolour = "red"\n', "desks[4].colour", "unknown"),
        ('central = "inspektorat"', 'central = "pusat"', "routing.central", "'pusat'"),
        ('central_receives = "none"', 'central_receives = "some"', "routing.central_receives", ""),
        ('escalation = "pimpinan"', 'escalation = "ketua"', "routing.escalation", "'ketua'"),
        (
            'escalation = "pimpinan"',
            'escalation = "inspektorat"',
            "routing.escalation",
            "another desk than routing.central",
        ),
        ('escalation = "pimpinan"', "escalation = false", "routing.escalation", "False"),
        ('desk = "jabar"', 'desk = "pimpinan"', "routing.escalation", "desk of an office ('kab"),
        ('escalation = "pimpinan"\n', 'escalation = "pimpinan"\nwho = 1\n', "routing.who", ""),
        ('desk = "jabar"', 'desk = "jatim"', "offices[1].desk", "'jatim'"),
        ('id = "kpu-ri"', 'id = "kab-bandung"', "offices[2].id", "'kab-bandung' appears twice"),
        ('id = "kpu-ri"', 'id = "kpu ri"', "offices[2].id", "lower-case"),
        (', en = "KPU of Indonesia"}', "}", "offices[2].name.en", "printable"),
        ('desks = ["pengadaan"]', 'desks = ["pengadaan", "lain"]', "categories[2].desks", "'lain'"),
        ('desks = ["pengadaan"]', "desks = []", "categories[2].desks", "must list desk ids"),
        ('desks = ["pengadaan"]', 'desks = "pengadaan"', "categories[2].desks", "must list"),
        (
            'desks = ["pengadaan"]',
            'desks = ["pengadaan", "pengadaan"]',
            "categories[2].desks",
            "twice",
        ),
        (
            'id = "pengadaan-barang-jasa"',
            f'id = "{"p" * 49}"',
            "categories[2].id",
            "to route it to desks",
        ),
    ],
)
def test_a_mistake_is_refused_naming_its_field(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    # Given the valid file with one value spoiled
    assert old in FULL
    with pytest.raises(ConfigFileError) as caught:
        load(tmp_path, FULL.replace(old, new, 1))
    # Then one error names the file, the dotted field and what is wrong, with a hint
    error = caught.value
    assert error.field == field, str(error)
    assert str(error).startswith(f"{tmp_path / 'config.toml'}: ")
    assert words in str(error)
    assert error.hint and isinstance(error, WbsError | ValueError)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[[desks]]\n", "desks[1].id"),
        ("desks = []\n", "desks"),
        ("desks = 'inspektorat'\n", "desks"),
        ("offices = 'all'\n", "offices"),
        ("routing = 'central'\n", "routing"),
    ],
)
def test_a_table_of_the_wrong_shape_is_refused(tmp_path: Path, text: str, field: str) -> None:
    top, _, rest = START.partition("[institution]")
    with pytest.raises(ConfigFileError) as caught:
        load(tmp_path, top + text + "[institution]" + rest)
    assert caught.value.field == field, str(caught.value)


def test_a_category_routed_to_too_many_desks_is_refused(tmp_path: Path) -> None:
    # Given a category that adds so many desks that the office's desk, the central one,
    # the recovery key and the reporter no longer fit in one envelope
    many = [f"d{n}" for n in range(MAX_ROUTED - 1)]
    text = FULL.replace('desks = ["pengadaan"]', f"desks = {many!r}".replace("'", '"'))
    text += "".join(f'[[desks]]\nid = "{d}"\nname = {{id = "{d}", en = "{d}"}}\n' for d in many)
    # Then the file is refused, naming the desks a report could go to
    with pytest.raises(ConfigFileError, match=rf"could go to {MAX_ROUTED + 1} desks") as caught:
        load(tmp_path, text.replace('central_receives = "none"', 'central_receives = "all"'))
    assert caught.value.field == "categories"
    # While one desk fewer fits
    assert load(tmp_path, text).desks.categories


def test_the_kpu_example_builds_its_rules() -> None:
    # Given the example for the election commission: the KPU and its 38 provinces
    desks = config.load_all(ROOT / "site" / "examples" / "kpu.toml").desks
    offices = {o.id: o for o in desks.offices}
    # Then every province is an office, with its real name, handled by a regional desk
    assert len(offices) == 39
    assert offices["kpu-jawa-barat"].names["id"] == "KPU Provinsi Jawa Barat"
    assert offices["kip-aceh"].names["id"] == "KIP Aceh"
    assert offices["kpu-papua-pegunungan"].names["en"] == "KPU of Highland Papua Province"
    rules = desks.rules()
    assert rules.route("kpu-jawa-barat", False, "korupsi") == {"wilayah-2", "inspektorat"}
    assert rules.route("kpu-ri", False, "korupsi") == {"inspektorat"}
    assert rules.route("kpu-ri", True, "korupsi") == {"pimpinan"}


def test_the_large_office_config_is_valid(tmp_path: Path) -> None:
    # Given the bench's config: one central desk and 550 office desks
    ids = office_config(tmp_path / "config.toml", escalation=True)
    desks = config.load_all(tmp_path / "config.toml").desks
    # Then every office has its own desk and the central desk receives all
    assert [d.id for d in desks.desks] == ids and len(desks.offices) == 550
    assert desks.rules().route("kab-0550", False, "") == {"kab-0550", "inspektorat"}
    assert len({o.names["id"] for o in desks.offices}) == 550
