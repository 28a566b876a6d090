"""The plaintext of a case's messages, ``wbs-message/1`` (docs/spec/mailbox-v1.md section 4).

Both directions share it: the reporter's ``followup`` and the inspectorate's ``reply``. The
time its writer gives (``sent``) and a random id are inside the ciphertext; readers order a
thread by the time each message was stored, not by ``sent`` (wbs/thread.py). A follow-up may
carry evidence files, listed in an ``attachments`` member checked as strictly as a report's
(wbs/manifest.py); a reply may not.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Literal, NamedTuple

from functions import envelope as fmt
from functions.errors import EnvelopeError, WbsError
from wbs import manifest, statuses
from wbs.attachments import Attachment
from wbs.crypto import new_report_id

SCHEMA = "wbs-message/1"
FIELDS = ("schema", "id", "sent", "type", "text", "status", "reason", "by")
ATTACHMENTS = "attachments"  # optional, in a followup only (attachment-v1 section 4)
SENT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SENT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
Type = Literal["message", "status"]


class MessageError(WbsError, ValueError):
    """A message decrypted, but is not a wbs-message/1 document its sender may write."""


class Message(NamedTuple):
    """One decrypted message, in memory only."""

    id: str
    sent: datetime.datetime  # UTC
    type: Type
    text: str
    status: str
    reason: str
    by: str  # the key id of the inspector who wrote a reply; empty in a follow-up
    attachments: tuple[Attachment, ...] = ()  # a follow-up's evidence files (the manifest)


def new(
    message_type: Type,
    *,
    by: str,
    now: datetime.datetime,
    text: str = "",
    status: str = "",
    reason: str = "",
) -> Message:
    """A fresh message with a random id, sent ``now`` (kept to the second, as on the wire)."""
    sent = now.astimezone(datetime.UTC).replace(microsecond=0)
    return Message(new_report_id(), sent, message_type, text, status, reason, by)


def encode(message: Message) -> bytes:
    document: dict[str, object] = {
        "schema": SCHEMA,
        "id": message.id,
        "sent": message.sent.strftime(SENT_FORMAT),
        "type": message.type,
        "text": message.text,
        "status": message.status,
        "reason": message.reason,
        "by": message.by,
    }
    if message.attachments:
        document[ATTACHMENTS] = [manifest.entry_document(entry) for entry in message.attachments]
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def decode(plaintext: bytes, kind: str) -> Message:
    """Read and check a message; ``kind`` is its envelope's (``reply`` or ``followup``)."""
    try:
        data = fmt.loads_strict(plaintext)
    except EnvelopeError as exc:
        raise MessageError(f"decrypted content is {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MessageError(f"decrypted content is not a {SCHEMA} document")
    files: tuple[Attachment, ...] = ()
    if ATTACHMENTS in data:
        if kind != "followup":
            raise MessageError("only a follow-up can carry attachments")
        try:
            files = manifest.parse(data.pop(ATTACHMENTS))
        except manifest.ManifestError as exc:
            raise MessageError(str(exc)) from None
    if set(data) != set(FIELDS) or not all(isinstance(v, str) for v in data.values()):
        raise MessageError(f"a {SCHEMA} message has exactly the text members {', '.join(FIELDS)}")
    if not fmt.ID_RE.fullmatch(data["id"]):
        raise MessageError("the message id is not 16 Crockford base32 symbols")
    type_ = data["type"]
    if type_ not in ("message", "status"):
        raise MessageError(f"unknown message type {type_!r}")
    if type_ == "status":
        _check_status(data["status"], data["reason"], kind)
    if kind == "reply" and not fmt.KID_RE.fullmatch(data["by"]):
        raise MessageError("a reply must name the key id of the inspector who wrote it")
    return Message(
        data["id"],
        _sent(data["sent"]),
        type_,
        data["text"],
        data["status"],
        data["reason"],
        data["by"],
        files,
    )


def _check_status(status: str, reason: str, kind: str) -> None:
    if kind != "reply":
        raise MessageError("only the inspectorate can change a case's status")
    if status not in statuses.STATUSES:
        raise MessageError(f"unknown status {status!r}")
    if status == statuses.REJECTED and not reason.strip():
        raise MessageError("a rejection without a reason")


def _sent(value: str) -> datetime.datetime:
    if SENT_RE.fullmatch(value):
        try:
            return datetime.datetime.fromisoformat(value)  # ...Z: UTC
        except ValueError:
            pass
    raise MessageError("sent must be a UTC time YYYY-MM-DDTHH:MM:SSZ")
