"""The formats under desks (docs/spec/desks-v2.md): keyring v3, grants, the keys a member
holds, recovery shares and the routing function."""

from __future__ import annotations

import datetime
import json

import pytest
from nacl.public import PrivateKey

from functions import keyring, routing
from functions.keyring import DeskEntry, KeyEntry, Keyring, KeyringError, RecoveryEntry
from functions.storage import layout
from wbs import keyfile
from wbs.crypto import NoMatchingKey, Recipient, open_envelope, seal
from wbs.desks import grants, recovery
from wbs.desks.keys import unlock

NOW = datetime.datetime(2026, 12, 6, 9, 0, tzinfo=datetime.UTC)
CASE = "7K3M2X9QABCDEFGH"


def person(label: str):  # type: ignore[no-untyped-def]
    who = keyfile.generate()
    return who, KeyEntry.for_public_key(who.public_key, label, "2026-12-06", who.verify_key)


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    master = recovery.new_master()
    rescuer = recovery.identity(master)
    alice, alice_entry = person("Irban I")
    bob, bob_entry = person("Irban II")
    desk_keys = {name: PrivateKey.generate() for name in ("pusat", "jabar")}
    ring = Keyring((alice_entry, bob_entry)).with_recovery(
        RecoveryEntry.for_public_key(
            rescuer.public_key, rescuer.verify_key or b"", recovery.LABEL, "2026-12-06", 3, 5
        )
    )
    for name, secret in desk_keys.items():
        ring = ring.with_desk(
            DeskEntry.for_public_key(name, 1, bytes(secret.public_key), "2026-12-06")
        )
    return master, rescuer, alice, bob, desk_keys, ring


def grant(ring: Keyring, desk: str, secret: PrivateKey, member, granter):  # type: ignore[no-untyped-def]
    return grants.desk_grant(ring.desk(desk), secret, member.kid, member.public_key, granter, NOW)


def test_keyring_4_round_trips_and_reads_older_formats(world) -> None:  # type: ignore[no-untyped-def]
    *_, ring = world
    again = keyring.parse(json.dumps(ring.to_json()))
    assert again == ring and again.to_json()["format"] == "wbs-keyring/4"
    assert [d.desk for d in again.active_desks()] == ["pusat", "jabar"]
    keys = [{k: v for k, v in e.items() if k != "xwing_key"} for e in ring.to_json()["keys"]]
    older = {"format": "wbs-keyring/2", "keys": keys}
    assert keyring.parse(json.dumps(older)).desks == ()
    third = {**ring.to_json(), "format": "wbs-keyring/3", "keys": keys}
    del third["recovery"]["xwing_key"]
    assert keyring.parse(json.dumps(third)) == ring


def test_rotation_leaves_one_active_generation_and_refuses_gaps(world) -> None:  # type: ignore[no-untyped-def]
    *_, ring = world
    new = PrivateKey.generate()
    rotated = ring.with_desk(
        DeskEntry.for_public_key("pusat", 2, bytes(new.public_key), "2026-12-07")
    )
    assert [(d.generation, d.active) for d in rotated.generations("pusat")] == [
        (1, False),
        (2, True),
    ]
    assert keyring.parse(json.dumps(rotated.to_json())) == rotated
    with pytest.raises(KeyringError, match="out of order"):
        ring.with_desk(DeskEntry.for_public_key("pusat", 3, bytes(new.public_key), "2026-12-07"))
    document = rotated.to_json()
    document["desks"][0]["active"] = True  # two active generations
    with pytest.raises(KeyringError, match="only the last generation"):
        keyring.parse(json.dumps(document))
    document = rotated.to_json()
    document["recovery"] = None
    with pytest.raises(KeyringError, match="recovery"):
        keyring.parse(json.dumps(document))


def test_a_grant_opens_for_its_member_only_and_a_forged_one_is_never_used(world) -> None:  # type: ignore[no-untyped-def]
    _, rescuer, alice, bob, desk_keys, ring = world
    key, data = grant(ring, "pusat", desk_keys["pusat"], alice, rescuer)
    assert key == layout.desk_grant("pusat", 1, alice.kid)
    parsed = grants.parse(key, data)
    assert grants.check(parsed, ring) == ""
    assert bytes(grants.open_desk_grant(parsed, alice, ring)) == bytes(desk_keys["pusat"])
    with pytest.raises(grants.GrantError, match="not one for key"):
        grants.open_desk_grant(parsed, bob, ring)
    # Moved to another member's name, or signed by a key the keyring does not know: refused.
    with pytest.raises(grants.GrantError, match="another desk, generation or member"):
        grants.parse(layout.desk_grant("pusat", 1, bob.kid), data)
    stranger = keyfile.generate()
    _, forged = grant(ring, "pusat", desk_keys["pusat"], alice, stranger)
    assert "no signing key" in grants.check(grants.parse(key, forged), ring)
    doc = json.loads(data)
    doc["granted"] = "2020-01-01T00:00:00Z"
    assert "does not match" in grants.check(grants.parse(key, json.dumps(doc).encode()), ring)
    # A grant that seals another key than the keyring's desk key is signed, but never used.
    other = PrivateKey.generate()
    with pytest.raises(grants.GrantError, match="not its key"):
        grant(ring, "pusat", other, alice, rescuer)


def test_held_keys_open_desk_envelopes_and_shared_cases(world) -> None:  # type: ignore[no-untyped-def]
    _, rescuer, alice, bob, desk_keys, ring = world
    stored = [
        grant(ring, "pusat", desk_keys["pusat"], alice, rescuer),
        grant(ring, "jabar", desk_keys["jabar"], bob, rescuer),
    ]
    to_pusat = seal("report", CASE, b"laporan", [Recipient(ring.desk("pusat").public_key_bytes)])
    held_alice, held_bob = unlock(alice, ring, stored), unlock(bob, ring, stored)
    assert held_alice.problems == [] and set(held_alice.desks) == {ring.desk("pusat").kid}
    assert open_envelope(to_pusat, held_alice.keys) == b"laporan"
    with pytest.raises(NoMatchingKey):
        open_envelope(to_pusat, held_bob.keys)
    # Alice shares the case with desk jabar: Bob now reads it, and nothing else.
    content = {to_pusat.nonce: held_alice.keys.content_key(to_pusat)}
    stored.append(
        grants.case_grant(
            CASE, ring.desk("jabar"), grants.case_keys("hand-over", content), alice, NOW
        )
    )
    held_bob = unlock(bob, ring, stored)
    assert [g.case for g in held_bob.shares] == [CASE]
    assert open_envelope(to_pusat, held_bob.keys) == b"laporan"


def test_recovery_shares_give_back_the_key_and_catch_a_typo() -> None:
    master = recovery.new_master()
    shares = recovery.split(master)
    assert len(shares) == 5 and all(len(s.split()) == 33 for s in shares)
    assert recovery.combine(shares[1:4]) == master
    assert (
        recovery.identity(recovery.combine([shares[4], shares[0], shares[2]])).kid
        == recovery.identity(master).kid
    )
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(recovery.ShareError, match="not valid"):
        recovery.read_share(" ".join(words))
    with pytest.raises(recovery.ShareError, match="do not give"):
        recovery.combine(shares[:2])


def test_kdf_is_libsodium_crypto_kdf() -> None:
    # crypto_kdf_derive_from_key(32, 1, "wbsrecov", key 0x00..0x1f), computed with libsodium.js
    # 0.8.4 (the page's library): node -e "sodium.crypto_kdf_derive_from_key(32, 1, 'wbsrecov', k)".
    assert recovery.kdf(bytes(range(32)), 1).hex() == KDF_VECTOR


KDF_VECTOR = "8e58be5da03aa0072288c2d1512e626585ac3692a589ba6044521d22836d828f"


def test_routing_routes_as_the_spec_says() -> None:
    rules = routing.parse(
        {
            "format": "wbs-routing/1",
            "central": "pusat",
            "central_receives": "all",
            "escalation": "pimpinan",
            "offices": [{"id": "kab-bandung", "desk": "jabar"}, {"id": "kpu-ri", "desk": "pusat"}],
            "categories": {"pengadaan-barang-jasa": ["pbj"]},
        }
    )
    assert rules.route("", False, "korupsi") == {"pusat"}
    assert rules.route("kpu-ri", False, "korupsi") == {"pusat"}
    assert rules.route("kab-bandung", False, "korupsi") == {"jabar", "pusat"}
    assert rules.route("kab-bandung", True, "korupsi") == {"pimpinan"}
    assert rules.route("kab-bandung", False, "pengadaan-barang-jasa") == {"jabar", "pusat", "pbj"}
    assert len(rules.desk_sets()) == 5
    assert routing.parse(rules.to_json()) == rules


def test_only_rooted_grants_make_members_and_only_members_shares_count(world) -> None:  # type: ignore[no-untyped-def]
    from functions import membership

    _, rescuer, alice, bob, desk_keys, ring = world
    stored = [
        grant(ring, "pusat", desk_keys["pusat"], rescuer, rescuer),
        grant(ring, "pusat", desk_keys["pusat"], alice, rescuer),  # rooted: by the recovery key
        grant(ring, "jabar", desk_keys["jabar"], bob, rescuer),
    ]
    # Bob signs himself a junk grant of desk pusat: a name and a good signature, no key.
    junk = grants.Grant(
        grants.DESK_GRANT,
        "pusat",
        1,
        ring.desk("pusat").kid,
        "2026-12-06T09:00:00Z",
        b"\x00" * 80,
        grants.Signature(bob.kid, b""),
        member=bob.kid,
    )
    junk_sig = bob.signing_key.sign(grants.signed_bytes(junk.body())).signature
    stored.append(
        (
            layout.desk_grant("pusat", 1, bob.kid),
            grants.Grant(
                **{**junk.__dict__, "signature": grants.Signature(bob.kid, junk_sig)}
            ).to_bytes(),
        )
    )
    found = [grants.parse(k, d) for k, d in stored]
    rooted = membership.members(ring, found, grants.verify)
    assert rooted[("pusat", 1)] == {rescuer.kid, alice.kid}  # not Bob
    assert rooted[("jabar", 1)] == {bob.kid}
    # A share of a pusat case counts when a pusat member signs it, not when Bob does.
    by_alice = grants.parse(*grants.case_grant(CASE, ring.desk("jabar"), b"{}", alice, NOW))
    by_bob = grants.parse(*grants.case_grant(CASE, ring.desk("jabar"), b"{}", bob, NOW))
    assert membership.case_desks({"pusat"}, [by_bob], ring, rooted, grants.verify) == {"pusat"}
    assert membership.case_desks({"pusat"}, [by_alice], ring, rooted, grants.verify) == {
        "pusat",
        "jabar",
    }


def test_a_case_grant_opens_only_its_own_case(world) -> None:  # type: ignore[no-untyped-def]
    _, rescuer, alice, bob, desk_keys, ring = world
    other = "0000000000000000"
    to_pusat = seal(
        "report", other, b"kasus lain", [Recipient(ring.desk("pusat").public_key_bytes)]
    )
    held_alice = unlock(alice, ring, [grant(ring, "pusat", desk_keys["pusat"], alice, rescuer)])
    content = {to_pusat.nonce: held_alice.keys.content_key(to_pusat)}
    # Alice's grant says case CASE but carries the key of case `other`: Bob cannot use it.
    stored = [
        grant(ring, "jabar", desk_keys["jabar"], bob, rescuer),
        grants.case_grant(CASE, ring.desk("jabar"), grants.case_keys("x", content), alice, NOW),
    ]
    with pytest.raises(NoMatchingKey):
        open_envelope(to_pusat, unlock(bob, ring, stored).keys)
