"""The inspector's decryption of tampered data. A stored report or message with any byte
flipped, cut short, extended, or with its stanzas' sealed keys swapped or spliced from
another envelope, is refused with the tool's own error, or (when the change was only JSON
spelling or the storage's receipt time) reads as exactly what was sealed: never another
plaintext, never another exception. An evidence file cut, reordered, flipped or extended
fails naming the file, and leaves no file that looks complete."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import nacl.bindings
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from functions import mailbox
from functions.errors import EnvelopeError
from tests.hostile.strategies import MemoryStorage, any_text, ids, profile
from tests.support.api import identity, sealed
from wbs import attachments, messages, reports
from wbs.attachments import Attachment, AttachmentError
from wbs.crypto import DecryptionError
from wbs.thread import UNREADABLE

pytestmark = pytest.mark.slow  # hypothesis: a hundred examples a property

INSPECTOR = identity(1)
READER = reports.Reader(INSPECTOR)
REPORT_ERRORS = (EnvelopeError, DecryptionError, reports.PayloadError)

payloads = st.fixed_dictionaries(
    {
        "schema": st.just(reports.SCHEMA),
        "what": any_text,
        "who": st.just([{"name": "Budi", "position": "", "unit": ""}]),
        "loss": st.text("0123456789", max_size=12),
    }
).map(lambda d: json.dumps(d).encode())


def stored_report(plaintext: bytes, report_id: str, recipients: int) -> bytes:
    keys = [INSPECTOR.public_key, *(identity(10 + n).public_key for n in range(recipients - 1))]
    envelope = sealed(plaintext, keys, report_id)
    return json.dumps({"received": "2026-03-01T08:00:00Z", "envelope": envelope.to_json()}).encode()


def read_report(report_id: str, data: bytes) -> reports.Report:
    return READER.open(reports.parse_stored(report_id, data))


def same_report(a: reports.Report, b: reports.Report) -> bool:
    return a._replace(received=b.received) == b


tampering = st.sampled_from(["flip", "truncate", "extend", "field bits", "field length"])


@profile(200)
@given(payloads, ids, st.integers(1, 3), tampering, st.data())
def test_a_tampered_report_is_refused_or_reads_as_sealed(
    plaintext: bytes, report_id: str, recipients: int, how: str, data: st.DataObject
) -> None:
    stored = stored_report(plaintext, report_id, recipients)
    original = read_report(report_id, stored)
    if how == "flip":  # one byte of the stored object, any bit pattern
        at = data.draw(st.integers(0, len(stored) - 1))
        mask = data.draw(st.integers(1, 255))
        changed = stored[:at] + bytes([stored[at] ^ mask]) + stored[at + 1 :]
    elif how == "truncate":
        changed = stored[: data.draw(st.integers(0, len(stored) - 1))]
    elif how == "extend":
        changed = stored + data.draw(st.binary(min_size=1, max_size=64))
    else:  # the bytes inside a base64 member, re-encoded canonically
        tree = json.loads(stored)
        envelope = tree["envelope"]
        member = data.draw(st.sampled_from(["nonce", "ciphertext", "sealed"]))
        holder = envelope["recipients"][0] if member == "sealed" else envelope
        raw = bytearray(base64.b64decode(holder[member]))
        if how == "field bits":
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
        else:
            cut = data.draw(st.integers(0, len(raw) - 1))
            raw = raw[:cut] if data.draw(st.booleans()) else raw + os.urandom(len(raw) - cut)
        holder[member] = base64.b64encode(bytes(raw)).decode()
        changed = json.dumps(tree).encode()
    try:
        opened = read_report(report_id, changed)
    except REPORT_ERRORS:
        return
    assert how in ("flip", "extend")  # a change of the bytes themselves never passes
    assert same_report(opened, original)


@profile(100)
@given(payloads, ids, st.sampled_from(["swap sealed", "splice stanza", "splice ciphertext"]))
def test_stanzas_swapped_or_spliced_never_open(plaintext: bytes, report_id: str, how: str) -> None:
    # Given a report to the inspector and two others, and another report to the same keys
    stored = json.loads(stored_report(plaintext, report_id, 3))
    other = json.loads(stored_report(plaintext, report_id, 3))
    envelope = stored["envelope"]
    stanzas = envelope["recipients"]
    if how == "swap sealed":  # each stanza keeps its kid, with another stanza's sealed key
        stanzas[0]["sealed"], stanzas[1]["sealed"] = stanzas[1]["sealed"], stanzas[0]["sealed"]
    elif how == "splice stanza":  # the inspector's stanza from the other report
        stanzas[0] = other["envelope"]["recipients"][0]
    else:  # the other report's ciphertext and nonce under this one's stanzas
        envelope["ciphertext"] = other["envelope"]["ciphertext"]
        envelope["nonce"] = other["envelope"]["nonce"]
    with pytest.raises(DecryptionError):
        read_report(report_id, json.dumps(stored).encode())


@profile(150)
@given(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.sampled_from(["flip", "truncate", "extend", "move"]),
    st.data(),
)
def test_a_tampered_message_is_unreadable_or_reads_as_sealed(
    text: str, how: str, data: st.DataObject
) -> None:
    # Given a follow-up as the API stores it
    case = "7K3M9QXA2B4C6D8E"
    message = messages.new("message", by="", now=datetime(2026, 3, 1, tzinfo=UTC), text=text)
    envelope = sealed(messages.encode(message), [INSPECTOR.public_key], case, "followup")
    storage = MemoryStorage()
    key = mailbox.post(storage, case, "reporter", envelope).key
    stored = storage.get(key)
    if how == "flip":
        at = data.draw(st.integers(0, len(stored) - 1))
        stored = (
            stored[:at] + bytes([stored[at] ^ data.draw(st.integers(1, 255))]) + stored[at + 1 :]
        )
    elif how == "truncate":
        stored = stored[: data.draw(st.integers(0, len(stored) - 1))]
    elif how == "extend":
        stored += data.draw(st.binary(min_size=1, max_size=32))
    else:  # moved to another case's folder, or as a reply
        key = data.draw(
            st.sampled_from(
                [key.replace(case, "0123456789ABCDEF"), key.replace("-reporter-", "-inspectorate-")]
            )
        )
    try:
        parsed = mailbox.parse(key, stored)
        opened = messages.decode(READER.decrypt(parsed.envelope), parsed.envelope.kind)
    except UNREADABLE:
        return
    assert how in ("flip", "extend")
    assert opened == message


# --- evidence files ------------------------------------------------------------------------


def encrypted(plain: bytes, chunk: int, sha: bool) -> tuple[bytes, Attachment]:
    key = nacl.bindings.crypto_secretstream_xchacha20poly1305_keygen()
    sink = io.BytesIO()
    digest = attachments.encrypt(io.BytesIO(plain), sink, CASE, FILE, key, chunk)
    entry = Attachment(
        FILE, "bukti.mp4", "video/mp4", digest.size, chunk, key, digest.sha256 if sha else ""
    )
    return sink.getvalue(), entry


CASE, FILE = "7K3M9QXA2B4C6D8E", "5QZ2W8R1XK4T7M3N"
LABEL = "bukti-LABEL-3c.mp4"
_counter = itertools.count()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


def export(folder: Path, obj: bytes, entry: Attachment) -> Path:
    target = folder / f"{next(_counter)}-{LABEL}"
    attachments.decrypt_to_file(io.BytesIO(obj), target, CASE, entry, LABEL)
    return target


@profile(200)
@given(
    st.integers(0, 5000),
    st.booleans(),
    st.sampled_from(["truncate", "reorder", "flip", "append", "splice", "other file"]),
    st.data(),
)
def test_a_tampered_evidence_file_fails_naming_it_and_leaves_nothing(
    exports: Path, size: int, sha: bool, how: str, data: st.DataObject
) -> None:
    chunk = attachments.MIN_CHUNK
    plain = data.draw(st.binary(min_size=min(size, 8), max_size=8)) * (size // 8 + 1)
    plain = plain[:size]
    obj, entry = encrypted(plain, chunk, sha)
    sealed_chunk = chunk + attachments.ABYTES
    count = attachments.chunk_count(size, chunk)
    header, body = obj[:24], obj[24:]
    pieces = [body[i : i + sealed_chunk] for i in range(0, len(body), sealed_chunk)]
    if how == "truncate":
        changed = obj[: data.draw(st.integers(0, len(obj) - 1))]
    elif how == "reorder":
        assume(count >= 2)
        i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
        pieces[i], pieces[j] = pieces[j], pieces[i]
        changed = header + b"".join(pieces)
    elif how == "flip":
        at = data.draw(st.integers(0, len(obj) - 1))
        changed = obj[:at] + bytes([obj[at] ^ data.draw(st.integers(1, 255))]) + obj[at + 1 :]
    elif how == "append":
        changed = obj + data.draw(st.binary(min_size=1, max_size=2 * sealed_chunk))
    elif how == "splice":  # a chunk of another encryption of the same file under the same key
        other = io.BytesIO()
        attachments.encrypt(io.BytesIO(plain), other, CASE, FILE, entry.key, chunk)
        theirs = other.getvalue()[24:]
        at = data.draw(st.integers(0, count - 1))
        pieces[at] = theirs[at * sealed_chunk : (at + 1) * sealed_chunk]
        changed = header + b"".join(pieces)
    else:  # the very object, read as another file of the case (its id is in AD)
        changed = obj
        entry = entry._replace(id="0123456789ABCDEF")
    before = set(os.listdir(exports))
    with pytest.raises(AttachmentError) as failed:
        export(exports, changed, entry)
    assert LABEL in str(failed.value)
    assert failed.value.reason in {
        "header",
        "truncated",
        "length",
        "authentication",
        "tag",
        "padding",
        "size",
        "sha256",
    }
    # Nothing new in the folder: no partial plaintext, no temporary file
    assert set(os.listdir(exports)) == before


@profile(100)
@given(st.integers(0, 5000), st.booleans())
def test_an_untouched_evidence_file_exports_whole(exports: Path, size: int, sha: bool) -> None:
    plain = os.urandom(size)
    obj, entry = encrypted(plain, attachments.MIN_CHUNK, sha)
    target = export(exports, obj, entry)
    assert target.read_bytes() == plain
    assert hashlib.sha256(plain).hexdigest() == hashlib.sha256(target.read_bytes()).hexdigest()


def test_the_wrong_key_is_refused_as_authentication(exports: Path) -> None:
    obj, entry = encrypted(b"x" * 3000, attachments.MIN_CHUNK, True)
    wrong = entry._replace(key=bytes(32))
    with pytest.raises(AttachmentError) as failed:
        export(exports, obj, wrong)
    assert failed.value.reason == "authentication" and LABEL in str(failed.value)
