"""The workbench on a hybrid (X-Wing) desk (docs/spec/xwing-v1.md section 8): a member whose
only way in is an X-Wing-sealed grant unlocks, sees and opens a report sealed with `X-Wing`
stanzas, and what the member writes on it (a note, an assignment) is sealed with X-Wing to
the desk and the recovery key, as `wbs inbox` seals it."""

from __future__ import annotations

import json

from tests.desks.cli import PASSPHRASE, Home, held, init, person, report_ids, ring
from tests.desks.test_hybrid_cli import DESK, rotate_hybrid
from tests.support import inbox
from tests.support.workbench import Client, workbench
from wbs import notes
from wbs.cases.readers import Audience
from wbs.crypto import open_envelope, seal


def test_a_member_reads_and_writes_on_a_hybrid_desk_in_the_workbench(home: Home) -> None:
    # Given anna and bima, members of a desk rotated to X-Wing, and a report sealed to it
    anna, bima = person(home, "anna"), person(home, "bima")
    assert init(home, anna, bima).exit_code == 0
    assert rotate_hybrid(home).exit_code == 0
    current = ring(home)
    assert current.recovery is not None
    desk = current.desk(DESK)
    assert desk.hybrid
    (case,) = report_ids(1, first=11)
    audience = Audience(case, (desk,), current.recovery)
    content = inbox.payload(title=f"laporan {case}", what="Uang pelicin di loket")
    sent = seal("report", case, json.dumps(content).encode(), audience.recipients())
    assert {r.type for r in sent.recipients} == {"X-Wing"}
    stored = {"received": "2026-12-06T02:30:00Z", "envelope": sent.to_json()}
    home.store.put_new(f"reports/{case}.json", json.dumps(stored).encode())
    # When bima unlocks the workbench and syncs (the grants come with the reports)
    client = Client(workbench(home.keys / "bima.key", home.store, home.keyring))
    client.enter()
    assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    listing = client.sync().body
    # Then the inbox lists the report and its page shows what the reporter wrote
    assert f"laporan {case}" in listing
    page = client.get(f"/case/{case}")
    assert page.status == 200 and "Uang pelicin di loket" in page.body
    # And a note and an assignment bima writes are sealed with X-Wing to the desk and the
    # recovery key, and nothing else
    assert client.post(f"/case/{case}/note", {"text": "Saksi belum dihubungi."}).status == 303
    assigned = client.post(f"/case/{case}/assign", {"assignee": "me"})
    assert assigned.status == 303, assigned.body
    written = list(home.store.list(f"notes/{case}/"))
    want = {("X-Wing", desk.kid), ("X-Wing", current.recovery_kid(True))}
    opened = held(home, "anna").keys
    schemas = set()
    for item in written:
        _, envelope, _ = notes.parse(item.key, home.store.get(item.key))
        assert {(r.type, r.kid) for r in envelope.recipients} == want, item.key
        schemas.add(json.loads(open_envelope(envelope, opened))["schema"])
    assert {"wbs-note/1", "wbs-assign/1"} <= schemas, schemas
    # And anna, the other member, reads the note on the case page
    other = Client(workbench(home.keys / "anna.key", home.store, home.keyring))
    other.enter()
    assert other.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
    other.sync()
    seen = other.get(f"/case/{case}").body
    assert "Saksi belum dihubungi." in seen
