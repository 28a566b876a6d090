"""POST /api/reports with a hybrid (X-Wing) desk, called as Lambda calls it
(docs/spec/xwing-v1.md section 8.5): the desk's and the recovery key's `X-Wing` stanzas are
the recipient set; a classical stanza where a hybrid one belongs is a stale page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from nacl.public import PrivateKey

from functions import app as api
from functions import keyring, mailbox_token
from functions.proofs import Proofs
from functions.recipients import Recipients
from functions.storage import LocalStorage, layout
from tests.support.api import RECOVERY, bearer, envelope_json, new_token, post_event
from tests.support.pow import new_proof
from wbs import xwing
from wbs.crypto import Recipient, Sealable, seal
from wbs.xwing_stanza import HybridRecipient

DESK = xwing.DecapsulationKey(b"d" * 32)
RESCUE = xwing.DecapsulationKey(b"r" * 32)  # the recovery key's X-Wing key, in this test


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[LocalStorage]:
    """The handlers on a keyring whose only desk is hybrid, no routing rules."""
    store = LocalStorage(tmp_path / "storage")
    entry = keyring.RecoveryEntry.for_public_key(
        RECOVERY.public_key, RECOVERY.verify_key or b"", "Recovery", "2026-12-06", 3, 5
    )
    ring = keyring.Keyring().with_recovery(entry).with_xwing_key(entry.kid, RESCUE.public_key)
    ring = ring.with_desk(
        keyring.DeskEntry.for_public_key("inspektorat", 1, DESK.public_key, "2026-12-06")
    )
    keyring.dump(ring, tmp_path / "keyring.json")
    proofs = Proofs(store, lambda: b"s" * 32, 8)
    api.configure(storage=store, keyring_path=tmp_path / "keyring.json", proofs=proofs)
    yield store
    api.configure()


def post(recipients: list[Sealable]) -> tuple[int, dict[str, Any], str]:
    token = new_token()
    case = mailbox_token.report_id(token)
    sent = seal("report", case, b'{"what":"laporan"}', recipients)
    event = post_event(envelope_json(sent), authorization=bearer(token))
    event["headers"]["wbs-proof"] = new_proof("report")
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]), case


def test_a_report_sealed_with_x_wing_to_the_desk_and_the_recovery_key_is_stored(
    storage: LocalStorage,
) -> None:
    status, answer, case = post(
        [HybridRecipient(DESK.public_key), HybridRecipient(RESCUE.public_key)]
    )
    assert status == 201, answer
    stored = json.loads(storage.get(layout.report(case)))
    assert {r["type"] for r in stored["envelope"]["recipients"]} == {"X-Wing"}


@pytest.mark.parametrize(
    "recipients",
    [
        [HybridRecipient(DESK.public_key), Recipient(RECOVERY.public_key)],  # classical rescue
        [HybridRecipient(DESK.public_key)],  # no recovery key
        [HybridRecipient(RESCUE.public_key)],  # no desk
    ],
    ids=["recovery-x25519", "no-recovery", "no-desk"],
)
def test_another_set_is_a_stale_page_and_nothing_is_stored(
    storage: LocalStorage, recipients: list[Sealable]
) -> None:
    status, answer, case = post(recipients)
    assert (status, answer.get("error")) == (422, "stale_keys"), answer
    assert not list(storage.list(layout.report(case)))


def test_a_followup_slot_for_the_reporter_takes_no_key_of_the_keyring(tmp_path: Path) -> None:
    # A follow-up to a hybrid case is sealed to the desk's and the recovery key's X-Wing keys
    # and one other: the reporter's. That other may not be the recovery key's classical key
    # (a classical copy of the content key beside the hybrid one), nor any key of the keyring.
    entry = keyring.RecoveryEntry.for_public_key(
        RECOVERY.public_key, RECOVERY.verify_key or b"", "Recovery", "2026-12-06", 3, 5
    )
    ring = keyring.Keyring().with_recovery(entry).with_xwing_key(entry.kid, RESCUE.public_key)
    desk = keyring.DeskEntry.for_public_key("inspektorat", 1, DESK.public_key, "2026-12-06")
    keyring.dump(ring.with_desk(desk), tmp_path / "keyring.json")
    known = Recipients.load(tmp_path / "keyring.json", None)
    required = known.followup_kids(["inspektorat"])
    reporter = Recipient(bytes(PrivateKey.generate().public_key)).kid
    assert known.followup_allowed(required | {reporter}, ["inspektorat"])
    assert not known.followup_allowed(required | {entry.kid}, ["inspektorat"])
    assert not known.followup_allowed(required, ["inspektorat"])
