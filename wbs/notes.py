"""Internal notes: what inspectors write about a case for each other, never for the reporter
(docs/spec/mailbox-v1.md section 7).

A note is an envelope of kind ``note`` sealed to the case's desks (the active generation of
each) and the recovery key only, never to the reporter's key nor to a person
(docs/spec/desks-v2.md; wbs/cases/readers.py says which desks), stored with the
inspector's own credentials under ``notes/<ID>/<stamp>-<kid>-<hash>.json`` = ``{"sent",
"author", "envelope"}``: outside ``mailboxes/``, which is all the public API lists or
serves. Its plaintext is ``{"schema": "wbs-note/1", "text", "written"}``.

The same kind of record, with plaintext ``{"schema": "wbs-access/1", "action", "file",
"written"}``, says that an inspector opened a case or exported plaintext from it: the access
records of the audit trail (wbs/audit.py; mailbox-v1 section 7.1).

And the workflow's records (wbs/cases/workflow.py; mailbox-v1 sections 7.2 and 7.3): who
the case is assigned to (``wbs-assign/1``), a closing decision proposed (``wbs-proposal/1``)
and a second member's approval of it (``wbs-approval/1``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from typing import TYPE_CHECKING, NamedTuple, Protocol

from functions import envelope as fmt
from functions.errors import AlreadyExists, EnvelopeError, NotFound, WbsError
from functions.signature import Signature
from functions.signature import parse as parse_signature
from functions.storage import Storage, layout
from wbs import statuses
from wbs.crypto import DecryptionError, Identity, seal
from wbs.reports import Reader
from wbs.signing import sign

if TYPE_CHECKING:  # wbs.cases.readers reads the cache, which reads notes
    from wbs.cases.readers import Audience

SCHEMA = "wbs-note/1"
ACCESS_SCHEMA = "wbs-access/1"
ACCESS_FIELDS = frozenset({"schema", "action", "file", "written"})
# What an access record may say: the case was opened; its case file, its case file for law
# enforcement (APH: without the reporter's identity), one evidence file, or all its evidence
# files were written out as plaintext.
ACTIONS = frozenset({"opened", "case-file", "case-file-aph", "file", "files"})
ASSIGN_SCHEMA = "wbs-assign/1"
PROPOSAL_SCHEMA = "wbs-proposal/1"
APPROVAL_SCHEMA = "wbs-approval/1"
WORKFLOW_FIELDS = {
    ASSIGN_SCHEMA: frozenset({"schema", "assignee", "written"}),
    PROPOSAL_SCHEMA: frozenset({"schema", "status", "reason", "text", "written"}),
    APPROVAL_SCHEMA: frozenset({"schema", "proposal", "written"}),
}
FIELDS = frozenset({"sent", "author", "envelope"})
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class NoteError(WbsError, ValueError):
    """A stored note is malformed, or cannot be written."""


class Note(NamedTuple):
    """One decrypted note, in memory only."""

    key: str
    author: str  # the key id of the inspector who wrote it
    written: datetime.datetime  # UTC, from inside the ciphertext
    text: str
    unverified: str = ""  # why its signature does not check out; "" when it does


class Access(NamedTuple):
    """One decrypted access record: ``author`` did ``action`` (on evidence ``file``)."""

    key: str
    author: str
    written: datetime.datetime
    action: str
    file: str  # the evidence file's id for "file", else ""
    unverified: str = ""  # why its signature does not check out; "" when it does


class Assignment(NamedTuple):
    """``author`` assigned the case to ``assignee`` (a key id; "" for nobody)."""

    key: str
    author: str
    written: datetime.datetime
    assignee: str
    unverified: str = ""


class Proposal(NamedTuple):
    """``author`` proposed the status change ``status`` (with the reason and text the
    reporter would read), for a second member to approve."""

    key: str
    author: str
    written: datetime.datetime
    status: str
    reason: str
    text: str
    unverified: str = ""

    @property
    def name(self) -> str:
        """What an approval names it by: its record's file name."""
        return self.key.rpartition("/")[2]


class Approval(NamedTuple):
    """``author`` approved the proposal stored under the name ``proposal``."""

    key: str
    author: str
    written: datetime.datetime
    proposal: str
    unverified: str = ""


Workflow = Assignment | Proposal | Approval
Record = Note | Access | Workflow


class Unreadable(NamedTuple):
    key: str
    problem: str


def keys(storage: Storage, report_id: str | None = None) -> list[str]:
    """The stored notes of one case (or of all), oldest first."""
    prefix = layout.notes(report_id) if report_id else layout.NOTES
    return sorted(i.key for i in storage.list(prefix) if layout.is_note(i.key))


def write(
    storage: Storage,
    report_id: str,
    text: str,
    author: Identity,
    audience: Audience,
    now: datetime.datetime,
) -> str:
    """Seal a note to the case's desks and the recovery key (only), sign it, store it
    create-only; return its key."""
    return write_record(storage, report_id, {"schema": SCHEMA, "text": text}, author, audience, now)


def write_record(
    storage: Storage,
    report_id: str,
    document: dict[str, str],
    author: Identity,
    audience: Audience,
    now: datetime.datetime,
) -> str:
    """Seal, sign and store one record create-only (``seal_record``); return its key."""
    key, body = seal_record(report_id, document, author, audience, now)
    try:
        storage.put_new(key, body, desks=audience.desk_ids)
    except AlreadyExists:  # a fresh envelope is unique: this cannot be a retry
        raise NoteError(f"a record is already stored as {key}: nothing was written") from None
    return key


def access(
    report_id: str,
    action: str,
    file: str,
    author: Identity,
    audience: Audience,
    now: datetime.datetime,
) -> tuple[str, bytes]:
    """An access record, sealed and signed like a note: its key and stored bytes (not yet
    stored)."""
    if not _valid_access(action, file):
        raise NoteError(f"not an access record: {action} {file}")
    document = {"schema": ACCESS_SCHEMA, "action": action, "file": file}
    return seal_record(report_id, document, author, audience, now)


def _valid_access(action: str, file: str) -> bool:
    """A known action; an evidence file's id (as a manifest's) for "file", else ""."""
    if action == "file":
        return fmt.ID_RE.fullmatch(file) is not None
    return action in ACTIONS and file == ""


def seal_record(
    report_id: str,
    document: dict[str, str],
    author: Identity,
    audience: Audience,
    now: datetime.datetime,
) -> tuple[str, bytes]:
    """Seal ``document`` (and the time) to ``audience`` (the case's desks and the recovery
    key, ``wbs.cases.readers.audience`` checked that the author holds one), and to nothing
    else, and sign it; return the record's key and the bytes to store there, create-only."""
    if audience.report_id != report_id:
        raise NoteError(f"the keys given are those of report {audience.report_id}")
    moment = now.astimezone(datetime.UTC)
    plaintext = {**document, "written": moment.strftime(TIME_FORMAT)}
    envelope = seal(
        fmt.NOTE,
        report_id,
        json.dumps(plaintext, ensure_ascii=False).encode("utf-8"),
        audience.recipients(),
    )
    signature = sign(author, envelope)
    digest = hashlib.sha256(fmt.canonical_json(envelope.to_json())).hexdigest()[:8]
    key = layout.note(report_id, moment, author.kid, digest)
    body = {
        "sent": moment.strftime(TIME_FORMAT),
        "author": author.kid,
        "envelope": envelope.to_json(),
        "signature": signature.to_json(),
    }
    return key, fmt.canonical_json(body)


def parse(key: str, data: bytes) -> tuple[str, fmt.Envelope, Signature | None]:
    """Check a stored note's wrapper and envelope against its key; (author, envelope, the
    signature if it has one)."""
    match = layout.NOTE_NAME_RE.fullmatch(key.rpartition("/")[2])
    document = fmt.loads_strict(data)
    if not layout.is_note(key) or match is None:
        raise EnvelopeError("not a note's key")
    if not isinstance(document, dict) or document.keys() not in (FIELDS, FIELDS | {"signature"}):
        raise EnvelopeError(
            "a stored note must have exactly sent, author and envelope, and may have a signature"
        )
    sent, author = document["sent"], document["author"]
    if not isinstance(sent, str) or not TIME_RE.fullmatch(sent) or author != match.group(2):
        raise EnvelopeError("the stored note's time or author is malformed")
    envelope = fmt.parse(document["envelope"], fmt.NOTE_KINDS)
    if envelope.id != key.split("/")[1]:
        raise EnvelopeError(f"the note inside belongs to {envelope.id}, not {key.split('/')[1]}")
    signature = parse_signature(document["signature"]) if "signature" in document else None
    return author, envelope, signature


def _valid_workflow(data: dict[str, str]) -> bool:
    """A workflow record has exactly its schema's members: an assignee that is a key id or
    ""; a known status; a proposal named by a record's file name."""
    schema = data.get("schema", "")
    if WORKFLOW_FIELDS.get(schema) != data.keys():
        return False
    if schema == ASSIGN_SCHEMA:
        return data["assignee"] == "" or fmt.KID_RE.fullmatch(data["assignee"]) is not None
    if schema == PROPOSAL_SCHEMA:
        return data["status"] in statuses.STATUSES
    return layout.NOTE_NAME_RE.fullmatch(data["proposal"]) is not None


def _workflow(key: str, author: str, data: dict[str, str]) -> Workflow:
    written = _written(data["written"])
    if data["schema"] == ASSIGN_SCHEMA:
        return Assignment(key, author, written, data["assignee"])
    if data["schema"] == PROPOSAL_SCHEMA:
        return Proposal(key, author, written, data["status"], data["reason"], data["text"])
    return Approval(key, author, written, data["proposal"])


def decode(key: str, author: str, plaintext: bytes) -> Record:
    try:
        data = fmt.loads_strict(plaintext)
    except EnvelopeError as exc:
        raise NoteError(f"decrypted content is {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise NoteError(f"decrypted content is not a {SCHEMA} document")
    if data.get("schema") == ACCESS_SCHEMA and data.keys() == ACCESS_FIELDS:
        action, file = data["action"], data["file"]
        if not _valid_access(action, file):
            raise NoteError(f"decrypted content is not a {ACCESS_SCHEMA} document")
        return Access(key, author, _written(data["written"]), action, file)
    if data.get("schema") in WORKFLOW_FIELDS:
        if not _valid_workflow(data):
            raise NoteError(f"decrypted content is not a {data['schema']} document")
        return _workflow(key, author, data)
    if data.keys() != {"schema", "text", "written"} or data["schema"] != SCHEMA:
        raise NoteError(f"decrypted content is not a {SCHEMA} document")
    return Note(key, author, _written(data["written"]), data["text"])


def _written(value: str) -> datetime.datetime:
    if not TIME_RE.fullmatch(value):
        raise NoteError("the record's time is malformed")
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:  # e.g. month 13: the pattern matched, the date does not exist
        raise NoteError("the record's time is not a real UTC time") from None


def read_one(key: str, data: bytes, unlocked: Reader) -> Record:
    """One record, decrypted, and whether its author's signature checks out."""
    author, envelope, signature = parse(key, data)
    record = decode(key, author, unlocked.decrypt(envelope))
    return record._replace(unverified=unlocked.signers.check(envelope, signature, author))


# What can go wrong with one record without hiding the others.
UNREADABLE = (NotFound, EnvelopeError, DecryptionError, NoteError, OSError)


class NoteSource(Protocol):
    """Where notes are read from: the local cache (wbs.cache.Cache)."""

    def note_keys(self, report: str | None = None) -> list[str]: ...

    def read_message(self, key: str) -> bytes: ...


class Notes(NamedTuple):
    notes: tuple[Note, ...]
    unreadable: tuple[Unreadable, ...]
    access: tuple[Access, ...] = ()  # the access records of the audit trail
    workflow: tuple[Workflow, ...] = ()  # assignments, proposals and approvals


def read(source: NoteSource, unlocked: Reader, report_id: str) -> Notes:
    """Every cached note and access record of a case, decrypted in memory, each in the order
    they were written."""
    found: list[Note] = []
    seen: list[Access] = []
    flow: list[Workflow] = []
    lost: list[Unreadable] = []
    for key in source.note_keys(report_id):
        try:
            record = read_one(key, source.read_message(key), unlocked)
        except UNREADABLE as exc:
            lost.append(Unreadable(key, str(exc)))
            continue
        if isinstance(record, Note):
            found.append(record)
        elif isinstance(record, Access):
            seen.append(record)
        else:
            flow.append(record)
    found.sort(key=lambda n: (n.written, n.key))
    seen.sort(key=lambda n: (n.written, n.key))
    flow.sort(key=lambda n: (n.written, n.key))
    return Notes(tuple(found), tuple(lost), tuple(seen), tuple(flow))
