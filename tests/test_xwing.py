"""X-Wing (wbs/xwing.py) against the draft's own vectors, and the `X-Wing` recipient stanza
(wbs/xwing_stanza.py, docs/spec/xwing-v1.md) against ours. Chromium runs the same vectors:
tests/test_xwing_browser.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from functions import envelope as fmt
from functions.errors import EnvelopeError
from tests.support.xwing_vectors import StanzaVector, load_draft_vectors, load_stanza_vectors
from wbs import crypto, xwing, xwing_stanza
from wbs.build import NODE_MODULES, BuildError, static_assets
from wbs.build.assets import module_graph
from wbs.build.noble import COMMENT_RE, NOBLE, noble_modules

DRAFT = load_draft_vectors()
STANZAS = load_stanza_vectors()


@pytest.mark.parametrize("vector", DRAFT, ids=lambda v: v["seed"][:8])
def test_draft_vector_key_generation_and_decapsulation(vector: dict[str, str]) -> None:
    # Given the draft's seed, the private key is the seed and the public key is the draft's
    key = xwing.DecapsulationKey(bytes.fromhex(vector["seed"]))
    assert key.seed.hex() == vector["sk"]
    assert key.public_key.hex() == vector["pk"]
    # When its ciphertext is decapsulated, Then the shared secret is the draft's
    assert key.decapsulate(bytes.fromhex(vector["ct"])).hex() == vector["ss"]


def test_the_draft_gives_three_distinct_cases() -> None:
    assert len(DRAFT) == 3 and len({v["ss"] for v in DRAFT}) == 3


def test_encapsulation_round_trip_with_fresh_randomness() -> None:
    key = xwing.DecapsulationKey.generate()
    (ss1, ct1), (ss2, ct2) = xwing.encapsulate(key.public_key), xwing.encapsulate(key.public_key)
    assert len(key.public_key) == 1216 and len(ct1) == 1120 and len(ss1) == 32
    assert key.decapsulate(ct1) == ss1 and key.decapsulate(ct2) == ss2
    assert ss1 != ss2 and ct1 != ct2
    # Another key decapsulates to another secret (ML-KEM's implicit rejection): no error
    assert xwing.DecapsulationKey.generate().decapsulate(ct1) != ss1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: xwing.DecapsulationKey(bytes(31)), "private key is 32 bytes"),
        (lambda: xwing.encapsulate(bytes(1184)), "public key is 1216 bytes"),
        (lambda: xwing.DecapsulationKey(bytes(32)).decapsulate(bytes(1119)), "1120 bytes"),
    ],
)
def test_wrong_sizes_are_refused_with_the_size(call: Callable[[], object], message: str) -> None:
    with pytest.raises(xwing.XWingError, match=message):
        call()


def test_a_public_key_failing_the_mlkem_check_is_refused() -> None:
    # Given a public key whose first ML-KEM coefficient is 4095, not below q = 3329
    public = bytearray(xwing.DecapsulationKey.generate().public_key)
    public[0], public[1] = 0xFF, public[1] | 0x0F
    # Then encapsulation refuses it (the draft: FIPS 203 section 7.2), as noble does
    with pytest.raises(xwing.XWingError, match="FIPS 203"):
        xwing.encapsulate(bytes(public))


def outcome(vector: StanzaVector) -> tuple[str, bytes | None]:
    key = xwing.DecapsulationKey(base64.b64decode(vector.identity))
    s = vector.stanza
    stanza = fmt.Recipient(s["type"], s["kid"], fmt.b64decode(s["sealed"], "sealed"))
    try:
        return "success", xwing_stanza.open_content_key(stanza, key)
    except EnvelopeError:
        return "malformed", None
    except crypto.NoMatchingKey:
        return "no matching key", None
    except crypto.DecryptionError:
        return "decryption failure", None


@pytest.mark.parametrize("vector", STANZAS, ids=lambda v: v.name)
def test_stanza_vector(vector: StanzaVector) -> None:
    expect, content_key = outcome(vector)
    assert expect == vector.expect, vector.comment
    if vector.content_key is not None:
        assert content_key == base64.b64decode(vector.content_key)


def test_stanza_vectors_cover_the_issue_cases() -> None:
    names = {v.name for v in STANZAS}
    assert {"success", "tampered-mlkem-ciphertext", "tampered-x25519-share", "truncated"} <= names
    assert {"wrong-desk", "wrong-desk-lying-kid"} <= names
    assert {v.expect for v in STANZAS} == {
        "success",
        "malformed",
        "no matching key",
        "decryption failure",
    }


def test_stanza_size_and_kid() -> None:
    key = xwing.DecapsulationKey.generate()
    stanza = xwing_stanza.seal_content_key(bytes(range(32)), key.public_key)
    assert stanza.type == "X-Wing" and len(stanza.body) == 1168 <= 4096
    assert stanza.kid == crypto.fingerprint(key.public_key)[:16]
    with pytest.raises(EnvelopeError, match="32 bytes"):
        xwing_stanza.seal_content_key(bytes(31), key.public_key)


def test_the_stanza_is_additive_to_an_envelope() -> None:
    # Given a v1 envelope sealed to an X25519 desk key
    x25519_desk, hybrid_desk = PrivateKey.generate(), xwing.DecapsulationKey.generate()
    envelope = crypto.seal(
        "report",
        crypto.new_report_id(),
        b"laporan",
        [crypto.Recipient(bytes(x25519_desk.public_key))],
    )
    content_key = crypto.Keys.of(x25519_desk).content_key(envelope)
    # When an X-Wing stanza sealing the same content key is added
    document = envelope.to_json()
    stanza = xwing_stanza.seal_content_key(content_key, hybrid_desk.public_key)
    document["recipients"].append(
        {"type": stanza.type, "kid": stanza.kid, "sealed": fmt.b64encode(stanza.body)}
    )
    parsed = fmt.parse(json.dumps(document))
    # Then today's reader still parses it and opens it with its X25519 key, ignoring the type
    assert crypto.open_envelope(parsed, crypto.Identity(x25519_desk)) == b"laporan"
    # And the hybrid desk opens its stanza to the same content key
    assert xwing_stanza.open_content_key(parsed.recipients[1], hybrid_desk) == content_key
    # And the hybrid key never answers for the X25519 stanza
    with pytest.raises(crypto.NoMatchingKey):
        xwing_stanza.open_content_key(parsed.recipients[0], hybrid_desk)


def test_the_build_ships_xwing_mjs_with_its_whole_import_graph(tmp_path: Path) -> None:
    # Given the site's static files and the noble modules the build adds
    files = {**static_assets(), **noble_modules(NODE_MODULES)}
    # When xwing.mjs's imports are followed (module_graph refuses one not in the site)
    graph = module_graph(files, "assets/js/xwing.mjs")
    # Then ML-KEM-768 and SHA-3 are there, with no bare specifier and no other origin left
    assert {NOBLE + "post-quantum/ml-kem.js", NOBLE + "hashes/sha3.js"} <= set(graph)
    for name in graph:
        assert b"@noble/" not in COMMENT_RE.sub(b"", files[name]), name
        assert b"https://" not in files[name] and b"http://" not in files[name], name
    # And without site/node_modules the build says what to run
    with pytest.raises(BuildError) as refused:
        noble_modules(tmp_path)
    assert refused.value.hint == "npm ci --prefix site"
