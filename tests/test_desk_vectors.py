"""The test vectors of docs/spec/desks-v2.md (section 8): membership and case grants
(docs/vectors/desks/), the recovery key's derivation and SLIP-39 shares (docs/vectors/recovery/,
the derivation checked against libsodium.js too), the routing function (docs/vectors/routing/),
and the official SLIP-39 vectors (docs/vectors/slip39/) run through shamir-mnemonic, to show
the library behaves as the standard says."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import shamir_mnemonic
from nacl.public import PrivateKey

from functions import keyring, routing
from functions.keyring import Keyring
from functions.storage import layout
from tests.support.site import ROOT
from wbs.crypto import Identity
from wbs.desks import grants, recovery
from wbs.desks.grants import GrantError
from wbs.desks.keys import unlock

VECTORS = ROOT / "docs" / "vectors"
GRANT_EXPECTS = {
    "success",
    "malformed",
    "not for this member",
    "unknown desk generation",
    "unknown signer",
    "bad signature",
    "does not open",
    "another key",
}
CASE_EXPECTS = {
    "success",
    "malformed",
    "malformed payload",
    "unknown desk generation",
    "unknown signer",
    "bad signature",
    "does not open",
}
SHARE_EXPECTS = {"success", "invalid share", "wrong number of shares", "mixed sets"}


@dataclass(frozen=True)
class Vector:
    name: str
    head: dict[str, str]
    body: str

    @property
    def expect(self) -> str:
        return self.head["expect"]

    def raw(self, field: str) -> bytes:
        return base64.b64decode(self.head[field], validate=True)


def load(folder: str, prefix: str = "", exclude: str = "") -> list[Vector]:
    out = []
    for path in sorted((VECTORS / folder).glob(f"{prefix}*.txt")):
        if exclude and path.name.startswith(exclude):
            continue
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines())
        out.append(Vector(path.stem, fields, body.rstrip("\n")))
    return out


GRANTS = load("desks", exclude="case-")
CASES = load("desks", prefix="case-")
DERIVATIONS = load("recovery", prefix="derive")
SHARES = load("recovery", exclude="derive")
ROUTES = load("routing", exclude="allowed-")


def token(problem: str) -> str:
    """wbs.desks.grants' words as the short reasons the vectors use."""
    for words, short in [
        ("is not one for key", "not for this member"),
        ("has no generation", "unknown desk generation"),
        ("which is no signing key of the keyring", "unknown signer"),
        ("its signature does not match it", "bad signature"),
        ("does not open", "does not open"),
        ("holds another key", "another key"),
        ("content is malformed", "malformed payload"),
    ]:
        if words in problem:
            return short
    raise AssertionError(f"a reason no vector names: {problem}")


def ring_of(vector: Vector) -> Keyring:
    return keyring.parse(vector.head["keyring"], source=vector.name)


def grant_outcome(vector: Vector) -> tuple[str, bytes | None]:
    reader = Identity(PrivateKey(vector.raw("identity")))
    try:
        grant = grants.parse(vector.head["name"], vector.body.encode())
    except GrantError:
        return "malformed", None
    try:
        secret = grants.open_desk_grant(grant, reader, ring_of(vector))
    except GrantError as exc:
        return token(str(exc)), None
    return "success", bytes(secret)


def case_outcome(vector: Vector) -> tuple[str, bytes | None]:
    desk = PrivateKey(vector.raw("desk-secret-key"))
    try:
        grant = grants.parse(vector.head["name"], vector.body.encode())
    except GrantError:
        return "malformed", None
    try:
        payload = grants.open_case_grant(grant, desk, ring_of(vector))
        grants.read_case_keys(payload)
    except GrantError as exc:
        return token(str(exc)), None
    return "success", payload


def test_grant_vectors_cover_every_check() -> None:
    assert {v.expect for v in GRANTS} == GRANT_EXPECTS
    assert {v.expect for v in CASES} == CASE_EXPECTS
    names = {v.name for v in GRANTS}
    assert {
        "success",
        "tampered-signature",
        "unknown-signer",
        "sealed-to-another-member",
        "desk-kid-mismatch",
        "another-key",
        "stored-under-another-member",
    } <= names
    assert {"case-success", "case-payload-malformed"} <= {v.name for v in CASES}


@pytest.mark.parametrize("vector", GRANTS, ids=lambda v: v.name)
def test_desk_grant_vector(vector: Vector) -> None:
    expect, secret = grant_outcome(vector)
    assert expect == vector.expect, vector.head["comment"]
    if expect == "success":
        assert secret == vector.raw("desk-secret-key")


@pytest.mark.parametrize("vector", CASES, ids=lambda v: v.name)
def test_case_grant_vector(vector: Vector) -> None:
    expect, payload = case_outcome(vector)
    assert expect == vector.expect, vector.head["comment"]
    if expect == "success":
        assert payload == vector.raw("payload")
        reason, keys = grants.read_case_keys(payload)
        assert reason and len(keys) == 2
        assert all(len(n) == 24 and len(k) == 32 for n, k in keys.items())


def test_a_member_unlocks_exactly_the_grants_that_pass() -> None:
    # Given every membership grant of the vectors in one storage listing, under their names
    reader = GRANTS[0].raw("identity")
    alice = Identity(PrivateKey(reader))
    ring = ring_of(GRANTS[0])
    stored = [(v.head["name"], v.body.encode()) for v in GRANTS if v.raw("identity") == reader]
    # When Alice unlocks what she holds
    held = unlock(alice, ring, stored)
    # Then she holds both generations of desk inspektorat, from the grants that pass, and
    # every other grant addressed to her is listed as a problem, never used
    wanted = {v.raw("desk-secret-key") for v in GRANTS if v.expect == "success"} - {
        v.raw("desk-secret-key") for v in GRANTS if v.name == "success-recovery-member"
    }
    assert {bytes(k) for k in held.desks.values()} == wanted
    assert set(held.desks) == {d.kid for d in ring.generations("inspektorat")}
    failures = [v for v in GRANTS if v.expect not in ("success", "not for this member")]
    failures = [v for v in failures if v.raw("identity") == reader]
    assert len(held.problems) == len(failures)


def test_grant_names_are_the_layouts() -> None:
    for vector in GRANTS + CASES:
        name = vector.head["name"]
        assert name.startswith((layout.DESKS, layout.SHARES))
        if vector.expect != "malformed":
            doc = json.loads(vector.body)
            if doc["format"] == grants.DESK_GRANT:
                assert name == layout.desk_grant(doc["desk"], doc["generation"], doc["member"])
            else:
                assert layout.share_desk(name) == doc["desk"]


@pytest.mark.parametrize("vector", DERIVATIONS, ids=lambda v: v.name)
def test_recovery_derivation(vector: Vector) -> None:
    master = bytes.fromhex(vector.head["master"])
    assert recovery.kdf(master, recovery.X25519_SUBKEY) == vector.raw("x25519-secret-key")
    assert recovery.kdf(master, recovery.ED25519_SUBKEY) == vector.raw("ed25519-seed")
    rescue = recovery.identity(master)
    assert rescue.public_key == vector.raw("public-key")
    assert rescue.kid == vector.head["kid"] == vector.head["fingerprint"][:16]
    assert rescue.verify_key == vector.raw("signing-key")
    # The hybrid key (xwing-v1 section 8.4): subkey 3 is the X-Wing seed, never published
    assert recovery.kdf(master, recovery.XWING_SUBKEY) == vector.raw("xwing-seed")
    assert rescue.xwing is not None and rescue.xwing.seed == vector.raw("xwing-seed")
    hybrid = keyring.fingerprint(rescue.xwing.public_key)
    assert hybrid == vector.head["xwing-fingerprint"] and hybrid[:16] == vector.head["xwing-kid"]
    entry = keyring.RecoveryEntry.for_public_key(
        rescue.public_key, rescue.verify_key or b"", recovery.LABEL, "2026-12-06", 3, 5
    )
    assert entry.fingerprint == vector.head["fingerprint"]


LIBSODIUM_JS = """
const sodium = require('libsodium-wrappers-sumo');
sodium.ready.then(() => {
  const b = (v) => sodium.to_base64(v, sodium.base64_variants.ORIGINAL);
  const out = JSON.parse(process.argv[1]).map((hex) => {
    const master = sodium.from_hex(hex);
    const x = sodium.crypto_kdf_derive_from_key(32, 1, 'wbsrecov', master);
    const seed = sodium.crypto_kdf_derive_from_key(32, 2, 'wbsrecov', master);
    const xwing = sodium.crypto_kdf_derive_from_key(32, 3, 'wbsrecov', master);
    const pk = sodium.crypto_scalarmult_base(x);
    return {'x25519-secret-key': b(x), 'ed25519-seed': b(seed), 'public-key': b(pk),
            'xwing-seed': b(xwing),
            'fingerprint': sodium.to_hex(sodium.crypto_generichash(32, pk)),
            'signing-key': b(sodium.crypto_sign_seed_keypair(seed).publicKey)};
  });
  console.log(JSON.stringify(out));
});
"""


def test_recovery_derivation_is_libsodium_js() -> None:
    # Given the masters of the derivation vectors
    masters = [v.head["master"] for v in DERIVATIONS]
    # When libsodium.js, the page's library (site/node_modules), derives the same keys
    result = subprocess.run(
        ["node", "-e", LIBSODIUM_JS, json.dumps(masters)],
        cwd=ROOT / "site",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # Then crypto_kdf_derive_from_key and the key pairs give what the vectors say
    for vector, found in zip(DERIVATIONS, json.loads(result.stdout), strict=True):
        assert found == {k: vector.head[k] for k in found}, vector.name


def share_outcome(vector: Vector) -> tuple[str, bytes | None]:
    try:
        return "success", recovery.combine(vector.body.splitlines())
    except recovery.ShareError as exc:
        words = str(exc)
    if "this share is not valid" in words:
        return "invalid share", None
    if "Wrong number of mnemonics" in words:
        return "wrong number of shares", None
    if "identifier parameters don't match" in words:
        return "mixed sets", None
    raise AssertionError(f"a reason no vector names: {words}")


def test_share_vectors_cover_every_outcome() -> None:
    assert {v.expect for v in SHARES} == SHARE_EXPECTS
    assert {"one-word-changed", "two-of-three"} <= {v.name for v in SHARES}


@pytest.mark.parametrize("vector", SHARES, ids=lambda v: v.name)
def test_share_vector(vector: Vector) -> None:
    expect, master = share_outcome(vector)
    assert expect == vector.expect, vector.head["comment"]
    if master is not None:
        assert master.hex() == vector.head["master"]
        derived = {v.head["master"]: v.head["kid"] for v in DERIVATIONS}
        assert recovery.identity(master).kid == derived[master.hex()]


def test_share_sets_are_one_group_of_three_of_five() -> None:
    shares = [
        recovery.read_share(line)
        for v in SHARES
        if v.name == "all-five"
        for line in v.body.split("\n")
    ]
    assert len(shares) == 5 and len({s.identifier for s in shares}) == 1
    assert {(s.group_count, s.group_threshold, s.member_threshold) for s in shares} == {(1, 1, 3)}
    assert sorted(s.index for s in shares) == [0, 1, 2, 3, 4]


OFFICIAL = json.loads((VECTORS / "slip39" / "vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", OFFICIAL, ids=lambda v: v[0].split(".")[0])
def test_official_slip39_vector(vector: list[object]) -> None:
    # The vectors of trezor/python-shamir-mnemonic (the SLIP-39 reference), passphrase "TREZOR"
    _description, mnemonics, secret, _xprv = vector
    assert isinstance(mnemonics, list) and isinstance(secret, str)
    if secret:
        assert shamir_mnemonic.combine_mnemonics(mnemonics, b"TREZOR") == bytes.fromhex(secret)
        for mnemonic in mnemonics:
            recovery.read_share(mnemonic)  # what wbs accepts as a typed share
    else:
        with pytest.raises(shamir_mnemonic.MnemonicError):
            shamir_mnemonic.combine_mnemonics(mnemonics)
        with pytest.raises(recovery.ShareError):
            recovery.combine(mnemonics)


def test_official_vectors_are_the_whole_published_set() -> None:
    assert len(OFFICIAL) == 45
    assert sum(1 for v in OFFICIAL if v[2]) == 15  # and 30 that every reader must refuse


@pytest.mark.parametrize("vector", ROUTES, ids=lambda v: v.name)
def test_routing_vector(vector: Vector) -> None:
    rules = routing.parse(json.loads(vector.body))
    desks = rules.route(
        json.loads(vector.head["office"]),
        json.loads(vector.head["concerns-staff"]),
        json.loads(vector.head["category"]),
    )
    assert sorted(desks) == json.loads(vector.expect), vector.head["comment"]


def test_routing_allowed_sets() -> None:
    (vector,) = load("routing", prefix="allowed-")
    rules = routing.parse(json.loads(vector.body))
    assert sorted(sorted(s) for s in rules.desk_sets()) == json.loads(vector.expect)


def test_vectors_are_what_the_generator_writes(tmp_path: Path) -> None:
    # The generator draws everything from fixed seeds: the committed files are its output.
    subprocess.run(
        [sys.executable, str(VECTORS / "generate_desks.py"), "--out", str(tmp_path)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    for folder in ("desks", "recovery", "routing"):
        written = {p.name: p.read_bytes() for p in (tmp_path / folder).glob("*.txt")}
        committed = {p.name: p.read_bytes() for p in (VECTORS / folder).glob("*.txt")}
        assert written == committed, folder
