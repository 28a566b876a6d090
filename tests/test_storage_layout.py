"""The storage layout (functions/storage/layout.py) against the table "Stored objects" of
docs/architecture.md: every key the code builds is one the table names, and every row of the
table is a key the code builds; the parsers accept exactly those keys."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from functions.envelope import ID_RE
from functions.storage import layout

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
CASE = "7K3M2X9QABCDEFGH"
FILE = "0123456789ABCDEF"
KID = "0123456789abcdef"
DIGEST = "0badc0de"
MARKER = "ab" * 32
WHEN = datetime.datetime(2026, 3, 1, 2, 30, 0, 123456, tzinfo=datetime.UTC)
# What each placeholder of the table stands for.
PLACEHOLDERS = {
    "<ID>": ID_RE.pattern,
    "<file id>": ID_RE.pattern,
    "<stamp>": r"\d{8}T\d{12}Z",
    "<hash>": "[0-9a-f]{8}",
    "<kid>": "[0-9a-f]{16}",
    "<sha256 of a challenge>": "[0-9a-f]{64}",
    "<n>": "[1-9][0-9]*",
    "<desk>": layout.DESK,
    "<generation>": "[1-9][0-9]{0,4}",
}
BUILT = {
    "report": layout.report(CASE),
    "verifier": layout.verifier(CASE),
    "follow-up": layout.message(CASE, WHEN, "reporter", DIGEST),
    "reply": layout.message(CASE, WHEN, "inspectorate", DIGEST),
    "note": layout.note(CASE, WHEN, KID, DIGEST),
    "proof": layout.proof(MARKER),
    "upload record": layout.upload_record(CASE, FILE),
    "upload reservation": layout.upload_slot(CASE, 12),
    "follow-up reservation": layout.followup_slot(CASE, 12),
    "attachment": layout.attachment(CASE, FILE),
    "desk grant": layout.desk_grant("kab-bandung", 3, KID),
    "case grant": layout.share(CASE, WHEN, "pimpinan"),
}


def documented() -> list[str]:
    """The keys in the first column of the table under "## Stored objects"."""
    section = DOC.read_text(encoding="utf-8").split("## Stored objects", 1)[1].split("\n## ")[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def pattern(key: str) -> re.Pattern[str]:
    text = re.escape(key)
    for placeholder, meaning in PLACEHOLDERS.items():
        text = text.replace(re.escape(placeholder), meaning)
    assert "<" not in text, f"a placeholder of {key} has no meaning in this test"
    return re.compile(text)


def test_the_table_names_a_key_for_every_prefix_and_nothing_else() -> None:
    keys = documented()
    assert len(keys) == len(BUILT)
    assert sorted({key.split("/")[0] + "/" for key in keys}) == sorted(layout.PREFIXES)


@pytest.mark.parametrize("what", BUILT)
def test_every_key_the_code_builds_is_one_row_of_the_table(what: str) -> None:
    matching = [key for key in documented() if pattern(key).fullmatch(BUILT[what])]
    assert len(matching) == 1, (what, BUILT[what], matching)


def test_every_row_of_the_table_is_a_key_the_code_builds() -> None:
    for key in documented():
        assert any(pattern(key).fullmatch(built) for built in BUILT.values()), key


def test_the_parsers_accept_what_the_builders_write_and_nothing_else() -> None:
    assert layout.report_id(BUILT["report"]) == CASE
    assert layout.sender(BUILT["follow-up"]) == "reporter"
    assert layout.sender(BUILT["reply"]) == "inspectorate"
    assert layout.is_message(BUILT["reply"]) and layout.is_note(BUILT["note"])
    assert layout.case_of(BUILT["note"]) == layout.case_of(BUILT["reply"]) == CASE
    assert layout.stored_at(BUILT["reply"]) == layout.stored_at(BUILT["note"]) == WHEN
    assert layout.stored_at(BUILT["verifier"]) is None
    others = [key for name, key in BUILT.items() if name != "report"]
    assert all(layout.report_id(key) is None for key in others)
    assert not any(layout.is_message(key) for key in [BUILT["note"], BUILT["verifier"]])
    assert not any(layout.is_note(key) for key in [BUILT["reply"], BUILT["report"]])
    # A name moved into another folder, or one level deeper, is no message or note.
    assert not layout.is_message(BUILT["reply"].replace("mailboxes/", "notes/"))
    assert not layout.is_note(BUILT["note"].replace(f"/{CASE}/", f"/{CASE}/x/"))
    assert layout.report_id(f"reports/{CASE.lower()}.json") is None
    # A reservation is no message and no grant record, though it lies beside them.
    assert layout.upload_file_id(BUILT["upload record"]) == FILE
    assert [key for key in BUILT.values() if layout.upload_file_id(key)] == [BUILT["upload record"]]
    assert not layout.is_message(BUILT["follow-up reservation"])
    assert layout.sender(BUILT["follow-up reservation"]) is None
    with pytest.raises(ValueError, match="from 1"):
        layout.upload_slot(CASE, 0)


def test_grant_names_parse_back_and_nothing_else_parses_as_one() -> None:
    assert layout.parse_desk_grant(BUILT["desk grant"]) == ("kab-bandung", 3, KID)
    assert layout.share_desk(BUILT["case grant"]) == "pimpinan"
    assert layout.case_of(BUILT["case grant"]) == CASE
    others = [key for name, key in BUILT.items() if name not in ("desk grant", "case grant")]
    assert not any(layout.parse_desk_grant(k) or layout.share_desk(k) for k in others)
    # A generation 0, an upper-case desk or a name one level deeper is no grant.
    assert layout.parse_desk_grant(f"desks/kab-bandung/0/{KID}.json") is None
    assert layout.parse_desk_grant(f"desks/Kab/1/{KID}.json") is None
    assert layout.share_desk(BUILT["case grant"].replace(f"/{CASE}/", f"/{CASE}/x/")) is None
