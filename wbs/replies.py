"""Writing the inspectorate's messages (docs/spec/mailbox-v1.md section 4).

A ``reply`` is sealed to the reporter's public key, taken from the decrypted report, and to
every active keyring key; it is stored with the inspector's own storage credentials (there is
no inspector endpoint on the public API), then copied into the local cache.
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
from functions.keyring import Keyring
from functions.storage import Storage
from wbs.cache import Cache
from wbs.crypto import Identity, Recipient, seal
from wbs.messages import Message, encode
from wbs.registration import display
from wbs.reports import Report
from wbs.signing import sign


class CannotAnswer(WbsError, ValueError):
    """A message cannot be sent: no usable reporter key, or a keyring that leaves out its writer."""


class Sent(NamedTuple):
    key: str  # where it is stored
    message: Message
    readers: tuple[str, ...]  # the key ids of the inspectors who can read it


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
    keyring: Keyring,
    now: datetime.datetime,
    writer: Identity,
) -> Sent:
    """Seal ``message`` to the reporter's key and every active key, sign it as ``writer``;
    store it, and cache it."""
    readers = keyring.active()
    kids = tuple(k.kid for k in readers)
    if message.by not in kids:
        raise CannotAnswer(
            f"your key {message.by} is not an active key of the keyring:"
            " you could not read your own message",
            hint="use the institution's current keyring: --keyring PATH (or WBS_KEYRING)",
        )
    recipients = [Recipient(reporter), *(Recipient(k.public_key_bytes) for k in readers)]
    envelope = seal("reply", report_id, encode(message), recipients)
    signature = sign(writer, envelope)
    stored = mailbox.post(storage, report_id, "inspectorate", envelope, now, signature)
    cache.keep_message(stored.key, storage.get(stored.key))
    return Sent(stored.key, message, kids)
