"""Write the test vectors of docs/spec/desks-v2.md into docs/vectors/desks/, recovery/ and
routing/.

Run `python docs/vectors/generate_desks.py [--out DIR] [desks] [recovery] [routing]` (or
`python docs/vectors/generate.py desks recovery routing`, which calls this); `--out` writes
the folders under DIR instead of beside this file (the tests compare the two). Every secret,
every ephemeral key of a sealed box and every SLIP-39 random byte is drawn from a fixed seed
(BLAKE2b of "wbs desk vectors " and a name), and Ed25519 is deterministic, so every run writes
the same bytes; a change in the files is a change in meaning.

The grant documents are built here from the spec's words, not with wbs.desks.grants: the
signed bytes are written out by hand (context, a zero byte, JSON with sorted keys, no
spaces, ASCII), so the vectors check the implementation's encoding instead of repeating it.
Each layout is in docs/spec/desks-v2.md section 8.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
from nacl.public import PrivateKey
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import shamir_mnemonic.shamir  # noqa: E402

from wbs.desks import recovery  # noqa: E402
from wbs.xwing import DecapsulationKey  # noqa: E402

OUT = Path(__file__).resolve().parent
DAY = "2026-12-06"
GRANTED = "2026-12-06T09:00:00Z"
CASE, OTHER_CASE = "7K3M9QXA2B4C6D8E", "1111111111111111"
STAMP = "20261206T090000000000Z"
Doc = dict[str, Any]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def seeded(name: str, size: int = 32) -> bytes:
    """Fixed bytes named ``name``: these vectors' only source of randomness."""
    return hashlib.blake2b(b"wbs desk vectors " + name.encode(), digest_size=size).digest()


def fingerprint(public_key: bytes) -> str:
    return hashlib.blake2b(public_key, digest_size=32).hexdigest()


def canonical(value: object) -> bytes:
    """desks-v2 section 1: sorted keys, no spaces, ASCII (non-ASCII as \\uXXXX escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def seal(message: bytes, public_key: bytes, name: str) -> bytes:
    """crypto_box_seal with a seeded ephemeral key: epk || crypto_box(message, nonce =
    BLAKE2b-192(epk || pk), pk, esk), exactly what libsodium computes with a random one."""
    ephemeral = PrivateKey(seeded(name + " ephemeral"))
    epk = bytes(ephemeral.public_key)
    nonce = hashlib.blake2b(epk + public_key, digest_size=24).digest()
    return epk + sodium.crypto_box(message, nonce, public_key, bytes(ephemeral))


class Person:
    """A keyring person made from a seed: an X25519 pair and an Ed25519 pair."""

    def __init__(self, name: str, label: str, active: bool = True) -> None:
        self.box = PrivateKey(seeded(name + " x25519"))
        self.signer = SigningKey(seeded(name + " ed25519"))
        self.public = bytes(self.box.public_key)
        self.kid = fingerprint(self.public)[:16]
        self.label, self.active = label, active

    def entry(self) -> Doc:
        return {
            "type": "X25519",
            "kid": self.kid,
            "public_key": b64(self.public),
            "fingerprint": fingerprint(self.public),
            "signing_key": b64(bytes(self.signer.verify_key)),
            "label": self.label,
            "created": DAY,
            "active": self.active,
        }


class Desk:
    """One generation of one desk: its X25519 pair, made from a seed."""

    def __init__(self, desk: str, generation: int, active: bool) -> None:
        self.desk, self.generation, self.active = desk, generation, active
        self.secret = PrivateKey(seeded(f"desk {desk} {generation}"))
        self.public = bytes(self.secret.public_key)
        self.kid = fingerprint(self.public)[:16]

    def entry(self) -> Doc:
        return {
            "desk": self.desk,
            "generation": self.generation,
            "type": "X25519",
            "kid": self.kid,
            "public_key": b64(self.public),
            "fingerprint": fingerprint(self.public),
            "created": DAY,
            "active": self.active,
            "founder": None,
        }


class Recovery:
    """The recovery key of a master secret: desks-v2 section 3, spelled out with hashlib."""

    def __init__(self, master: bytes) -> None:
        self.master = master
        self.x25519_secret = kdf(master, 1)
        self.ed25519_seed = kdf(master, 2)
        self.box = PrivateKey(self.x25519_secret)
        self.signer = SigningKey(self.ed25519_seed)
        self.public = bytes(self.box.public_key)
        self.kid = fingerprint(self.public)[:16]

    def entry(self) -> Doc:
        return {
            "type": "X25519",
            "kid": self.kid,
            "public_key": b64(self.public),
            "fingerprint": fingerprint(self.public),
            "signing_key": b64(bytes(self.signer.verify_key)),
            "label": "Kunci pemulihan (recovery key)",
            "created": DAY,
            "threshold": 3,
            "shares": 5,
        }


def kdf(master: bytes, subkey_id: int) -> bytes:
    """crypto_kdf_derive_from_key(32, subkey_id, "wbsrecov", master)."""
    salt = subkey_id.to_bytes(8, "little") + bytes(8)
    return hashlib.blake2b(
        b"", digest_size=32, key=master, salt=salt, person=b"wbsrecov" + bytes(8)
    ).digest()


MASTER = seeded("recovery master")
ALICE = Person("alice", "Irban Wilayah I")
BOB = Person("bob", "Irban Wilayah II")
CAROL = Person("carol", "Inspektur Utama")
DAVE = Person("dave", "Irban Wilayah III (pensiun)", active=False)
MALLORY = Person("mallory", "not in the keyring")
RESCUE = Recovery(MASTER)
INSPEKTORAT_1 = Desk("inspektorat", 1, active=False)
INSPEKTORAT_2 = Desk("inspektorat", 2, active=True)
PIMPINAN = Desk("pimpinan", 1, active=True)
STRAY = Desk("inspektorat", 99, active=False)  # a key the keyring does not hold


def keyring() -> Doc:
    return {
        "format": "wbs-keyring/3",
        "keys": [p.entry() for p in (ALICE, BOB, CAROL, DAVE)],
        "desks": [d.entry() for d in (INSPEKTORAT_1, INSPEKTORAT_2, PIMPINAN)],
        "recovery": RESCUE.entry(),
    }


def signed(context: bytes, body: Doc, signer: SigningKey, by: str) -> Doc:
    """``body`` with its ``signature``: Ed25519 over context || 0x00 || canonical JSON."""
    sig = signer.sign(context + b"\x00" + canonical(body)).signature
    return {**body, "signature": {"by": by, "sig": b64(sig)}}


def desk_grant(
    desk: Desk,
    member: str,
    sealed: bytes,
    granter: Person | Recovery,
    name: str = "",
    **changes: Any,
) -> Doc:
    body: Doc = {
        "format": "wbs-desk-grant/2",
        "desk": desk.desk,
        "generation": desk.generation,
        "desk_kid": desk.kid,
        "member": member,
        "granted": GRANTED,
        "sealed": b64(sealed),
    }
    body.update(changes)
    return signed(b"wbs/v2/desk-grant", body, granter.signer, granter.kid)


def grant_name(desk: str, generation: int, member: str) -> str:
    return f"desks/{desk}/{generation}/{member}.json"


def flip_b64(value: str, at: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[at] ^= 0x01
    return b64(bytes(raw))


def write(folder: Path, name: str, head: list[tuple[str, str]], body: str | None) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in head)
    if body is not None:
        text += "\n" + body + "\n"
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    return folder


def desk_vectors() -> None:
    """docs/vectors/desks/: membership grants and case grants, with the reader's key."""
    out = fresh(OUT / "desks")
    ring = json.dumps(keyring(), sort_keys=True, separators=(",", ":"))

    def grant_case(
        name: str,
        expect: str,
        comment: str,
        reader: Person | Recovery,
        document: Doc | str,
        stored_as: str,
        opens_to: Desk | None = None,
    ) -> None:
        head = [
            ("expect", expect),
            ("comment", comment),
            ("name", stored_as),
            ("identity", b64(bytes(reader.box))),
            ("keyring", ring),
        ]
        if opens_to is not None:
            head.append(("desk-secret-key", b64(bytes(opens_to.secret))))
        text = document if isinstance(document, str) else json.dumps(document, indent=2)
        write(out, name, head, text)

    def sealed_desk(desk: Desk, to: Person | Recovery, tag: str) -> bytes:
        return seal(bytes(desk.secret), to.public, f"grant {tag}")

    d2, a = INSPEKTORAT_2, ALICE
    good = desk_grant(d2, a.kid, sealed_desk(d2, a, "good"), BOB)
    here = grant_name("inspektorat", 2, a.kid)
    grant_case(
        "success",
        "success",
        "generation 2 of desk inspektorat, sealed to Alice, granted by Bob (a person)",
        a,
        good,
        here,
        d2,
    )
    older = desk_grant(INSPEKTORAT_1, a.kid, sealed_desk(INSPEKTORAT_1, a, "older"), RESCUE)
    grant_case(
        "success-older-generation",
        "success",
        "an inactive generation, granted by the recovery key: a newcomer reads past cases",
        a,
        older,
        grant_name("inspektorat", 1, a.kid),
        INSPEKTORAT_1,
    )
    to_recovery = desk_grant(PIMPINAN, RESCUE.kid, sealed_desk(PIMPINAN, RESCUE, "rec"), CAROL)
    grant_case(
        "success-recovery-member",
        "success",
        "desk pimpinan sealed to the recovery key (the reader holds the recovered identity)",
        RESCUE,
        to_recovery,
        grant_name("pimpinan", 1, RESCUE.kid),
        PIMPINAN,
    )
    by_retired = desk_grant(d2, a.kid, sealed_desk(d2, a, "retired"), DAVE)
    grant_case(
        "success-retired-granter",
        "success",
        "granted by a retired person: the key it holds is the keyring's, so the member uses it",
        a,
        by_retired,
        here,
        d2,
    )
    tampered = json.loads(json.dumps(good))
    tampered["signature"]["sig"] = flip_b64(tampered["signature"]["sig"], 10)
    grant_case(
        "tampered-signature", "bad signature", "one bit of the signature flipped", a, tampered, here
    )
    edited = {**good, "granted": "2020-01-01T00:00:00Z"}
    grant_case(
        "tampered-document",
        "bad signature",
        "the granted time changed after signing",
        a,
        edited,
        here,
    )
    forged = desk_grant(d2, a.kid, sealed_desk(d2, a, "forged"), MALLORY)
    grant_case(
        "unknown-signer",
        "unknown signer",
        "signed by a key the keyring does not list (the desk key inside is right)",
        a,
        forged,
        here,
    )
    relabelled = json.loads(json.dumps(forged))
    relabelled["signature"]["by"] = BOB.kid
    grant_case(
        "relabelled-signer",
        "bad signature",
        "a stranger's signature whose by names Bob",
        a,
        relabelled,
        here,
    )
    to_bob = desk_grant(d2, a.kid, sealed_desk(d2, BOB, "to bob"), BOB)
    grant_case(
        "sealed-to-another-member",
        "does not open",
        "names Alice as member, signed by Bob, but its sealed key is sealed to Bob's key",
        a,
        to_bob,
        here,
    )
    bobs = desk_grant(d2, BOB.kid, sealed_desk(d2, BOB, "bobs"), ALICE)
    grant_case(
        "not-for-this-member",
        "not for this member",
        "Bob's grant, read by Alice: never tried with her key",
        a,
        bobs,
        grant_name("inspektorat", 2, BOB.kid),
    )
    wrong_kid = desk_grant(d2, a.kid, sealed_desk(d2, a, "wrong kid"), BOB, desk_kid=PIMPINAN.kid)
    grant_case(
        "desk-kid-mismatch",
        "unknown desk generation",
        "desk_kid is desk pimpinan's, not that of inspektorat generation 2",
        a,
        wrong_kid,
        here,
    )
    gen3 = desk_grant(d2, a.kid, sealed_desk(d2, a, "gen3"), BOB, generation=3)
    grant_case(
        "unknown-generation",
        "unknown desk generation",
        "generation 3, which the keyring does not have yet",
        a,
        gen3,
        grant_name("inspektorat", 3, a.kid),
    )
    stray = desk_grant(d2, a.kid, seal(bytes(STRAY.secret), a.public, "grant stray"), BOB)
    grant_case(
        "another-key",
        "another key",
        "signed by Bob and sealed to Alice, but the secret key inside is not the keyring's",
        a,
        stray,
        here,
    )
    grant_case(
        "stored-under-another-member",
        "malformed",
        "Alice's grant stored under Bob's name",
        a,
        good,
        grant_name("inspektorat", 2, BOB.kid),
    )
    grant_case(
        "stored-under-another-generation",
        "malformed",
        "a grant of generation 2 stored under generation 1",
        a,
        good,
        grant_name("inspektorat", 1, a.kid),
    )
    grant_case(
        "extra-member",
        "malformed",
        "a member the format does not define",
        a,
        {**good, "note": "x"},
        here,
    )
    grant_case(
        "truncated",
        "malformed",
        "the document cut in half",
        a,
        json.dumps(good, indent=2)[:300],
        here,
    )

    # Case grants: the reader is a member of desk pimpinan and holds its secret key.
    def case_case(
        name: str,
        expect: str,
        comment: str,
        document: Doc,
        stored_as: str,
        payload: bytes | None = None,
    ) -> None:
        head = [
            ("expect", expect),
            ("comment", comment),
            ("name", stored_as),
            ("desk-secret-key", b64(bytes(PIMPINAN.secret))),
            ("keyring", ring),
        ]
        if payload is not None:
            head.append(("payload", b64(payload)))
        write(out, name, head, json.dumps(document, indent=2))

    keys = {
        b64(seeded("report nonce", 24)): b64(seeded("report content key")),
        b64(seeded("followup nonce", 24)): b64(seeded("followup content key")),
    }
    payload = canonical(
        {
            "schema": "wbs-case-keys/2",
            "reason": "Eskalasi: menyangkut pegawai Inspektorat",
            "keys": [{"nonce": n, "key": k} for n, k in sorted(keys.items())],
        }
    )

    def case_grant(body_payload: bytes, signer: Person, tag: str, **changes: Any) -> Doc:
        body: Doc = {
            "format": "wbs-case-grant/2",
            "id": CASE,
            "desk": PIMPINAN.desk,
            "generation": PIMPINAN.generation,
            "desk_kid": PIMPINAN.kid,
            "granted": GRANTED,
            "sealed": b64(seal(body_payload, PIMPINAN.public, f"case {tag}")),
        }
        body.update(changes)
        return signed(b"wbs/v2/case-grant", body, signer.signer, signer.kid)

    share = f"shares/{CASE}/{STAMP}-pimpinan.json"
    shared = case_grant(payload, ALICE, "good")
    case_case(
        "case-success",
        "success",
        "two content keys of one case shared with desk pimpinan by Alice",
        shared,
        share,
        payload,
    )
    short = canonical(
        {
            "schema": "wbs-case-keys/2",
            "reason": "",
            "keys": [{"nonce": b64(seeded("short nonce", 23)), "key": b64(seeded("k"))}],
        }
    )
    case_case(
        "case-payload-malformed",
        "malformed payload",
        "signed and sealed to the desk, but a nonce inside is 23 bytes",
        case_grant(short, ALICE, "short"),
        share,
    )
    not_json = b"wbs-case-keys/2 " + seeded("junk", 64)
    case_case(
        "case-payload-not-json",
        "malformed payload",
        "signed and sealed to the desk, but what it seals is not JSON",
        case_grant(not_json, ALICE, "junk"),
        share,
    )
    case_case(
        "case-unknown-signer",
        "unknown signer",
        "signed by a key the keyring does not list",
        case_grant(payload, MALLORY, "mallory"),
        share,
    )
    moved = {**shared, "generation": 2}
    case_case(
        "case-unknown-generation",
        "unknown desk generation",
        "names generation 2 of desk pimpinan, which the keyring does not have",
        moved,
        share,
    )
    edited_case = {**shared, "granted": "2020-01-01T00:00:00Z"}
    case_case(
        "case-tampered",
        "bad signature",
        "the granted time changed after signing",
        edited_case,
        share,
    )
    case_case(
        "case-stored-under-another-case",
        "malformed",
        "a grant of one case stored in another case's folder",
        shared,
        f"shares/{OTHER_CASE}/{STAMP}-pimpinan.json",
    )
    case_case(
        "case-stored-under-another-desk",
        "malformed",
        "a grant to desk pimpinan stored under desk inspektorat's name",
        shared,
        f"shares/{CASE}/{STAMP}-inspektorat.json",
    )
    wrong_desk_key = case_grant(payload, ALICE, "other desk")
    wrong_desk_key["sealed"] = b64(seal(payload, INSPEKTORAT_2.public, "case other desk"))
    wrong_desk_key = signed(
        b"wbs/v2/case-grant",
        {k: v for k, v in wrong_desk_key.items() if k != "signature"},
        ALICE.signer,
        ALICE.kid,
    )
    case_case(
        "case-sealed-to-another-desk",
        "does not open",
        "names desk pimpinan, signed by Alice, but sealed to desk inspektorat's key",
        wrong_desk_key,
        share,
    )
    print(f"wrote {len(list(out.glob('*.txt')))} vectors to {out}")


class Seeded:
    """SLIP-39's random bytes (identifier, share values, digest padding) from a seed, so the
    fixed share sets are the same on every run."""

    def __init__(self, name: str) -> None:
        self.name, self.n = name, 0

    def __call__(self, size: int) -> bytes:
        self.n += 1
        return hashlib.blake2b(
            f"wbs desk vectors slip39 {self.name} {self.n}".encode(), digest_size=64
        ).digest()[:size]


def share_set(name: str, master: bytes) -> list[str]:
    saved = shamir_mnemonic.shamir.RANDOM_BYTES
    shamir_mnemonic.shamir.RANDOM_BYTES = Seeded(name)
    try:
        return recovery.split(master, 3, 5)
    finally:
        shamir_mnemonic.shamir.RANDOM_BYTES = saved


def node_derivation(master: bytes) -> dict[str, str]:
    """The same derivation by libsodium.js (site/node_modules), the page's library."""
    script = """
const sodium = require('libsodium-wrappers-sumo');
sodium.ready.then(() => {
  const master = sodium.from_hex(process.argv[1]);
  const x = sodium.crypto_kdf_derive_from_key(32, 1, 'wbsrecov', master);
  const seed = sodium.crypto_kdf_derive_from_key(32, 2, 'wbsrecov', master);
  const pk = sodium.crypto_scalarmult_base(x);
  const ed = sodium.crypto_sign_seed_keypair(seed);
  const b = (v) => sodium.to_base64(v, sodium.base64_variants.ORIGINAL);
  console.log(JSON.stringify({x25519: b(x), seed: b(seed), public: b(pk),
    fingerprint: sodium.to_hex(sodium.crypto_generichash(32, pk)), signing: b(ed.publicKey)}));
});
"""
    result = subprocess.run(  # noqa: S603 - a fixed script, run by the node on PATH
        ["node", "-e", script, master.hex()],  # noqa: S607 - node is found on PATH, as in the tests
        cwd=ROOT / "site",
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, str] = json.loads(result.stdout)
    return found


def xwing_head(master: bytes) -> list[tuple[str, str]]:
    """The recovery key's X-Wing seed (subkey 3) and its public key's fingerprint and kid,
    the key expanded by wbs.xwing (the X-Wing draft's vectors check it)."""
    seed = kdf(master, 3)
    hybrid = fingerprint(DecapsulationKey(seed).public_key)
    return [("xwing-seed", b64(seed)), ("xwing-fingerprint", hybrid), ("xwing-kid", hybrid[:16])]


def recovery_vectors() -> None:
    """docs/vectors/recovery/: the derivation, and SLIP-39 share sets of the master."""
    out = fresh(OUT / "recovery")
    count = 0
    for name, comment, master in [
        ("derive", "the recovery key of the vectors' master secret", MASTER),
        ("derive-counting", "master 0x00 0x01 ... 0x1f", bytes(range(32))),
    ]:
        rescue = Recovery(master)
        head = [
            ("expect", "success"),
            ("comment", comment),
            ("master", master.hex()),
            ("x25519-secret-key", b64(rescue.x25519_secret)),
            ("public-key", b64(rescue.public)),
            ("fingerprint", fingerprint(rescue.public)),
            ("kid", rescue.kid),
            ("ed25519-seed", b64(rescue.ed25519_seed)),
            ("signing-key", b64(bytes(rescue.signer.verify_key))),
            *xwing_head(master),
        ]
        js = node_derivation(master)
        expected = {
            "x25519": b64(rescue.x25519_secret),
            "seed": b64(rescue.ed25519_seed),
            "public": b64(rescue.public),
            "fingerprint": fingerprint(rescue.public),
            "signing": b64(bytes(rescue.signer.verify_key)),
        }
        if js != expected:
            raise SystemExit(f"libsodium.js derives otherwise: {js} != {expected}")
        write(out, name, head, None)
        count += 1

    first, second = share_set("set a", MASTER), share_set("set b", MASTER)
    words = first[1].split()
    words[7] = "academic" if words[7] != "academic" else "acid"
    typo = " ".join(words)
    cases: list[tuple[str, str, str, list[str]]] = [
        ("shares-first-three", "success", "shares 1, 2 and 3 of a 3-of-5 set", first[:3]),
        (
            "shares-any-three",
            "success",
            "shares 5, 1 and 3, in that order, typed in upper case with extra spaces",
            [first[4].upper(), "  " + first[0].replace(" ", "   "), first[2]],
        ),
        (
            "shares-other-set",
            "success",
            "shares 2, 4 and 5 of a second set split from the same master",
            [second[1], second[3], second[4]],
        ),
        (
            "one-word-changed",
            "invalid share",
            "share 2 with its 8th word changed",
            [first[0], typo, first[2]],
        ),
        ("two-of-three", "wrong number of shares", "2 shares of a 3-of-5 set", first[:2]),
        (
            "all-five",
            "wrong number of shares",
            "all 5 shares: SLIP-39 takes exactly the threshold, no more",
            first,
        ),
        (
            "same-share-twice",
            "wrong number of shares",
            "share 1 twice and share 2: a share counts once",
            [first[0], first[0], first[1]],
        ),
        (
            "two-sets",
            "mixed sets",
            "shares 1 and 2 of one set with share 3 of another set of the same master",
            [first[0], first[1], second[2]],
        ),
    ]
    for name, expect, comment, shares in cases:
        head = [("expect", expect), ("comment", comment), ("threshold", "3")]
        if expect == "success":
            head.append(("master", MASTER.hex()))
        write(out, name, head, "\n".join(shares))
        count += 1
    print(f"wrote {count} vectors to {out}")


ROUTING = {
    "format": "wbs-routing/1",
    "central": "inspektorat",
    "central_receives": "all",
    "escalation": "pimpinan",
    "offices": [
        {"id": "kpu-dki", "desk": "inspektorat"},
        {"id": "kab-bandung", "desk": "jabar"},
        {"id": "kota-bekasi", "desk": "jabar"},
    ],
    "categories": {"pengadaan-barang-jasa": ["pengadaan"]},
}


def routing_vectors() -> None:
    """docs/vectors/routing/: a routing document, the reporter's answers, the desks."""
    out = fresh(OUT / "routing")
    quiet = {**ROUTING, "central_receives": "none"}
    no_escalation = {**ROUTING, "escalation": None}
    cases: list[tuple[str, str, Doc, str, bool, str, list[str]]] = [
        (
            "no-office",
            "no office chosen: the central desk",
            ROUTING,
            "",
            False,
            "korupsi",
            ["inspektorat"],
        ),
        (
            "central-office",
            "an office served by the central desk",
            ROUTING,
            "kpu-dki",
            False,
            "korupsi",
            ["inspektorat"],
        ),
        (
            "office",
            "an office's desk and the central desk",
            ROUTING,
            "kab-bandung",
            False,
            "korupsi",
            ["inspektorat", "jabar"],
        ),
        (
            "office-central-none",
            "central_receives none: the office's desk alone",
            quiet,
            "kota-bekasi",
            False,
            "korupsi",
            ["jabar"],
        ),
        (
            "unknown-office",
            "an office the rules do not list: as no office",
            ROUTING,
            "kab-garut",
            False,
            "korupsi",
            ["inspektorat"],
        ),
        (
            "category",
            "a category with its own desk joins the office's desks",
            ROUTING,
            "kab-bandung",
            False,
            "pengadaan-barang-jasa",
            ["inspektorat", "jabar", "pengadaan"],
        ),
        (
            "concerns-staff",
            "about the inspectorate's own staff: the escalation desk alone",
            ROUTING,
            "kab-bandung",
            True,
            "pengadaan-barang-jasa",
            ["pimpinan"],
        ),
        (
            "concerns-staff-no-escalation",
            "no escalation desk: the staff answer changes nothing",
            no_escalation,
            "kab-bandung",
            True,
            "korupsi",
            ["inspektorat", "jabar"],
        ),
    ]
    for name, comment, doc, office, staff, category, desks in cases:
        head = [
            ("expect", json.dumps(desks)),
            ("comment", comment),
            ("office", json.dumps(office)),
            ("concerns-staff", json.dumps(staff)),
            ("category", json.dumps(category)),
        ]
        write(out, name, head, json.dumps(doc, indent=2))
    sets = [
        ["inspektorat"],
        ["inspektorat", "jabar"],
        ["inspektorat", "jabar", "pengadaan"],
        ["inspektorat", "pengadaan"],
        ["pimpinan"],
    ]
    head = [
        ("expect", json.dumps(sets)),
        ("comment", "every desk set the API accepts for this document, whatever the answers"),
    ]
    write(out, "allowed-sets", head, json.dumps(ROUTING, indent=2))
    print(f"wrote {len(cases) + 1} vectors to {out}")


def run(chosen: set[str], out: Path | None = None) -> None:
    global OUT
    OUT = out or OUT
    if "desks" in chosen:
        desk_vectors()
    if "recovery" in chosen:
        recovery_vectors()
    if "routing" in chosen:
        routing_vectors()


if __name__ == "__main__":
    args = sys.argv[1:]
    target = None
    if args[:1] == ["--out"] and len(args) > 1:
        target, args = Path(args[1]), args[2:]
    run(set(args) or {"desks", "recovery", "routing"}, target)
