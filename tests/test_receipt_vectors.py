"""The receipt-code vectors (docs/vectors/receipt/), derived in Python and in Chromium by the
page's own receipt.mjs: both must give the same key pairs (X25519, Ed25519), token, report id
and verifier."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from functions import mailbox_token
from wbs import receipt

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "vectors" / "receipt"


def load() -> list[dict[str, str]]:
    cases = []
    for path in sorted(FOLDER.glob("*.txt")):
        fields = dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines())
        fields["name"] = path.stem
        fields["code"] = json.loads(fields["code"])
        cases.append(fields)
    return cases


CASES = load()


def test_vectors_cover_forgiven_typos_and_invalid_codes() -> None:
    names = {c["name"] for c in CASES}
    assert {"canonical", "lower-case-spaces", "look-alikes", "too-short", "not-base32"} <= names
    forgiven = {c["report-id"] for c in CASES if c["expect"] == "success"} - {
        c["report-id"] for c in CASES if c["name"] == "one-symbol-off"
    }
    assert len(forgiven) >= 2  # the canonical code and the all-look-alike code


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_python_derivation(case: dict[str, str]) -> None:
    if case["expect"] == "invalid":
        with pytest.raises(receipt.ReceiptError):
            receipt.normalize(case["code"])
        return
    assert receipt.normalize(case["code"]) == case["normalized"]
    derived = receipt.derive(case["code"])
    assert base64.b64encode(derived.public_key).decode() == case["public-key"]
    assert base64.b64encode(derived.signing_public_key).decode() == case["signing-public-key"]
    assert derived.signing_key[32:] == derived.signing_public_key  # libsodium's 64-byte form
    assert base64.b64encode(derived.token).decode() == case["token"]
    assert derived.report_id == case["report-id"] == mailbox_token.report_id(derived.token)
    assert derived.verifier == case["verifier"]


def test_new_codes_are_grouped_and_distinct() -> None:
    codes = {receipt.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 24 and code.count("-") == 4
        assert receipt.normalize(code) == code.replace("-", "")


DERIVE_IN_BROWSER = """async (cases) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const r = await import('/assets/js/receipt.mjs');
  const b64 = (x) => sodium.to_base64(x, sodium.base64_variants.ORIGINAL);
  return cases.map((c) => {
    const normalized = r.normalize(c.code);
    const d = r.derive(sodium, c.code);
    return { name: c.name, normalized, publicKey: b64(d.publicKey),
             signingPublicKey: b64(d.signingPublicKey), token: b64(d.token),
             reportId: d.reportId, verifier: r.verifierOf(sodium, d.token),
             fresh: r.normalize(r.newCode(sodium)) !== null };
  });
}"""


@pytest.mark.browser
def test_browser_derivation(page, site_server) -> None:
    base, _ = site_server
    page.goto(base + "/")
    results = page.evaluate(DERIVE_IN_BROWSER, CASES)
    for case, got in zip(CASES, results, strict=True):
        assert got["fresh"]
        if case["expect"] == "invalid":
            assert got["normalized"] is None, case["name"]
            continue
        assert got["normalized"] == case["normalized"], case["name"]
        assert got["publicKey"] == case["public-key"], case["name"]
        assert got["signingPublicKey"] == case["signing-public-key"], case["name"]
        assert got["token"] == case["token"], case["name"]
        assert got["reportId"] == case["report-id"], case["name"]
        assert got["verifier"] == case["verifier"], case["name"]
