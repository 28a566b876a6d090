"""`wbs desks share`: a case shared with another desk (escalation, hand-over) is read by that
desk's members whole (report, follow-ups, notes), and is on the case's audit trail."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest

from functions import envelope as fmt
from functions.keyring import Keyring
from functions.storage import layout
from tests.desks.cli import (
    Home,
    held,
    init,
    person,
    ring,
    send_report,
    state,
    stored_grants,
    typed_shares,
    wbs,
    write_config,
)
from tests.support import inbox
from wbs import keyfile
from wbs.cases import readers
from wbs.crypto import NoMatchingKey, Recipient, open_envelope, seal
from wbs.desks import grants
from wbs.signing import sign

CASE = "7K3M2X9QABCDEFGH"
NOW = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=datetime.UTC)


def case_with_thread(home: Home) -> list[fmt.Envelope]:
    """A report to desk inspektorat, a follow-up and an internal note anna wrote: every
    envelope of the case."""
    send_report(home, CASE)
    keys = ring(home)
    assert keys.recovery is not None
    to = [keys.desk("inspektorat").public_key_bytes, keys.recovery.public_key_bytes]
    followup = inbox.post_followup(home.store, CASE, "bukti tambahan", NOW, to)
    anna = keyfile.unlock(home.keys / "anna.key", inbox.PASSPHRASE)
    text = json.dumps(
        {"schema": "wbs-note/1", "text": "catatan", "written": "2026-12-06T10:00:00Z"}
    )
    note = seal(fmt.NOTE, CASE, text.encode(), [Recipient(k) for k in to])
    digest = hashlib.sha256(fmt.canonical_json(note.to_json())).hexdigest()[:8]
    body = {
        "sent": "2026-12-06T10:00:00Z",
        "author": anna.kid,
        "envelope": note.to_json(),
        "signature": sign(anna, note).to_json(),
    }
    home.store.put_new(layout.note(CASE, NOW, anna.kid, digest), fmt.canonical_json(body))
    report = json.loads(home.store.get(layout.report(CASE)))["envelope"]
    return [fmt.parse(report), followup.envelope, note]


def setup_two_desks(home: Home) -> tuple[str, str]:
    """anna on desk inspektorat; then desk pimpinan, made by anna for cici alone."""
    anna, cici = person(home, "anna"), person(home, "cici")
    assert init(home, anna).exit_code == 0
    write_config(home.config, ("inspektorat", "pimpinan"))
    made = wbs(
        "desks", "new", "pimpinan", f"--member={cici}", "--recovery", typed=typed_shares(home)
    )
    assert made.exit_code == 0, made.output
    return anna, cici


def test_a_shared_case_is_read_whole_by_the_other_desk_and_on_the_audit_trail(
    home: Home,
) -> None:
    # Given a case of desk inspektorat that cici, of desk pimpinan only, cannot read
    anna, _cici = setup_two_desks(home)
    envelopes = case_with_thread(home)
    for envelope in envelopes:
        with pytest.raises(NoMatchingKey):
            open_envelope(envelope, held(home, "cici").keys)

    # When anna shares it with desk pimpinan
    result = wbs(
        "desks",
        "share",
        "7K3M-2X9Q",
        "--desk=pimpinan",
        "--reason=menyangkut pegawai Inspektorat",
        f"--key={home.keys / 'anna.key'}",
    )

    # Then a case grant is stored under shares/, signed by anna, to pimpinan's generation 1
    assert result.exit_code == 0, result.output
    (stored,) = list(home.store.list(layout.shares(CASE)))
    grant = grants.parse(stored.key, home.store.get(stored.key))
    keys = ring(home)
    assert (grant.desk, grant.generation, grant.by) == ("pimpinan", 1, anna)
    assert grants.check(grant, keys) == ""
    assert "the keys of 3 envelope(s)" in result.stdout
    # And cici reads the report, the follow-up and the note
    cici = held(home, "cici")
    assert [g.case for g in cici.shares] == [CASE]
    assert b"laporan 7K3M2X9QABCDEFGH" in open_envelope(envelopes[0], cici.keys)
    assert b"bukti tambahan" in open_envelope(envelopes[1], cici.keys)
    assert b"catatan" in open_envelope(envelopes[2], cici.keys)
    # And the reason is sealed to desk pimpinan: its members read it, nobody else
    secret = cici.desks[keys.desk("pimpinan").kid]
    reason, _ = grants.read_case_keys(grants.open_case_grant(grant, secret, keys))
    assert reason == "menyangkut pegawai Inspektorat"
    assert b"menyangkut" not in home.store.get(stored.key)
    # And the audit trail names the share: who, when, with which desk
    shares = counted_shares(home, keys)
    assert [(s.by, s.desk) for s in shares] == [(anna, "pimpinan")]


def test_share_refusals_change_nothing(home: Home) -> None:
    _anna, _cici = setup_two_desks(home)
    case_with_thread(home)
    before = state(home)
    anna_key, cici_key = f"--key={home.keys / 'anna.key'}", f"--key={home.keys / 'cici.key'}"
    cases = [
        (("--desk=pimpinan", "--reason=  ", anna_key), "the reason must be 1 to 500"),
        (("--desk=pusat", "--reason=x", anna_key), "no desk 'pusat'"),
        (("--desk=inspektorat", "--reason=x", anna_key), "desk inspektorat is a desk of case"),
        (("--desk=pimpinan", "--reason=x", cici_key), "you are no member of a desk of case"),
    ]
    for args, message in cases:
        result = wbs("desks", "share", CASE, *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    unknown = wbs("desks", "share", "ZZZZ", "--desk=pimpinan", "--reason=x", anna_key)
    assert unknown.exit_code == 1 and "no report 'ZZZZ' in storage" in unknown.stderr
    assert state(home) == before


def test_a_share_by_no_member_is_no_event_of_the_audit_trail(home: Home) -> None:
    # Given shares signed by a stranger, and by cici, a person of the keyring who is a member
    # of desk pimpinan only, not of a desk of the case
    setup_two_desks(home)
    case_with_thread(home)
    keys = ring(home)
    stranger = keyfile.generate()
    cici = keyfile.unlock(home.keys / "cici.key", inbox.PASSPHRASE)
    for n, signer in enumerate((stranger, cici)):
        moment = NOW + datetime.timedelta(seconds=n)
        key, data = grants.case_grant(
            CASE, keys.desk("pimpinan"), grants.case_keys("x", {}), signer, moment
        )
        home.store.put_new(key, data)
    # Then neither counts as a share of the case
    assert counted_shares(home, keys) == []
    # And a share by the recovery key does; desk pimpinan is then a desk of the case, so
    # cici's share counts from then on (section 6.5's fixed point), the stranger's never
    result = wbs(
        "desks",
        "share",
        CASE,
        "--desk=pimpinan",
        "--reason=alih",
        "--recovery",
        typed=typed_shares(home),
    )
    assert result.exit_code == 0, result.output
    assert "signed by Kunci pemulihan" in result.stdout
    shares = counted_shares(home, keys)
    rescuer = keys.recovery.kid  # type: ignore[union-attr]
    assert sorted((s.by, s.desk) for s in shares) == sorted(
        [(rescuer, "pimpinan"), (cici.kid, "pimpinan")]
    )


def counted_shares(home: Home, keys: Keyring) -> list[readers.Share]:
    """The case's shares that count (section 6.5), as the audit trail shows them: the case
    is routed to desk inspektorat."""
    directory = readers.Directory(keys, stored_grants(home))
    return [s for s in directory.shares(CASE, ["inspektorat"]) if not s.problem]


def test_a_hybrid_case_is_shared_with_a_classical_desk_only_when_asked(home: Home) -> None:
    # Given desk inspektorat rotated to a hybrid key, a report sealed to it with X-Wing only,
    # and desk pimpinan still classical
    setup_two_desks(home)
    rotate = ["desks", "rotate", "--desk=inspektorat", "--hybrid"]
    assert wbs(*rotate, f"--key={home.keys / 'anna.key'}").exit_code == 0
    keys = ring(home)
    assert keys.recovery is not None and not keys.desk("pimpinan").hybrid
    audience = readers.Audience(CASE, (keys.desk("inspektorat"),), keys.recovery)
    report = seal("report", CASE, json.dumps(inbox.payload()).encode(), audience.recipients())
    assert {r.type for r in report.recipients} == {fmt.XWING}
    stored = {"received": "2026-12-06T02:30:00Z", "envelope": report.to_json()}
    home.store.put_new(layout.report(CASE), json.dumps(stored).encode())
    before = state(home)
    share = [
        "desks",
        "share",
        "7K3M-2X9Q",
        "--desk=pimpinan",
        "--reason=eskalasi",
        f"--key={home.keys / 'anna.key'}",
    ]
    # When anna shares it with pimpinan, then it is refused: a classical copy of its keys
    refused = wbs(*share)
    assert refused.exit_code == 1, refused.output
    assert "quantum computer" in refused.stderr and "--hybrid" in refused.stderr
    assert state(home) == before
    # And with --classical it is shared, and cici of pimpinan reads the report
    done = wbs(*share, "--classical")
    assert done.exit_code == 0, done.output
    assert b"wbs-report/1" in open_envelope(report, held(home, "cici").keys)
