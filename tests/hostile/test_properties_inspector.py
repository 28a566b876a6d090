"""Properties of the inspector's parsers (wbs/): the receipt code's normalisation, the
manifest of evidence files, a stored report's wrapper and its decrypted payload, a message's
plaintext, and the config file's tables. Whatever they are given, each returns a value or
raises its own error type; what is written reads back."""

from __future__ import annotations

import contextlib
import datetime
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.errors import EnvelopeError
from tests.hostile.strategies import (
    CROCKFORD,
    any_text,
    envelopes,
    ids,
    json_values,
    kids,
    mutated_tree,
    profile,
)
from wbs import config, manifest, messages, receipt, reports, statuses
from wbs.attachments import Attachment

pytestmark = pytest.mark.slow  # hypothesis: a hundred examples a property

# --- the receipt code --------------------------------------------------------------------------

codes = st.text(st.sampled_from(CROCKFORD), min_size=20, max_size=20)


@profile(200)
@given(
    st.one_of(any_text, st.text(st.sampled_from(CROCKFORD + "OILU -._\t\n" + "oilu"), max_size=30))
)
def test_a_typed_code_normalises_to_20_symbols_or_a_receipt_error(typed: str) -> None:
    try:
        code = receipt.normalize(typed)
    except receipt.ReceiptError:
        return
    assert receipt.CODE_RE.fullmatch(code)
    assert receipt.normalize(code) == code  # once is enough


@profile()
@given(codes, st.data())
def test_a_code_survives_the_usual_slips(code: str, data: st.DataObject) -> None:
    # Grouped, in any case, with separators, and with O, I, L, U for 0, 1, 1, V
    look_alike = {"0": "Oo", "1": "IiLl", "V": "Uu"}
    typed = ""
    for symbol in receipt.group(code):
        options = look_alike.get(symbol, "") + symbol + symbol.lower()
        typed += data.draw(st.sampled_from(options))
        typed += data.draw(st.sampled_from(["", "", " ", "-", ".", "_", "\t"]))
    assert receipt.normalize(typed) == code


# --- the manifest ------------------------------------------------------------------------------

entries = st.builds(
    Attachment,
    id=ids,
    name=st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    type=st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    size=st.integers(0, manifest.MAX_SIZE),
    chunk=st.sampled_from([1 << k for k in range(10, 21)]),
    key=st.binary(min_size=32, max_size=32),
    sha256=st.just("") | st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64),
)
manifests = st.lists(entries, max_size=4, unique_by=lambda e: e.id)


@profile()
@given(manifests)
def test_a_manifest_reads_back_as_written(files: list[Attachment]) -> None:
    written = json.loads(json.dumps([manifest.entry_document(e) for e in files]))
    assert manifest.parse(written) == tuple(files)


@profile(200)
@given(
    st.one_of(
        json_values,
        manifests.flatmap(lambda files: mutated_tree([manifest.entry_document(e) for e in files])),
    )
)
def test_any_manifest_gives_entries_or_a_manifest_error(value: Any) -> None:
    try:
        files = manifest.parse(value)
    except manifest.ManifestError:
        return
    # Accepted: every entry is exactly what the JSON said
    assert [manifest.entry_document(e) for e in files] == value


# --- a stored report and its payload ----------------------------------------------------------


@profile(200)
@given(
    ids,
    st.one_of(st.binary(max_size=200), st.builds(lambda v: json.dumps(v).encode(), json_values)),
)
def test_a_stored_report_parses_or_raises_an_envelope_error(report_id: str, data: bytes) -> None:
    try:
        stored = reports.parse_stored(report_id, data)
    except EnvelopeError:
        return
    assert stored.id == report_id == stored.envelope.id


@profile()
@given(st.data())
def test_a_changed_stored_report_is_refused_or_read_as_it_says(data: st.DataObject) -> None:
    sent = data.draw(envelopes())._replace(kind="report")
    received = data.draw(
        st.datetimes(
            min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)
        )
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    tree = {"received": received, "envelope": sent.to_json()}
    assert reports.parse_stored(sent.id, json.dumps(tree).encode()).envelope == sent
    changed = data.draw(mutated_tree(tree))
    try:
        stored = reports.parse_stored(sent.id, json.dumps(changed).encode())
    except EnvelopeError:
        return
    assert stored.envelope.to_json() == changed["envelope"]


PERSON = st.fixed_dictionaries({"name": any_text, "position": any_text, "unit": any_text})
REPORT = st.fixed_dictionaries(
    {
        "schema": st.just(reports.SCHEMA),
        "lang": st.sampled_from(["id", "en"]),
        "category": st.fixed_dictionaries({"id": any_text, "label": any_text}),
        "title": any_text,
        "what": any_text,
        "who": st.lists(PERSON, min_size=1, max_size=2),
        "where": any_text,
        "when": st.fixed_dictionaries({"date": any_text, "note": any_text}),
        "how": any_text,
        "loss": any_text,
        "reporter": st.fixed_dictionaries(
            {
                "anonymous": st.booleans(),
                "name": any_text,
                "contact": any_text,
                "relation": any_text,
            }
        ),
        "declarations": st.fixed_dictionaries({d: st.booleans() for d in reports.DECLARATIONS}),
        "reporter_public_key": any_text,
    },
    optional={"attachments": manifests.map(lambda fs: [manifest.entry_document(e) for e in fs])},
)
STORED = reports.Stored(
    "7K3M9QXA2B4C6D8E", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), None
)  # type: ignore[arg-type]


@profile(200)
@given(
    st.one_of(
        st.binary(max_size=200), REPORT.flatmap(mutated_tree).map(lambda v: json.dumps(v).encode())
    )
)
def test_a_decrypted_payload_reads_or_raises_a_payload_error(plaintext: bytes) -> None:
    with contextlib.suppress(reports.PayloadError):
        reports.parse_payload(STORED, plaintext)


@profile()
@given(REPORT)
def test_a_report_payload_reads_as_written(document: dict[str, Any]) -> None:
    plaintext = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        report = reports.parse_payload(STORED, plaintext)
    except reports.PayloadError:
        # Only text that is not UTF-8 (a lone surrogate) may be refused
        assert any(_has_surrogate(v) for v in json.loads(json.dumps(document)).values())
        return
    assert (report.what, report.title, report.who[0].name) == (
        document["what"],
        document["title"],
        document["who"][0]["name"],
    )
    assert report.declarations == document["declarations"]
    assert len(report.attachments) == len(document.get("attachments", []))


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_has_surrogate(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


# --- a message's plaintext ---------------------------------------------------------------------

safe_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
sent_times = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)
).map(lambda d: d.replace(microsecond=0, tzinfo=datetime.UTC))


@st.composite
def message_pairs(draw: st.DrawFn) -> tuple[messages.Message, str]:
    kind = draw(st.sampled_from(["reply", "followup"]))
    if kind == "reply" and draw(st.booleans()):
        status = draw(st.sampled_from(sorted(statuses.STATUSES)))
        reason = (
            draw(safe_text.filter(str.strip)) if status == statuses.REJECTED else draw(safe_text)
        )
        return messages.Message(
            draw(ids), draw(sent_times), "status", draw(safe_text), status, reason, draw(kids)
        ), kind
    files = tuple(draw(manifests)) if kind == "followup" else ()
    by = draw(kids) if kind == "reply" else ""
    return messages.Message(
        draw(ids), draw(sent_times), "message", draw(safe_text), "", "", by, files
    ), kind


@profile()
@given(message_pairs())
def test_a_message_reads_back_as_written(pair: tuple[messages.Message, str]) -> None:
    message, kind = pair
    assert messages.decode(messages.encode(message), kind) == message


@profile(200)
@given(
    st.sampled_from(["reply", "followup", "report"]),
    st.one_of(
        st.binary(max_size=200),
        message_pairs()
        .flatmap(lambda pair: mutated_tree(json.loads(messages.encode(pair[0]))))
        .map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_message_plaintext_gives_a_message_or_a_message_error(
    kind: str, plaintext: bytes
) -> None:
    try:
        message = messages.decode(plaintext, kind)
    except messages.MessageError:
        return
    assert message.type in ("message", "status")
    if message.type == "status":
        assert kind == "reply" and message.status in statuses.STATUSES
    if message.attachments:
        assert kind == "followup"


# --- the config file's tables ------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A value as TOML text (inline tables and arrays; strings as JSON, which TOML reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
            if value == value
            else "nan"
        )
    if isinstance(value, (int, datetime.date, datetime.time)):
        return value.isoformat() if not isinstance(value, int) else str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string, but for DEL


toml_scalars = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
    | st.text(st.sampled_from(string.digits + " KMGiB"), max_size=12)
    | st.dates()
    | st.datetimes()
    | st.times()
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["count", "unit", "x"]) | st.text(max_size=5), inner, max_size=3
        )
    ),
    max_leaves=6,
)
upload_tables = st.dictionaries(
    st.sampled_from(sorted(config.uploads.FIELDS)) | st.text(string.ascii_lowercase, max_size=8),
    toml_values,
    max_size=4,
)
deadline_tables = st.dictionaries(
    st.sampled_from(sorted(config.deadlines.FIELDS)) | st.text(string.ascii_lowercase, max_size=8),
    toml_values | st.fixed_dictionaries({"count": toml_values, "unit": toml_values}),
    max_size=4,
)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config")


@profile(200)
@given(
    st.one_of(
        st.builds(
            lambda up, dl: (
                "[uploads]\n"
                + "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in up.items())
                + "[deadlines]\n"
                + "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in dl.items())
            ),
            upload_tables,
            deadline_tables,
        ),
        st.builds(
            lambda v: f"uploads = {toml_value(v)}\ndeadlines = {toml_value(v)}\n", toml_values
        ),
    ).map(lambda t: t.encode("utf-8"))
    | st.binary(max_size=100)
)
def test_any_config_gives_settings_or_a_config_file_error(config_dir: Path, text: bytes) -> None:
    path = config_dir / "config.toml"
    path.write_bytes(text)
    for load in (lambda: config.upload_limits(path, {}), lambda: config.load(path)):
        try:
            load()
        except config.ConfigFileError as exc:
            assert str(path) in str(exc) or "WBS_" in str(exc)
