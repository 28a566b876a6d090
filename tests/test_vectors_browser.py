"""The same envelope test vectors, read by the page's own envelope.mjs inside Chromium."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.vectors import load_vectors

pytestmark = pytest.mark.browser

RUN_VECTORS = """async (vectors) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const env = await import('/assets/js/envelope.mjs');
  const names = {
    'malformed': 'malformed', 'unsupported-version': 'unsupported version',
    'no-matching-key': 'no matching key', 'decryption-failure': 'decryption failure',
  };
  const b64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
  return vectors.map((v) => {
    const privateKey = b64(v.identity);
    const publicKey = sodium.crypto_scalarmult_base(privateKey);
    try {
      const plain = env.openEnvelope(sodium, v.body, { publicKey, privateKey });
      return { name: v.name, expect: 'success',
               payload: sodium.to_base64(plain, sodium.base64_variants.ORIGINAL) };
    } catch (e) {
      return { name: v.name, expect: names[e.code] || `unexpected: ${e}` };
    }
  });
}"""

ROUND_TRIP = """async (recipients) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const env = await import('/assets/js/envelope.mjs');
  const keys = recipients.map((pk) => {
    const publicKey = sodium.from_base64(pk, sodium.base64_variants.ORIGINAL);
    return { kid: env.keyId(sodium, publicKey), publicKey };
  });
  const id = env.newReportId(sodium);
  const plaintext = sodium.from_string('dari peramban ✓');
  return env.sealEnvelope(sodium, { kind: 'report', id, plaintext, recipients: keys });
}"""


def test_every_vector_in_chromium(page, site_server) -> None:
    # Given the built site served by the real host
    base, _ = site_server
    page.goto(base + "/")
    # When envelope.mjs reads every vector
    vectors = [dataclasses.asdict(v) for v in load_vectors()]
    results = page.evaluate(RUN_VECTORS, vectors)
    # Then each outcome is the one the vector expects, payloads included
    for vector, result in zip(vectors, results, strict=True):
        assert result["expect"] == vector["expect"], (vector["name"], vector["comment"])
        if vector["payload"] is not None:
            assert result["payload"] == vector["payload"], vector["name"]
    assert page.errors == []


def test_browser_envelope_opens_in_python(page, site_server) -> None:
    import base64
    import json

    from nacl.public import PrivateKey

    from functions import envelope as fmt
    from wbs import crypto

    keys = [PrivateKey.generate() for _ in range(2)]
    base, _ = site_server
    page.goto(base + "/")
    sealed = page.evaluate(
        ROUND_TRIP, [base64.b64encode(bytes(k.public_key)).decode() for k in keys]
    )
    parsed = fmt.parse(json.dumps(sealed))
    for key in keys:
        assert crypto.open_envelope(parsed, crypto.Identity(key)) == "dari peramban ✓".encode()


RUN_SIGNATURES = """async (vectors) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const { checkSignature, signedBytes } = await import('/assets/js/signature.mjs');
  const b64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
  return vectors.map((v) => {
    const keys = new Map(Object.entries(v.signing_keys).map(([kid, key]) => [kid, b64(key)]));
    const { envelope, signature } = v.document;
    const reason = checkSignature(sodium, envelope, signature, v.author, keys);
    const signed = signedBytes(envelope, signature?.by ?? v.author);
    return { expect: reason || 'verified',
             signed: sodium.to_base64(signed, sodium.base64_variants.ORIGINAL) };
  });
}"""


def test_every_signature_vector_in_chromium(page, site_server) -> None:
    import base64

    from functions import envelope as fmt
    from functions.signature import signed_bytes
    from tests.support.vectors import load_signature_vectors

    # Given the built site served by the real host
    base, _ = site_server
    page.goto(base + "/status/")
    # When signature.mjs checks every signature vector
    vectors = load_signature_vectors()
    results = page.evaluate(RUN_SIGNATURES, [dataclasses.asdict(v) for v in vectors])
    for vector, result in zip(vectors, results, strict=True):
        # Then its reason is the one the vector expects
        assert result["expect"] == vector.expect, (vector.name, vector.comment)
        # And the bytes it signs are Python's signed_bytes, canonical JSON and all
        envelope = fmt.parse(vector.document["envelope"], fmt.KINDS | fmt.NOTE_KINDS)
        by = (vector.document.get("signature") or {}).get("by", vector.author)
        assert base64.b64decode(result["signed"]) == signed_bytes(envelope, by), vector.name
    assert page.errors == []


RUN_ROUTING = """async (vectors) => {
  const { route } = await import('/assets/js/routing.mjs');
  // Every answer the page can give: no office or each listed one, staff or not, no category
  // with rules or each one that has some.
  const allowed = (doc) => {
    const sets = new Map();
    for (const office of ['', ...doc.offices.map((o) => o.id)]) {
      for (const staff of [false, true]) {
        for (const category of ['', ...Object.keys(doc.categories)]) {
          const desks = [...route(doc, office, staff, category)].sort();
          sets.set(JSON.stringify(desks), desks);
        }
      }
    }
    const order = (a, b) => {  // lists compared as Python compares them
      for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
        if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      }
      return a.length - b.length;
    };
    return [...sets.values()].sort(order);
  };
  return vectors.map((v) => (v.answers === null ? allowed(v.document) : [...route(
    v.document, v.answers.office, v.answers.concerns_staff, v.answers.category)].sort()));
}"""


def test_every_routing_vector_in_chromium(page, site_server) -> None:
    from tests.support.vectors import load_routing_vectors

    # Given the built site served by the real host
    base, _ = site_server
    page.goto(base + "/")
    # When routing.mjs routes every vector's answers by its document (and, for allowed-sets,
    # every answer the page can give)
    vectors = load_routing_vectors()
    assert len(vectors) >= 9 and any(v.answers is None for v in vectors)
    results = page.evaluate(RUN_ROUTING, [dataclasses.asdict(v) for v in vectors])
    # Then each report goes to the desks the vector expects, as in functions/routing.py
    for vector, desks in zip(vectors, results, strict=True):
        assert desks == vector.expect, (vector.name, vector.comment)
    assert page.errors == []
