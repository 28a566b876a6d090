"""X-Wing in Chromium: the built site's xwing.mjs (noble's ML-KEM-768, libsodium's X25519)
against the draft's vectors and our stanza vectors, and stanzas sealed in one language opened
in the other. The same vectors run in Python: tests/test_xwing.py."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from functions import envelope as fmt
from tests.support.xwing_vectors import load_draft_vectors, load_stanza_vectors
from wbs import xwing, xwing_stanza

pytestmark = pytest.mark.browser

IMPORTS = """
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const xw = await import('/assets/js/xwing.mjs');
  const b64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
  const to64 = (b) => sodium.to_base64(b, sodium.base64_variants.ORIGINAL);
"""

RUN_DRAFT = f"""async (vectors) => {{{IMPORTS}
  return vectors.map((v) => {{
    const pk = xw.publicKey(sodium, sodium.from_hex(v.seed));
    const enc = xw.encapsulate(sodium, pk, sodium.from_hex(v.eseed));
    const ss = xw.decapsulate(sodium, sodium.from_hex(v.ct), sodium.from_hex(v.sk));
    return {{ pk: sodium.to_hex(pk), ct: sodium.to_hex(enc.cipherText),
             ss: sodium.to_hex(enc.sharedSecret), decapsulated: sodium.to_hex(ss) }};
  }});
}}"""

RUN_STANZAS = f"""async (vectors) => {{{IMPORTS}
  const names = {{ 'malformed': 'malformed', 'no-matching-key': 'no matching key',
                  'decryption-failure': 'decryption failure' }};
  return vectors.map((v) => {{
    const {{ type, kid, sealed }} = v.stanza;
    try {{
      const key = xw.openContentKey(sodium, {{ type, kid, body: b64(sealed) }}, b64(v.identity));
      return {{ expect: 'success', content_key: to64(key) }};
    }} catch (e) {{
      return {{ expect: names[e.code] || `unexpected: ${{e}}` }};
    }}
  }});
}}"""

ACROSS = f"""async ({{ pythonPublicKey, pythonStanza, browserSeed, contentKey }}) => {{{IMPORTS}
  const {{ type, kid, sealed }} = pythonStanza;
  const opened = xw.openContentKey(sodium, {{ type, kid, body: b64(sealed) }}, b64(browserSeed));
  const sealedHere = xw.sealContentKey(sodium, b64(contentKey), b64(pythonPublicKey));
  return {{ opened: to64(opened), sealedHere,
           browserPublicKey: to64(xw.publicKey(sodium, b64(browserSeed))) }};
}}"""


def test_the_page_does_not_load_xwing_at_page_load(page, site_server) -> None:
    # Given the report form (of a classical keyring), and every request it makes
    base, _ = site_server
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    # Then neither xwing.mjs nor any noble module was fetched: only a report to a hybrid desk
    # loads them (tests/test_e2e_hybrid_browser.py), and no page lists them
    assert any("libsodium" in url for url in requests)
    assert not [url for url in requests if url.endswith("/xwing.mjs") or "/noble/" in url]
    assert page.evaluate("() => document.getElementById('wbs-xwing')") is None


def test_every_draft_vector_in_chromium(page, site_server) -> None:
    # Given the built site served by the real host
    base, _ = site_server
    page.goto(base + "/")
    # When xwing.mjs derives, encapsulates (derandomized) and decapsulates every draft case
    vectors = load_draft_vectors()
    results = page.evaluate(RUN_DRAFT, vectors)
    # Then each value is the draft's
    for vector, result in zip(vectors, results, strict=True):
        assert result == {
            "pk": vector["pk"],
            "ct": vector["ct"],
            "ss": vector["ss"],
            "decapsulated": vector["ss"],
        }
    assert page.errors == []


def test_every_stanza_vector_in_chromium(page, site_server) -> None:
    base, _ = site_server
    page.goto(base + "/")
    vectors = load_stanza_vectors()
    results = page.evaluate(RUN_STANZAS, [dataclasses.asdict(v) for v in vectors])
    for vector, result in zip(vectors, results, strict=True):
        assert result["expect"] == vector.expect, (vector.name, vector.comment)
        if vector.content_key is not None:
            assert result["content_key"] == vector.content_key, vector.name
    assert page.errors == []


def test_stanzas_cross_between_python_and_chromium(page, site_server) -> None:
    # Given a hybrid desk key in Python, another in the browser, and one content key
    python_desk, browser_desk = xwing.DecapsulationKey.generate(), xwing.DecapsulationKey.generate()
    content_key = bytes(range(32))
    stanza = xwing_stanza.seal_content_key(content_key, browser_desk.public_key)
    b64 = fmt.b64encode
    base, _ = site_server
    page.goto(base + "/")
    # When the browser opens Python's stanza and seals the same key to Python's desk
    result = page.evaluate(
        ACROSS,
        {
            "pythonPublicKey": b64(python_desk.public_key),
            "pythonStanza": {"type": stanza.type, "kid": stanza.kid, "sealed": b64(stanza.body)},
            "browserSeed": b64(browser_desk.seed),
            "contentKey": b64(content_key),
        },
    )
    # Then both derive the same public key and open each other's stanza to the same key
    assert base64.b64decode(result["browserPublicKey"]) == browser_desk.public_key
    assert base64.b64decode(result["opened"]) == content_key
    sealed = result["sealedHere"]
    assert sealed["kid"] == xwing_stanza.key_id(python_desk.public_key)
    back = fmt.Recipient(sealed["type"], sealed["kid"], fmt.b64decode(sealed["sealed"], "sealed"))
    assert xwing_stanza.open_content_key(back, python_desk) == content_key
    assert page.errors == []
