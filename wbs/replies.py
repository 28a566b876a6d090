"""Writing the inspectorate's messages (docs/spec/mailbox-v1.md section 4).

A ``reply`` is sealed to the reporter's public key, taken from the decrypted report, and to
the case's desks (the active generation of each) and the recovery key, never to a person
(docs/spec/desks-v2.md; wbs/cases/readers.py); it is stored with the inspector's own
storage credentials (there is no inspector endpoint on the public API), then copied into the
local cache.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils

from functions import mailbox
from functions.envelope import b64decode
from functions.errors import WbsError
from functions.storage import Storage
from wbs.cache import Cache
from wbs.cases.readers import Audience
from wbs.crypto import Identity, Recipient, seal
from wbs.messages import Message, encode
from wbs.registration import display
from wbs.reports import Report
from wbs.signing import sign


class CannotAnswer(WbsError, ValueError):
    """A message cannot be sent: the report carries no usable reporter key."""


class Sent(NamedTuple):
    key: str  # where it is stored
    message: Message
    audience: Audience  # the desks and the recovery key it is sealed to, beside the reporter

    @property
    def readers(self) -> tuple[str, ...]:
        """The key ids it is sealed to besides the reporter's: desk generations, recovery."""
        return self.audience.kids


def reporter_key(report: Report) -> bytes:
    """The reporter's X25519 public key from the report; CannotAnswer if it has none."""
    number = display(report.id)
    if not report.reporter_public_key:
        raise CannotAnswer(
            f"report {number} cannot be answered: it carries no reporter key"
            " (it was sent before the reporter's page existed)",
            hint="nothing was sent; only a reporter who left a contact can be reached,"
            " outside this system",
        )
    try:
        key = b64decode(report.reporter_public_key, "reporter_public_key")
        if len(key) != 32:
            raise ValueError("reporter_public_key is not 32 bytes")
        sodium.crypto_scalarmult(nacl.utils.random(32), key)  # refuses low-order points
    except (ValueError, nacl.exceptions.CryptoError) as exc:
        raise CannotAnswer(
            f"report {number} cannot be answered: its reporter key is unusable ({exc})",
            hint="nothing was sent; the reporter's browser wrote a malformed report",
        ) from None
    return key


def send(
    storage: Storage,
    cache: Cache,
    report_id: str,
    reporter: bytes,
    message: Message,
    audience: Audience,
    now: datetime.datetime,
    writer: Identity,
) -> Sent:
    """Seal ``message`` to the reporter's key and ``audience`` (the case's desks and the
    recovery key: ``wbs.cases.readers.audience`` checked the writer holds one), sign it as
    ``writer``; store it, and cache it."""
    if audience.report_id != report_id:
        raise CannotAnswer(f"the keys given are those of report {audience.report_id}")
    recipients = [Recipient(reporter), *audience.recipients()]
    envelope = seal("reply", report_id, encode(message), recipients)
    signature = sign(writer, envelope)
    stored = mailbox.post(
        storage, report_id, "inspectorate", envelope, now, signature, desks=audience.desk_ids
    )
    cache.keep_message(stored.key, storage.get(stored.key))
    return Sent(stored.key, message, audience)
