"""Where a case's messages live in storage, and what each stored message looks like
(docs/spec/mailbox-v1.md section 5). Shared by the API, which writes the reporter's
follow-ups, and the inspector's tool, which writes replies with its own credentials.
Nothing here decrypts.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from functions import envelope as fmt
from functions import mailbox_token, reservations
from functions.errors import AlreadyExists, EnvelopeError, NotFound, WbsError
from functions.keyring import DESK_ID_RE
from functions.signature import Signature
from functions.signature import parse as parse_signature
from functions.storage import Storage, layout
from functions.storage.layout import Sender

SENDERS: tuple[Sender, ...] = ("reporter", "inspectorate")
KIND_OF: dict[Sender, str] = {"reporter": "followup", "inspectorate": "reply"}
MAX_REPORTER_MESSAGES = 50
# A follow-up is text: its padded plaintext stays within 32 KiB, so that a full mailbox
# (50 follow-ups and the replies) still fits one API answer (Lambda's is 6 MB).
MAX_FOLLOWUP_BUCKET = 32 * 1024
DIGEST_RE = re.compile(r"[0-9a-f]{64}")
SENT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
FIELDS = frozenset({"sent", "from", "envelope"})
_SHAPES = (FIELDS, FIELDS | {"signature"})  # a signature is optional in the wrapper


class MailboxFull(WbsError):
    """The case holds as many follow-ups as it takes (``MAX_REPORTER_MESSAGES``)."""

    def __init__(self) -> None:
        super().__init__(
            f"This case already holds {MAX_REPORTER_MESSAGES} messages from the reporter, the "
            "most it takes; wait for the inspectorate to answer."
        )


class Message(NamedTuple):
    """A stored message before decryption: what the server saw."""

    key: str
    sent: str
    sender: Sender
    envelope: fmt.Envelope
    signature: Signature | None = None  # its writer's (docs/spec/signature-v2.md)

    def to_json(self) -> dict[str, Any]:
        """The stored document, as the mailbox API answers it."""
        document = {"sent": self.sent, "from": self.sender, "envelope": self.envelope.to_json()}
        if self.signature is not None:
            document["signature"] = self.signature.to_json()
        return document


def claim(
    storage: Storage,
    report_id: str,
    token: bytes,
    report: dict[str, Any],
    signing_key: str,
    desks: Sequence[str],
) -> str:
    """Write a new case's verifier, before its report; return the report's receipt time.

    The verifier records the report's digest, the reporter's signing key (base64, which
    every follow-up's signature is checked against) and the ``desks`` the report was routed
    to (sorted: the page seals each follow-up to them). The same report sent again with the
    same code and key (an answer lost on the way back) is accepted once more and stored
    once: its desks come from its recipients, so the digest decides for them too. Any other
    existing verifier means the receipt code is taken (AlreadyExists), and nothing is
    written. The verifier is tagged for ``desks``, as every object of the case
    (``functions/storage/tags.py``)."""
    received = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha256(fmt.canonical_json(report)).hexdigest()
    record = {
        "received": received,
        "verifier": mailbox_token.verifier(token),
        "report": digest,
        "signing_key": signing_key,
        "desks": sorted(desks),
    }
    try:
        storage.put_new(layout.verifier(report_id), fmt.canonical_json(record), desks=desks)
    except AlreadyExists:
        stored = _verifier_record(storage, report_id, token)
        if stored is None or (stored.get("report"), stored.get("signing_key")) != (
            digest,
            signing_key,
        ):
            raise
        return str(stored["received"])
    return received


class Opened(NamedTuple):
    """What a matching verifier says about its case."""

    received: str
    signing_key: str | None  # base64; None in a verifier that records none
    # The desks the report was routed to; None in a verifier that records none (or a
    # malformed list): the API then takes the routing's central desk.
    desks: tuple[str, ...] | None = None


def opened_by(storage: Storage, report_id: str, token: bytes) -> Opened | None:
    """The case's receipt time, the reporter's signing key and the report's desks, if the
    token opens its mailbox; None otherwise (no verifier, an unreadable one, or one that
    does not match: the same answer)."""
    record = _verifier_record(storage, report_id, token)
    if record is None:
        return None
    key = record.get("signing_key")
    return Opened(
        str(record["received"]), key if isinstance(key, str) else None, _desks(record.get("desks"))
    )


def _desks(value: object) -> tuple[str, ...] | None:
    """A verifier's ``desks``: a list of desk ids, at least one; None for anything else."""
    if not isinstance(value, list) or not value or len(value) > fmt.MAX_RECIPIENTS:
        return None
    if not all(isinstance(d, str) and DESK_ID_RE.fullmatch(d) for d in value):
        return None
    return tuple(sorted(set(value)))


def _verifier_record(storage: Storage, report_id: str, token: bytes) -> dict[str, Any] | None:
    try:
        record = fmt.loads_strict(storage.get(layout.verifier(report_id)))
    except (NotFound, EnvelopeError):
        return None
    match record:
        case {"received": str(), "verifier": str(verifier)}:
            if mailbox_token.matches(token, verifier):
                return dict(record)
    return None


def post(
    storage: Storage,
    report_id: str,
    sender: Sender,
    envelope: fmt.Envelope,
    now: datetime | None = None,
    signature: Signature | None = None,
    desks: Collection[str] = frozenset(),
) -> Message:
    """Store one message create-only, with its writer's ``signature``, tagged for ``desks``
    (the case's: those its envelope is sealed to); return what was stored (``_post``)."""
    return _post(storage, report_id, sender, envelope, now, signature, desks).message


class Posted(NamedTuple):
    message: Message
    new: bool  # False: the same envelope was stored already (a retry), and nothing was written


def _post(
    storage: Storage,
    report_id: str,
    sender: Sender,
    envelope: fmt.Envelope,
    now: datetime | None = None,
    signature: Signature | None = None,
    desks: Collection[str] = frozenset(),
) -> Posted:
    """Store one message create-only, with its writer's ``signature``, tagged for ``desks``
    (the case's: those its envelope is sealed to); return what was stored.

    The name ends in the envelope's digest, so the same envelope sent again (a retry whose
    first answer was lost) is found and returned, not stored twice: a sealed envelope is
    unique, since every one has its own random key and nonce."""
    if envelope.id != report_id or envelope.kind != KIND_OF[sender]:
        raise EnvelopeError(f"a {sender} message must be a {KIND_OF[sender]} for {report_id}")
    digest = _digest(envelope)[:8]
    ending = layout.message_ending(sender, digest)
    stored = _stored_copy(storage, keys(storage, report_id), ending, envelope)
    if stored is not None:
        return Posted(stored, new=False)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    sent = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    key = layout.message(report_id, moment, sender, digest)
    message = Message(key, sent, sender, envelope, signature)
    try:
        storage.put_new(key, fmt.canonical_json(message.to_json()), desks=desks)
    except AlreadyExists:  # the same envelope in the same microsecond: a concurrent retry
        stored = _stored_copy(storage, keys(storage, report_id), ending, envelope)
        if stored is None:
            raise
        return Posted(stored, new=False)
    return Posted(message, new=True)


def check_room(storage: Storage, report_id: str) -> None:
    """Raise MailboxFull if the case's follow-ups or their reservations have reached the cap:
    the quick check before anything is written. It may let pass a request that ``post_followup``
    then refuses (requests at the same time, or a mailbox older than reservations); never the
    other way round."""
    held = len(list(storage.list(layout.followup_slots(report_id))))
    stored = [layout.sender(key) for key in keys(storage, report_id)].count("reporter")
    if max(held, stored) >= MAX_REPORTER_MESSAGES:
        raise MailboxFull


def post_followup(
    storage: Storage,
    report_id: str,
    envelope: fmt.Envelope,
    signature: Signature,
    desks: Collection[str] = frozenset(),
) -> Posted:
    """Store a reporter's follow-up, with the ``signature`` the API checked, once it holds
    one of the case's reservations
    (docs/spec/mailbox-v1.md §6.1); raise MailboxFull, writing nothing, if none is left.
    The reservation and the message are tagged for ``desks``: the mailbox's, which the
    follow-up is sealed to.

    The reservation records the envelope's digest and the time to store it under, so that
    the same envelope sent again, even at the same moment, holds the same reservation and
    is stored under the same name, once: ``new`` is False then, and True only for the request
    that wrote it."""
    digest = _digest(envelope)
    listed = keys(storage, report_id)  # once: for a copy stored already, and for the count
    stored = _stored_copy(storage, listed, layout.message_ending("reporter", digest[:8]), envelope)
    if stored is not None:
        return Posted(stored, new=False)
    older = [key for key in listed if layout.sender(key) == "reporter"]
    moment = datetime.now(UTC)
    request = fmt.canonical_json({"envelope": digest, "stamp": moment.strftime(layout.STAMP)})

    def admit(held: reservations.Held) -> None:
        # Follow-ups stored before reservations existed count on top of the reservations: a
        # message is listed before the reservations are, and every newer one has its
        # reservation written first, so its digest is among them.
        reserved = {found[:8] for found in map(_reserved_digest, held.data) if found}
        older_ones = [key for key in older if layout.message_digest(key) not in reserved]
        if len(held.data) + len(older_ones) >= MAX_REPORTER_MESSAGES:
            raise MailboxFull

    held = reservations.reserve(
        storage,
        functools.partial(layout.followup_slot, report_id),
        layout.followup_slots(report_id),
        request,
        same=lambda found: _reserved_digest(found) == digest,
        admit=admit,
        most=MAX_REPORTER_MESSAGES,
        desks=desks,
    )
    stamp = str(fmt.loads_strict(held.data)["stamp"])
    when = datetime.strptime(stamp, layout.STAMP).replace(tzinfo=UTC)
    return _post(storage, report_id, "reporter", envelope, when, signature, desks)


def _reserved_digest(data: bytes) -> str | None:
    """The envelope digest a follow-up's reservation holds, or None if it is not one."""
    try:
        document = fmt.loads_strict(data)
    except EnvelopeError:
        return None
    match document:
        case {"envelope": str(digest), "stamp": str(stamp)} if document.keys() == {
            "envelope",
            "stamp",
        } and DIGEST_RE.fullmatch(digest):
            try:
                datetime.strptime(stamp, layout.STAMP)
            except ValueError:
                return None
            return digest
    return None


def _digest(envelope: fmt.Envelope) -> str:
    """The SHA-256 (hex) of the envelope's canonical JSON: its name ends in the first 8."""
    return hashlib.sha256(fmt.canonical_json(envelope.to_json())).hexdigest()


def _stored_copy(
    storage: Storage, listed: list[str], ending: str, envelope: fmt.Envelope
) -> Message | None:
    """The stored message, among the keys ``listed``, whose name ends in ``ending`` and whose
    envelope is ``envelope``."""
    for key in listed:
        if key.endswith(ending):
            try:
                message = parse(key, storage.get(key))
            except (NotFound, EnvelopeError):
                continue
            if message.envelope == envelope:
                return message
    return None


def keys(storage: Storage, report_id: str) -> list[str]:
    """The keys of a case's messages, oldest first (their names start with the time)."""
    return sorted(
        i.key for i in storage.list(layout.mailbox(report_id)) if layout.is_message(i.key)
    )


def parse(key: str, data: bytes) -> Message:
    """Check a stored message: its wrapper, its envelope, and that both agree with its key."""
    sender = layout.sender(key)
    document = fmt.loads_strict(data)
    if sender is None or not isinstance(document, dict) or document.keys() not in _SHAPES:
        raise EnvelopeError(
            "a stored message must have exactly sent, from and envelope, and may have a signature"
        )
    sent = document["sent"]
    if not isinstance(sent, str) or not SENT_RE.fullmatch(sent) or document["from"] != sender:
        raise EnvelopeError("the stored message's time or sender is malformed")
    envelope = fmt.parse(document["envelope"])
    report_id = layout.case_of(key)
    if envelope.id != report_id or envelope.kind != KIND_OF[sender]:
        raise EnvelopeError(f"the message inside belongs to {envelope.id}, not {report_id}")
    signature = parse_signature(document["signature"]) if "signature" in document else None
    return Message(key, sent, sender, envelope, signature)
