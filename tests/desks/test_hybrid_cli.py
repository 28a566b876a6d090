"""Hybrid (X-Wing) desks end to end in Python (docs/spec/xwing-v1.md section 8): `wbs desks
rotate --hybrid`, grants sealed to X-Wing keys only, reports sealed with `X-Wing` stanzas and
read by each member and by the restored recovery key; what blocks a rotation; what the API's
recipient check and the build say of a hybrid desk."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nacl.exceptions
import pytest
from nacl.public import PrivateKey

from functions import envelope as fmt
from functions.errors import EnvelopeError
from functions.keyring import Keyring, KeyringError, dump, fingerprint, parse
from functions.recipients import Recipients
from tests.desks.cli import (
    PASSPHRASE,
    Home,
    held,
    init,
    listed,
    person,
    readable,
    report_ids,
    ring,
    send_report,
    shares,
    state,
    stored_grants,
    typed_shares,
    wbs,
    write_config,
)
from tests.support import inbox
from wbs import keyfile, xwing
from wbs.cases.readers import Audience
from wbs.crypto import DecryptionError, Keys, Recipient, open_envelope, seal
from wbs.deploy.publish import read_site
from wbs.desks import grants, recovery
from wbs.desks.keys import unlock
from wbs.xwing_stanza import SEALED_BYTES

DESK = "inspektorat"
CASE = "7K3M000000000099"


def rotate_hybrid(home: Home, who: str = "anna", *more: str, typed: str | None = None):  # type: ignore[no-untyped-def]
    key = [] if "--recovery" in more else [f"--key={home.keys / f'{who}.key'}"]
    return wbs("desks", "rotate", f"--desk={DESK}", "--hybrid", *key, *more, typed=typed)


def hybrid_report(current: Keyring, report_id: str = CASE) -> fmt.Envelope:
    """A report sealed as the tools seal to a case's audience: the hybrid desk and the
    recovery key, each with an `X-Wing` stanza."""
    assert current.recovery is not None
    audience = Audience(report_id, (current.desk(DESK),), current.recovery)
    return seal("report", report_id, b'{"title": "laporan"}', audience.recipients())


def not_upgraded(home: Home, kid: str) -> None:
    """The keyring as if ``kid``'s holder had not run `wbs keys upgrade`: no X-Wing key."""
    current = ring(home)
    keys = tuple(
        dataclasses.replace(k, xwing_key=None) if k.kid == kid else k for k in current.keys
    )
    dump(dataclasses.replace(current, keys=keys), home.keyring)


@pytest.fixture
def anna_bima(home: Home) -> tuple[str, str]:
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    return anna, bima


def test_rotate_hybrid_grants_x_wing_keys_and_every_member_reads(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    anna, bima = anna_bima
    # Given a report sent to the classical generation 1
    earlier = report_ids(1)
    send_report(home, earlier[0])

    # When anna rotates the desk to a hybrid key
    result = rotate_hybrid(home)

    # Then generation 2 is an X-Wing key of 1216 bytes, active
    assert result.exit_code == 0, result.output
    current = ring(home)
    desk = current.desk(DESK)
    assert (desk.generation, desk.type, len(desk.public_key_bytes)) == (2, "X-Wing", 1216)
    assert "hybrid" in result.stdout and "next: redeploy" in result.stdout
    # And its grants, to anna, bima and the recovery key, are sealed with X-Wing to their
    # X-Wing keys (1168 bytes), never with crypto_box_seal to their X25519 keys
    assert current.recovery is not None
    second = [grants.parse(k, d) for k, d in stored_grants(home) if f"/{DESK}/2/" in f"/{k}"]
    assert {g.member for g in second} == {anna, bima, current.recovery.kid}
    assert all(len(g.sealed) == SEALED_BYTES and not grants.check(g, current) for g in second)
    anna_id = keyfile.unlock(home.keys / "anna.key", PASSPHRASE)
    mine = next(g for g in second if g.member == anna)
    with pytest.raises(nacl.exceptions.CryptoError):
        anna_id.unsealer().decrypt(mine.sealed)
    # And a report sealed to the hybrid desk carries X-Wing stanzas only
    report = hybrid_report(current)
    assert {r.type for r in report.recipients} == {"X-Wing"}
    assert {r.kid for r in report.recipients} == {desk.kid, current.recovery_kid(True)}
    # And anna and bima each read it, and the report sent before the rotation
    for name in ("anna", "bima"):
        who = held(home, name)
        assert isinstance(who.desks[desk.kid], xwing.DecapsulationKey)
        assert json.loads(open_envelope(report, who.keys)) == {"title": "laporan"}
        assert readable(home, who, earlier) == earlier
    # And so does the recovery key, restored from three shares
    rescuer = recovery.identity(recovery.combine(shares(home)[1:4]))
    restored = unlock(rescuer, current, stored_grants(home))
    assert not restored.problems
    assert json.loads(open_envelope(report, restored.keys)) == {"title": "laporan"}
    # Even with no grant at all: through its own X-Wing stanza
    alone = unlock(rescuer, current, [])
    assert desk.kid not in alone.keys.kids
    assert json.loads(open_envelope(report, alone.keys)) == {"title": "laporan"}
    # And a second rotation stays hybrid, without being asked
    plain = wbs("desks", "rotate", f"--desk={DESK}", f"--key={home.keys / 'bima.key'}")
    assert plain.exit_code == 0, plain.output
    assert ring(home).desk(DESK).generation == 3 and ring(home).desk(DESK).hybrid


def test_a_tampered_x_wing_stanza_does_not_open(home: Home, anna_bima: tuple[str, str]) -> None:
    assert rotate_hybrid(home).exit_code == 0
    report = hybrid_report(ring(home))
    anna = held(home, "anna")
    for at in (0, 1100, 1130, SEALED_BYTES - 1):  # ML-KEM, X25519 share, sealed key, tag
        stanza = report.recipients[0]
        body = bytearray(stanza.body)
        body[at] ^= 1
        forged = fmt.Recipient(stanza.type, stanza.kid, bytes(body))
        tampered = fmt.Envelope(
            report.version,
            report.kind,
            report.id,
            (forged, *report.recipients[1:]),
            report.nonce,
            report.ciphertext,
        )
        with pytest.raises(DecryptionError, match="authentication failed"):
            open_envelope(tampered, anna.keys)


def test_a_member_without_an_x_wing_key_blocks_the_rotation(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    anna, bima = anna_bima
    # Given bima's keyring entry has no X-Wing key (a key not yet upgraded)
    not_upgraded(home, bima)
    before = state(home)

    # When anna asks for a hybrid rotation
    result = rotate_hybrid(home)

    # Then it is refused, naming bima and the command that fixes it, and nothing changed
    assert result.exit_code == 1
    assert f"Inspektur bima ({bima})" in result.stderr and anna not in result.stderr
    assert "wbs keys upgrade" in result.stderr
    assert state(home) == before


def test_a_recovery_key_without_x_wing_key_gains_it_from_its_shares(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    # Given a keyring whose recovery entry has no X-Wing key (made before hybrid keys)
    current = ring(home)
    assert current.recovery is not None
    old = dataclasses.replace(current.recovery, xwing_key=None)
    dump(dataclasses.replace(current, recovery=old), home.keyring)
    before = state(home)

    # When a member asks for a hybrid rotation, it is refused, naming the recovery key
    refused = rotate_hybrid(home)
    assert refused.exit_code == 1 and old.kid in refused.stderr
    assert "--recovery" in refused.stderr and state(home) == before

    # And when the shares' holders rotate it with the recovery key
    result = rotate_hybrid(home, "", "--recovery", typed=typed_shares(home))

    # Then the recovery entry gains the X-Wing key its shares derive, and holds generation 2
    assert result.exit_code == 0, result.output
    after = ring(home)
    rescuer = recovery.identity(recovery.combine(shares(home)[:3]))
    assert after.recovery is not None and rescuer.xwing is not None
    assert after.recovery.xwing_key_bytes == rescuer.xwing.public_key
    restored = unlock(rescuer, after, stored_grants(home))
    assert after.desk(DESK).kid in restored.desks


def test_the_build_embeds_a_hybrid_desk_by_fingerprint_and_writes_its_key_file(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    # Given a keyring whose routed desk was rotated to a hybrid key
    assert rotate_hybrid(home).exit_code == 0
    current = ring(home)
    desk, recovery = current.desk(DESK), current.recovery
    assert recovery is not None and recovery.xwing_key_bytes is not None
    out = home.tmp / "site"

    # When the site is built
    result = wbs("build", f"--out={out}")
    assert result.exit_code == 0, result.output

    # Then the page embeds the desk's fingerprint, not its 1216-byte key, and the recovery
    # key's X-Wing fingerprint beside its X25519 key
    page = (out / "index.html").read_text(encoding="utf-8")
    keys = json.loads(page.split('id="wbs-keys">')[1].split("</script>")[0])
    assert keys["desks"][DESK] == {
        "name": keys["desks"][DESK]["name"],
        "type": "X-Wing",
        "fingerprint": desk.fingerprint,
    }
    assert desk.public_key not in page
    recovery_fp = fingerprint(recovery.xwing_key_bytes)
    assert keys["recovery"]["xwing_fingerprint"] == recovery_fp
    # And both public keys are key files named by their kid, for the page to fetch
    assert (out / "assets/keys" / f"{desk.kid}.bin").read_bytes() == desk.public_key_bytes
    recovery_file = out / "assets/keys" / f"{recovery_fp[:16]}.bin"
    assert recovery_file.read_bytes() == recovery.xwing_key_bytes
    # And xwing.mjs is listed with its graph and integrity, never preloaded at page load
    modules = json.loads(page.split('id="wbs-xwing">')[1].split("</script>")[0])
    assert modules[-1]["href"] == "/assets/js/xwing.mjs"
    assert all(m["integrity"].startswith("sha384-") for m in modules)
    assert 'rel="modulepreload" href="/assets/js/xwing.mjs"' not in page
    assert "/noble/" not in page.split("</head>")[0]
    # And `wbs deploy` accepts the site for this keyring and uploads the key files
    uploaded = {f.key for f in read_site(out, current).files}
    assert {f"assets/keys/{desk.kid}.bin", f"assets/keys/{recovery_fp[:16]}.bin"} <= uploaded


def test_the_api_counts_x_wing_kids_for_a_hybrid_desk(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    assert rotate_hybrid(home).exit_code == 0
    current = ring(home)
    assert current.recovery is not None
    known = Recipients.load(home.keyring, None)
    report = hybrid_report(current)
    # The hybrid desk's kid and the recovery key's X-Wing kid, both in X-Wing stanzas: allowed
    assert known.report_desks(known.counted(report.recipients)) == (DESK,)
    # The recovery key's X25519 stanza instead: refused (stale or tampered page)
    desk_stanza = report.recipients[0]
    classical_rescue = seal("report", CASE, b"x", [Recipient(current.recovery.public_key_bytes)])
    mixed = (desk_stanza, classical_rescue.recipients[0])
    assert known.report_desks(known.counted(mixed)) is None
    # A classical stanza under the hybrid desk's kid: refused
    relabelled = fmt.Recipient(fmt.X25519, desk_stanza.kid, bytes(fmt.SEALED_BYTES))
    assert known.report_desks(known.counted((relabelled, report.recipients[1]))) is None
    # The classical generation 1's kid: stale
    old = current.generation(DESK, 1)
    assert old is not None
    stale = seal("report", CASE, b"x", [Recipient(old.public_key_bytes)])
    assert known.report_desks(known.counted((*stale.recipients, report.recipients[1]))) is None


@pytest.mark.parametrize(
    ("size", "ok"), [(1168, True), (1167, False), (1169, False), (1120, False)]
)
def test_envelope_parse_takes_x_wing_stanzas_of_1168_bytes_only(size: int, ok: bool) -> None:
    document = seal("report", CASE, b"x", [Recipient(bytes(PrivateKey.generate().public_key))])
    data = document.to_json()
    data["recipients"][0] = {
        "type": "X-Wing",
        "kid": "0123456789abcdef",
        "sealed": fmt.b64encode(bytes(size)),
    }
    if ok:
        assert fmt.parse(data).recipients[0].type == "X-Wing"
    else:
        with pytest.raises(EnvelopeError, match="X-Wing sealed key must be 1168 bytes"):
            fmt.parse(data)


def test_the_keyring_refuses_a_hybrid_desk_without_the_recovery_x_wing_key(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    assert rotate_hybrid(home).exit_code == 0
    document = json.loads(Path(home.keyring).read_text())
    document["recovery"]["xwing_key"] = None
    with pytest.raises(KeyringError, match="needs the recovery key's xwing_key"):
        parse(json.dumps(document))


def test_a_case_shared_with_a_hybrid_desk_is_sealed_with_x_wing(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    # Given a hybrid desk, and a case's content keys shared with it by anna
    assert rotate_hybrid(home).exit_code == 0
    current = ring(home)
    anna = keyfile.unlock(home.keys / "anna.key", PASSPHRASE)
    other_desk = PrivateKey.generate()  # the desk the case was sealed to
    report = seal("report", CASE, b"kasus", [Recipient(bytes(other_desk.public_key))])
    content_key = Keys.of(other_desk).content_key(report)
    payload = grants.case_keys("limpahan", {report.nonce: content_key})
    key, data = grants.case_grant(CASE, current.desk(DESK), payload, anna)
    # Then the grant is sealed with X-Wing to the hybrid desk key (1120-byte ciphertext first)
    grant = grants.parse(key, data)
    hybrid = held(home, "bima").desks[current.desk(DESK).kid]
    assert isinstance(hybrid, xwing.DecapsulationKey)
    with pytest.raises(grants.GrantError):
        grants.open_case_grant(grant, PrivateKey.generate(), current)
    assert grants.open_case_grant(grant, hybrid, current) == payload
    # And bima, a member of the hybrid desk, reads the case through it
    bima_id = keyfile.unlock(home.keys / "bima.key", PASSPHRASE)
    bima = unlock(bima_id, current, [*stored_grants(home), (key, data)])
    assert not bima.problems
    assert open_envelope(report, bima.keys) == b"kasus"


def test_a_hybrid_generation_is_added_to_x_wing_keys_only(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    # Given a hybrid desk, and two newcomers: cici upgraded (the default), dewi not
    assert rotate_hybrid(home).exit_code == 0
    cici, dewi = person(home, "cici"), person(home, "dewi")
    not_upgraded(home, dewi)
    anna_key = f"--key={home.keys / 'anna.key'}"
    before = state(home)
    # When anna adds dewi, it is refused, naming her, and nothing changes
    refused = wbs("desks", "add-member", f"--desk={DESK}", f"--member={dewi}", anna_key)
    assert refused.exit_code == 1 and "Inspektur dewi" in refused.stderr
    assert "wbs keys upgrade" in refused.stderr and state(home) == before
    # And cici gets both generations: the classical one and the hybrid one, sealed with X-Wing
    added = wbs("desks", "add-member", f"--desk={DESK}", f"--member={cici}", anna_key)
    assert added.exit_code == 0, added.output
    mine = {g.generation: g for g in map(_parsed, stored_grants(home)) if g.member == cici}
    assert (len(mine[1].sealed), len(mine[2].sealed)) == (80, SEALED_BYTES)
    report = hybrid_report(ring(home))
    assert json.loads(open_envelope(report, held(home, "cici").keys)) == {"title": "laporan"}


def test_a_new_desk_can_be_hybrid_from_its_first_generation(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    write_config(home.config, (DESK, "pimpinan"))
    result = wbs("desks", "new", "pimpinan", "--hybrid", "--recovery", typed=typed_shares(home))
    assert result.exit_code == 0, result.output
    assert "hybrid X-Wing" in result.stdout and "next: redeploy" in result.stdout
    desk = ring(home).desk("pimpinan")
    assert desk.hybrid and desk.generation == 1
    rescuer = recovery.identity(recovery.combine(shares(home)[:3]))
    assert isinstance(
        unlock(rescuer, ring(home), stored_grants(home)).desks[desk.kid], xwing.DecapsulationKey
    )
    listed = wbs("desks", "list")
    assert "1 X-Wing" in listed.stdout


def _parsed(item: tuple[str, bytes]) -> grants.Grant:
    return grants.parse(*item)


def test_init_hybrid_makes_every_desk_hybrid_and_refuses_a_key_not_upgraded(home: Home) -> None:
    anna, bima = person(home, "anna"), person(home, "bima")
    # Given bima's keyring entry without an X-Wing key: init --hybrid is refused, naming bima
    not_upgraded(home, bima)
    before = state(home)
    refused = init(home, anna, bima, more=("--hybrid",))
    assert refused.exit_code == 1 and f"Inspektur bima ({bima})" in refused.stderr
    assert state(home) == before
    # With anna alone, generation 1 is hybrid and the recovery key has its X-Wing key
    result = init(home, anna, more=("--hybrid",))
    assert result.exit_code == 0, result.output
    made = ring(home)
    assert made.desk(DESK).hybrid and made.recovery is not None
    rescuer = recovery.identity(recovery.combine(shares(home)[:3]))
    assert rescuer.xwing is not None
    assert made.recovery.xwing_key_bytes == rescuer.xwing.public_key
    assert json.loads(open_envelope(hybrid_report(made), held(home, "anna").keys)) == {
        "title": "laporan"
    }


def test_the_inbox_lists_a_report_sealed_to_a_hybrid_desk(
    home: Home, anna_bima: tuple[str, str]
) -> None:
    # Given a report sealed to the hybrid generation (as the page will), stored as the API does
    assert rotate_hybrid(home).exit_code == 0
    (case,) = report_ids(1, first=7)
    current = ring(home)
    assert current.recovery is not None
    audience = Audience(case, (current.desk(DESK),), current.recovery)
    content = inbox.payload(title=f"laporan {case}")
    sent = seal("report", case, json.dumps(content).encode(), audience.recipients())
    stored = {"received": "2026-12-06T02:30:00Z", "envelope": sent.to_json()}
    home.store.put_new(f"reports/{case}.json", json.dumps(stored).encode())
    # Then `wbs inbox list` shows it to bima, a member of the hybrid generation
    assert listed(home, "bima", [case]) == [case]
    # And a note bima writes on it is sealed with X-Wing to the desk and the recovery key
    source = home.tmp / "note.txt"
    source.write_text("catatan", encoding="utf-8")
    key = f"--key={home.keys / 'bima.key'}"
    written = wbs("inbox", "note", case, "--file", str(source), key)
    assert written.exit_code == 0, written.output
    (item,) = home.store.list(f"notes/{case}/")
    stanzas = json.loads(home.store.get(item.key))["envelope"]["recipients"]
    assert {(r["type"], r["kid"]) for r in stanzas} == {
        ("X-Wing", current.desk(DESK).kid),
        ("X-Wing", current.recovery_kid(True)),
    }
