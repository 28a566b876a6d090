"""Properties of the parsers the public functions run on what anyone can send or store:
the envelope (functions/envelope.py), the Authorization header (mailbox_token.py), the
keyring (keyring.py) and stored messages and verifiers (mailbox.py). Whatever the input,
each returns a value or raises its own error type, never anything else; and what is written
reads back as it was."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from functions import envelope as fmt
from functions import keyring, mailbox, mailbox_token, routing, shares
from functions.errors import AlreadyExists, EnvelopeError, UnsupportedVersion
from functions.keyring import DESK_ID_RE, fingerprint
from functions.proofs import challenge as pow_format
from functions.routing import Routing
from functions.storage import layout
from tests.hostile.strategies import (
    MemoryStorage,
    any_text,
    b64,
    envelopes,
    ids,
    json_values,
    mutated_tree,
    profile,
)

pytestmark = pytest.mark.slow  # hypothesis: a hundred examples a property

B64_ALPHABET = string.ascii_letters + string.digits + "+/="
b64ish = st.text(st.sampled_from(B64_ALPHABET + " \n-_é\x00"), max_size=60)

# --- envelope.py -------------------------------------------------------------------------------


@profile(300)
@given(st.one_of(any_text, b64ish))
def test_b64decode_takes_only_canonical_base64(text: str) -> None:
    try:
        raw = fmt.b64decode(text, "field")
    except EnvelopeError:
        return
    # Accepted: the one canonical, padded spelling of those bytes
    assert base64.b64encode(raw).decode() == text


@profile()
@given(st.binary(max_size=200))
def test_b64decode_reads_what_b64encode_writes(raw: bytes) -> None:
    assert fmt.b64decode(fmt.b64encode(raw), "field") == raw


@profile()
@given(json_values.filter(lambda v: not isinstance(v, str)))
def test_b64decode_refuses_what_is_not_text(value: Any) -> None:
    try:
        fmt.b64decode(value, "field")
    except EnvelopeError:
        return
    raise AssertionError("a non-string was decoded")


@profile(200)
@given(st.one_of(st.binary(max_size=200), any_text))
def test_loads_strict_raises_only_its_own_error(data: bytes | str) -> None:
    with contextlib.suppress(EnvelopeError):
        fmt.loads_strict(data)


@profile()
@given(json_values)
def test_loads_strict_reads_json_and_canonical_json(value: Any) -> None:
    assert fmt.loads_strict(json.dumps(value)) == value
    written = fmt.canonical_json(value)
    assert fmt.loads_strict(written) == value
    assert fmt.canonical_json(fmt.loads_strict(written)) == written  # one spelling
    assert written.isascii()


@profile()
@given(st.integers(1, 50_000), st.sampled_from(["[", '{"a":']))
def test_loads_strict_refuses_deep_nesting_with_its_own_error(depth: int, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    text = opening * depth + ("1" if opening != "[" else "") + closing * depth
    with contextlib.suppress(EnvelopeError):
        fmt.loads_strict(text)


@profile(200)
@given(st.binary(max_size=300))
def test_parse_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(EnvelopeError):
        fmt.parse(data)


@profile()
@given(envelopes())
def test_parse_reads_what_to_json_writes(sent: fmt.Envelope) -> None:
    assert fmt.parse(sent.to_json()) == sent
    assert fmt.parse(json.dumps(sent.to_json())) == sent
    assert fmt.parse(fmt.canonical_json(sent.to_json())) == sent


@profile(120)
@given(st.data())
def test_a_changed_envelope_is_refused_or_read_as_it_says(data: st.DataObject) -> None:
    sent = data.draw(envelopes())
    tree = data.draw(mutated_tree(sent.to_json()))
    try:
        parsed = fmt.parse(json.dumps(tree))
    except UnsupportedVersion as exc:
        assert len(str(exc)) < 60  # names no long number from the input
        return
    except EnvelopeError as exc:
        assert len(str(exc)) < 120  # answered to the sender: nothing long from the input
        return
    # Accepted: it is exactly what the JSON says, and writes back the same
    assert parsed.to_json() == tree
    assert fmt.parse(parsed.to_json()) == parsed


# --- mailbox_token.py --------------------------------------------------------------------------


@profile(200)
@given(st.one_of(any_text, st.none(), st.builds(lambda s: "Bearer " + s, b64ish)))
def test_the_authorization_header_gives_32_bytes_or_a_token_error(value: str | None) -> None:
    try:
        token = mailbox_token.from_header(value)
    except mailbox_token.TokenError:
        return
    assert len(token) == 32
    assert value is not None and value.split(" ", 1)[0].lower() == "bearer"


@profile()
@given(
    st.binary(min_size=32, max_size=32),
    st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]),
    st.sampled_from(["", " ", "  "]),
)
def test_a_token_reads_back_from_its_header(token: bytes, scheme: str, pad: str) -> None:
    header = f"{scheme} {pad}{base64.b64encode(token).decode()}{pad}"
    assert mailbox_token.from_header(header) == token
    assert fmt.ID_RE.fullmatch(mailbox_token.report_id(token))
    assert mailbox_token.matches(token, mailbox_token.verifier(token))


@profile()
@given(st.binary(min_size=32, max_size=32), any_text)
def test_matching_a_token_against_any_stored_text_never_raises(token: bytes, stored: str) -> None:
    assert mailbox_token.matches(token, stored) == (stored == mailbox_token.verifier(token))


@profile()
@given(st.binary(min_size=10, max_size=10))
def test_crockford_writes_16_symbols_big_endian(raw: bytes) -> None:
    text = mailbox_token.crockford(raw)
    assert fmt.ID_RE.fullmatch(text)
    number = 0
    for symbol in text:
        number = number * 32 + mailbox_token.CROCKFORD.index(symbol)
    assert number == int.from_bytes(raw, "big")


# --- keyring.py -------------------------------------------------------------------------------

keys_32 = st.lists(st.binary(min_size=32, max_size=32), min_size=0, max_size=4, unique=True)


def ring_of(public_keys: list[bytes], labels: list[str], active: list[bool]) -> keyring.Keyring:
    entries = (
        dataclasses.replace(keyring.KeyEntry.for_public_key(key, label, "2026-01-31"), active=on)
        for key, label, on in zip(public_keys, labels, active, strict=False)
    )
    return keyring.Keyring(tuple(entries))


labels = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=80)
# What an inspector might type as a label, the private-material markers included
typed_labels = st.one_of(
    labels,
    st.tuples(labels, st.sampled_from(keyring.PRIVATE_MARKERS), labels).map("".join),
    st.text(max_size=90),
)


@profile()
@given(
    keys_32,
    st.lists(typed_labels, min_size=4, max_size=4),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_a_keyring_reads_back_as_it_was_written(
    public_keys: list[bytes], names: list[str], active: list[bool]
) -> None:
    # Any label `wbs keys new` takes (LABEL_RE) reads back; any other is refused on reading
    ring = ring_of(public_keys, names, active)
    text = json.dumps(ring.to_json(), ensure_ascii=False)
    taken = all(keyring.LABEL_RE.fullmatch(k.label) for k in ring.keys)
    try:
        assert keyring.parse(text) == ring
    except keyring.KeyringError:
        assert not taken
    else:
        assert taken


@profile(200)
@given(st.data())
def test_any_keyring_text_gives_a_keyring_or_a_keyring_error(data: st.DataObject) -> None:
    ring = ring_of(
        data.draw(keys_32),
        data.draw(st.lists(labels, min_size=4, max_size=4)),
        data.draw(st.lists(st.booleans(), min_size=4, max_size=4)),
    )
    text = data.draw(
        st.one_of(
            any_text,
            st.builds(json.dumps, mutated_tree(ring.to_json())),
            st.integers(1, 100_000).map(lambda n: "[" * n),
        )
    )
    with contextlib.suppress(keyring.KeyringError):
        keyring.parse(text)


# --- routing.py and shares.py: the rules and the case grants the API reads ------------------

ROUTING_DOCUMENT = Routing(
    central="inspektorat",
    escalation="pimpinan",
    offices=(("kab-bandung", "jabar"),),
    categories=(("pengadaan-barang-jasa", ("pengadaan",)),),
).to_json()


@profile(200)
@given(st.one_of(json_values, mutated_tree(ROUTING_DOCUMENT)))
def test_any_routing_document_gives_rules_or_a_routing_error(document: Any) -> None:
    with contextlib.suppress(routing.RoutingError):
        rules = routing.parse(document)
        assert rules.central in rules.desk_ids()
        assert all(desks and desks <= rules.desk_ids() for desks in rules.desk_sets())


SHARE_SIGNER = bytes(SigningKey(b"s" * 32).verify_key)  # signs nothing in these tests
SHARE_RING = keyring.Keyring().with_recovery(
    keyring.RecoveryEntry.for_public_key(bytes(32), SHARE_SIGNER, "Recovery", "2024-01-01", 3, 5)
)
SHARE_RING = SHARE_RING.with_desk(
    keyring.DeskEntry.for_public_key("pimpinan", 1, bytes(range(32)), "2024-01-01")
)
SHARE_GRANT = {
    "format": "wbs-case-grant/2",
    "id": "0123456789ABCDEF",
    "desk": "pimpinan",
    "generation": 1,
    "desk_kid": SHARE_RING.desk("pimpinan").kid,
    "granted": "2024-05-01T08:00:00Z",
    "sealed": b64(bytes(80)),
    "signature": {"by": fingerprint(bytes(32))[:16], "sig": b64(bytes(64))},
}


@profile(200)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.builds(lambda v: json.dumps(v).encode(), mutated_tree(SHARE_GRANT)),
    )
)
def test_any_stored_case_grant_is_refused_and_raises_nothing_else(data: bytes) -> None:
    # Nothing here signs with the recovery key's signing key: no stored grant can count
    storage = MemoryStorage()
    storage.put_new("shares/0123456789ABCDEF/20240501T080000000000Z-pimpinan.json", data)
    counted = shares.case_desks(storage, "0123456789ABCDEF", SHARE_RING, ["inspektorat"])
    assert counted == {"inspektorat"}


# --- mailbox.py -------------------------------------------------------------------------------

message_keys = st.one_of(
    any_text,
    st.builds(
        lambda case, stamp, sender, rand: f"mailboxes/{case}/{stamp}-{sender}-{rand}.json",
        ids,
        st.from_regex(r"\d{8}T\d{12}Z", fullmatch=True),
        st.sampled_from(["reporter", "inspectorate", "inspector"]),
        st.from_regex(r"[0-9a-f]{8}", fullmatch=True),
    ),
)


@profile(200)
@given(
    message_keys,
    st.one_of(st.binary(max_size=200), st.builds(lambda v: json.dumps(v).encode(), json_values)),
)
def test_a_stored_message_parses_or_raises_an_envelope_error(key: str, data: bytes) -> None:
    try:
        message = mailbox.parse(key, data)
    except EnvelopeError:
        return
    assert message.sender == layout.sender(key)


@profile()
@given(st.data())
def test_a_stored_message_reads_back_and_any_change_is_caught(data: st.DataObject) -> None:
    sent = data.draw(envelopes())
    sender = "reporter" if sent.kind == "followup" else "inspectorate"
    if sent.kind == "report":
        sent = sent._replace(kind="followup")
        sender = "reporter"
    storage = MemoryStorage()
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=data.draw(st.integers(0, 10**8)))
    message = mailbox.post(storage, sent.id, sender, sent, when)  # type: ignore[arg-type]
    stored = storage.get(message.key)
    assert mailbox.parse(message.key, stored) == message
    tree = data.draw(mutated_tree(json.loads(stored)))
    try:
        again = mailbox.parse(message.key, json.dumps(tree).encode())
    except EnvelopeError:
        return
    assert again.envelope.to_json() == tree["envelope"]
    assert (again.sent, again.sender) == (tree["sent"], tree["from"])


@profile(200)
@given(
    st.binary(min_size=32, max_size=32),
    st.one_of(
        st.binary(max_size=200),
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.builds(
            lambda r, v: json.dumps({"received": r, "verifier": v}).encode(), any_text, any_text
        ),
    ),
)
def test_any_stored_verifier_opens_nothing_and_raises_nothing(token: bytes, data: bytes) -> None:
    storage = MemoryStorage()
    case = mailbox_token.report_id(token)
    storage.put_new(layout.verifier(case), data)
    assert mailbox.opened_by(storage, case, token) is None


desk_ids = st.from_regex(DESK_ID_RE, fullmatch=True)


@profile()
@given(
    st.binary(min_size=32, max_size=32),
    envelopes(),
    st.lists(desk_ids, min_size=1, max_size=5, unique=True),
)
def test_a_claimed_case_opens_with_its_token_only(
    token: bytes, sent: fmt.Envelope, desks: list[str]
) -> None:
    storage = MemoryStorage()
    case = mailbox_token.report_id(token)
    key = fmt.b64encode(token)  # any 32 bytes: the function checks nothing else at claim time
    received = mailbox.claim(storage, case, token, sent.to_json(), key, desks)
    assert mailbox.opened_by(storage, case, token) == (received, key, tuple(sorted(desks)))
    assert mailbox.opened_by(storage, case, bytes(32) if token != bytes(32) else b"\1" * 32) is None
    # The same report again with the same key is the same claim; another key is refused
    assert mailbox.claim(storage, case, token, sent.to_json(), key, desks) == received
    with pytest.raises(AlreadyExists):
        mailbox.claim(
            storage, case, token, sent.to_json(), fmt.b64encode(bytes(b ^ 1 for b in token)), desks
        )


@profile(200)
@given(st.binary(min_size=32, max_size=32), json_values)
def test_any_recorded_desks_are_desk_ids_or_none(token: bytes, desks: object) -> None:
    # A verifier's desks, whatever they are, open the mailbox with desk ids or with none
    # (the API then takes the central desk): never anything else, never an exception
    storage = MemoryStorage()
    case = mailbox_token.report_id(token)
    record = {"received": "2024-01-01T00:00:00Z", "verifier": mailbox_token.verifier(token)}
    storage.put_new(layout.verifier(case), json.dumps(record | {"desks": desks}).encode())
    opened = mailbox.opened_by(storage, case, token)
    assert opened is not None
    assert opened.desks is None or (
        opened.desks
        and list(opened.desks) == sorted(set(opened.desks))
        and all(DESK_ID_RE.fullmatch(d) for d in opened.desks)
    )


# --- proofs/challenge.py ----------------------------------------------------------------------

POW_KEY = bytes(range(32))
POW_NOW = 1_800_000_000.0
proof_text = st.text(
    st.sampled_from(string.ascii_letters + string.digits + "-_.=+/ \x00é"), max_size=100
)


@profile(200)
@given(st.one_of(st.none(), any_text, proof_text), st.sampled_from(["report", "followup"]))
def test_any_proof_header_is_a_challenge_or_a_proof_error(header: str | None, action: str) -> None:
    try:
        pow_format.check(POW_KEY, header, action, 0, POW_NOW)
    except pow_format.ProofError as exc:
        assert exc.code in ("bad_proof", "proof_rejected", "proof_expired")
        assert len(exc.message) < 200


@profile()
@given(st.sampled_from(["report", "followup"]), st.integers(0, 6), st.data())
def test_a_solved_proof_passes_and_any_change_to_it_does_not(
    action: str, bits: int, data: st.DataObject
) -> None:
    issued = pow_format.issue(POW_KEY, action, bits, POW_NOW)
    counter = 0
    while pow_format.work_bits(f"{issued.text}.{counter}") < bits:
        counter += 1
    proof = f"{issued.text}.{counter}"
    assert pow_format.check(POW_KEY, proof, action, bits, POW_NOW) == issued
    at = data.draw(st.integers(0, len(issued.text) - 1))  # one character of the challenge
    char = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_"))
    changed = proof[:at] + char + proof[at + 1 :]
    try:
        again = pow_format.check(POW_KEY, changed, action, bits, POW_NOW)
    except pow_format.ProofError:
        return
    assert changed == proof and again == issued
