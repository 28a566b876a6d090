"""Reading a stored report: the wrapper, the envelope, and the decrypted ``wbs-report/1``.

A stored object is ``{"received": "YYYY-MM-DDTHH:MM:SSZ", "envelope": {...}}``. ``Reader``
opens it with every key an unlocked inspector holds: its own, and the desk keys and shared
content keys its grants give it (docs/spec/desks-v2.md), each unwrapped once when the Reader
is built, and returns a ``Report``; plaintext exists only in the returned objects, in memory.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from functions import envelope as fmt
from functions.errors import EnvelopeError, WbsError
from functions.keyring import Keyring
from wbs import manifest
from wbs.attachments import Attachment
from wbs.crypto import Identity, Keys, open_envelope
from wbs.desks import keys as desk_keys
from wbs.signing import Signers

SCHEMA = "wbs-report/1"
RECEIVED_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
STORED_FIELDS = frozenset({"received", "envelope"})
DECLARATIONS = ("truthful", "not_involved", "aware_of_sanctions", "confidential")


class PayloadError(WbsError, ValueError):
    """A report decrypted, but its content is not a wbs-report/1 document."""


class Stored(NamedTuple):
    """A stored report before decryption: what the server saw."""

    id: str
    received: datetime.datetime
    envelope: fmt.Envelope


class Person(NamedTuple):
    name: str
    position: str
    unit: str


class Report(NamedTuple):
    """A decrypted report, in memory only (immutable tuples: cheap to build by the thousand)."""

    id: str
    received: datetime.datetime
    lang: str
    category_id: str
    category_label: str
    title: str
    what: str
    who: tuple[Person, ...]
    where: str
    when_date: str
    when_note: str
    how: str
    loss: str
    anonymous: bool
    reporter_name: str
    reporter_contact: str
    reporter_relation: str
    declarations: dict[str, bool]
    reporter_public_key: str  # base64, as sent; empty in reports older than the mailbox
    attachments: tuple[Attachment, ...] = ()  # the evidence files' manifest (attachment-v1)
    # base64 Ed25519 key that signs the reporter's follow-ups (signature-v2 §5); empty in
    # reports older than signed follow-ups, whose follow-ups are then not verified
    reporter_signing_key: str = ""
    # the office the reporter said the matter concerns (the routing answer, desks-v2 §5.2);
    # empty when the page did not ask, or the reporter chose none
    office: str = ""


def parse_stored(report_id: str, data: bytes) -> Stored:
    """Check the wrapper and the envelope's structure; the envelope must carry ``report_id``."""
    document = fmt.loads_strict(data)
    if not isinstance(document, dict) or document.keys() != STORED_FIELDS:
        raise EnvelopeError("stored report must have exactly received and envelope")
    received = document["received"]
    if not isinstance(received, str) or not RECEIVED_RE.fullmatch(received):
        raise EnvelopeError("received must be a UTC time YYYY-MM-DDTHH:MM:SSZ")
    try:
        when = datetime.datetime.fromisoformat(received)  # the regex allows only ...Z: UTC
    except ValueError:
        raise EnvelopeError("received is not a valid time") from None
    envelope = fmt.parse(document["envelope"])
    if envelope.kind != "report":
        raise EnvelopeError(f"the envelope inside is a {envelope.kind}, not a report")
    if envelope.id != report_id:
        raise EnvelopeError(f"the envelope inside is report {envelope.id}: stored under another id")
    return Stored(report_id, when, envelope)


class Reader:
    """Opens reports and messages with every key an unlocked inspector holds (``keys``: by
    default the identity's own key only), reusing one unsealer per key for all of them, and
    checks what inspectors signed against ``signers`` (the keyring's; none: nothing
    verifies). Build one from grants with ``Reader.unlocked``."""

    def __init__(
        self,
        identity: Identity,
        signers: Signers | None = None,
        keys: Keys | None = None,
        ring: Keyring | None = None,
        held: desk_keys.Held | None = None,
        grant_keys: Iterable[str] = (),
    ) -> None:
        self.identity = identity
        self.keys = keys if keys is not None else Keys({identity.kid: identity.unsealer()})
        self.signers = signers or Signers(None, "no keyring was given to check signatures")
        self.ring = ring  # the keyring the grants were checked against; None: none was read
        self.held = held
        self.grant_keys = frozenset(grant_keys)  # the cached grants it was built from

    @classmethod
    def unlocked(
        cls,
        identity: Identity,
        ring: Keyring | None,
        stored: Iterable[tuple[str, bytes]],
        signers: Signers | None = None,
    ) -> Reader:
        """A reader holding ``identity``'s own key and every desk key and shared case its
        membership and case grants (``stored``: (storage key, bytes), e.g. ``Cache.grants()``)
        give it, each checked against ``ring`` and unwrapped here, once. Without a keyring no
        grant can be checked: the identity's own key only. Works for the recovery identity
        too (``wbs.desks.recovery.identity``)."""
        if ring is None:
            return cls(identity, signers)
        stored = list(stored)
        held = desk_keys.unlock(identity, ring, stored)
        return cls(identity, signers, held.keys, ring, held, (key for key, _ in stored))

    @property
    def problems(self) -> tuple[str, ...]:
        """The grants that were left out when this reader was built, and why."""
        return () if self.held is None else tuple(self.held.problems)

    @property
    def desk_kids(self) -> frozenset[str]:
        """The key ids of the desk generations this reader holds."""
        return frozenset() if self.held is None else frozenset(self.held.desks)

    def open(self, stored: Stored) -> Report:
        return parse_payload(stored, self.decrypt(stored.envelope))

    def decrypt(self, envelope: fmt.Envelope) -> bytes:
        return open_envelope(envelope, self.keys)


def parse_payload(stored: Stored, plaintext: bytes) -> Report:
    try:
        data = fmt.loads_strict(plaintext)
    except EnvelopeError as exc:
        raise PayloadError(f"decrypted content is {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise PayloadError(f"decrypted content is not a {SCHEMA} document")
    category = _object(data, "category")
    when = _object(data, "when")
    reporter = _object(data, "reporter")
    declarations = _object(data, "declarations")
    try:
        attachments = manifest.parse(data["attachments"]) if "attachments" in data else ()
    except manifest.ManifestError as exc:
        raise PayloadError(str(exc)) from None
    return Report(
        id=stored.id,
        received=stored.received,
        lang=_text(data, "lang"),
        category_id=_text(category, "id", "category"),
        category_label=_text(category, "label", "category"),
        title=_text(data, "title"),
        what=_text(data, "what"),
        who=tuple(_person(p) for p in _list(data, "who")),
        where=_text(data, "where"),
        when_date=_text(when, "date", "when"),
        when_note=_text(when, "note", "when"),
        how=_text(data, "how"),
        loss=_text(data, "loss"),
        anonymous=_flag(reporter, "anonymous", "reporter"),
        reporter_name=_text(reporter, "name", "reporter"),
        reporter_contact=_text(reporter, "contact", "reporter"),
        reporter_relation=_text(reporter, "relation", "reporter"),
        declarations={d: _flag(declarations, d, "declarations") for d in DECLARATIONS},
        reporter_public_key=_text(data, "reporter_public_key"),
        attachments=attachments,
        reporter_signing_key=_text(data, "reporter_signing_key"),
        office=_office(data.get("route")),
    )


# Missing members read as empty (an older or smaller form); members of the wrong type are
# refused, so that nothing is shown as something it is not.


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PayloadError(f"{key} must be an object")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise PayloadError(f"{key} must be a list")
    return value


def _text(data: dict[str, Any], key: str, parent: str = "") -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"{parent + '.' if parent else ''}{key} must be text")
    return value


def _flag(data: dict[str, Any], key: str, parent: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise PayloadError(f"{parent}.{key} must be true or false")
    return value


def _office(route: object) -> str:
    """The routing answer's office, read for statistics only: one of another shape is
    shown as none rather than making the whole report unreadable (the API already routed it)."""
    office = route.get("office") if isinstance(route, dict) else None
    return office if isinstance(office, str) else ""


def _person(value: object) -> Person:
    if not isinstance(value, dict):
        raise PayloadError("each person in who must be an object")
    return Person(
        _text(value, "name", "who"), _text(value, "position", "who"), _text(value, "unit", "who")
    )
