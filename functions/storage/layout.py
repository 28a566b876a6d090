"""Every key an object is stored under, spelled once: the table "Stored objects" of
docs/architecture.md, which a test holds this module to.

The API, the upload protocol and the inspector's tool (its cache keeps the same keys) all
build and recognise keys here. ``<ID>`` is a report's id (``functions.envelope.ID_RE``), which
is also its registration number; a message's or a note's name starts with the time it was
stored, so that a listing is oldest first.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal

from functions.envelope import ID_RE

Sender = Literal["reporter", "inspectorate"]

REPORTS = "reports/"
MAILBOXES = "mailboxes/"
NOTES = "notes/"
ATTACHMENTS = "attachments/"
UPLOADS = "uploads/"
PROOFS = "proofs/"
DESKS = "desks/"
SHARES = "shares/"
PREFIXES = (REPORTS, MAILBOXES, NOTES, ATTACHMENTS, UPLOADS, PROOFS, DESKS, SHARES)

JSON = ".json"
VERIFIER = "verifier.json"
SLOTS = "slots/"  # a case's reservations, below its uploads/ and mailboxes/ folders
STAMP = "%Y%m%dT%H%M%S%fZ"  # a name's first part: the time it was stored, to the microsecond
MESSAGE_NAME_RE = re.compile(r"(\d{8}T\d{12}Z)-(reporter|inspectorate)-([0-9a-f]{8})\.json")
NOTE_NAME_RE = re.compile(r"(\d{8}T\d{12}Z)-([0-9a-f]{16})-([0-9a-f]{8})\.json")
DESK = "[a-z0-9][a-z0-9-]{0,47}"  # functions.keyring.DESK_ID_RE
GRANT_KEY_RE = re.compile(rf"desks/({DESK})/([1-9][0-9]{{0,4}})/([0-9a-f]{{16}})\.json")
SHARE_NAME_RE = re.compile(rf"(\d{{8}}T\d{{12}}Z)-({DESK})\.json")


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime(STAMP)


def _case_key(prefix: str, key: str, name_re: re.Pattern[str]) -> re.Match[str] | None:
    """The match of a ``<prefix><ID>/<name>`` key's name, or None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] + "/" != prefix or not ID_RE.fullmatch(parts[1]):
        return None
    return name_re.fullmatch(parts[2])


# --- reports/<ID>.json: the report, sealed to the keyring --------------------------------


def report(report_id: str) -> str:
    return f"{REPORTS}{report_id}{JSON}"


def report_id(key: str) -> str | None:
    """``reports/<ID>.json`` -> ``<ID>``; None for any other key."""
    if not (key.startswith(REPORTS) and key.endswith(JSON)):
        return None
    candidate = key[len(REPORTS) : -len(JSON)]
    return candidate if ID_RE.fullmatch(candidate) else None


# --- mailboxes/<ID>/: the verifier that opens it, then the messages ---------------------


def mailbox(report_id: str) -> str:
    return f"{MAILBOXES}{report_id}/"


def verifier(report_id: str) -> str:
    """``{"received", "verifier", "report", "signing_key", "desks"}``, written once when the
    report arrives: it opens the mailbox, apart from the report, so that the public functions
    never read a report."""
    return mailbox(report_id) + VERIFIER


def message(report_id: str, moment: datetime.datetime, sender: Sender, digest: str) -> str:
    """``mailboxes/<ID>/<stamp>-<sender>-<digest>.json``."""
    return f"{mailbox(report_id)}{_stamp(moment)}{message_ending(sender, digest)}"


def message_ending(sender: Sender, digest: str) -> str:
    """The end of a message's name, the same for every copy of one envelope."""
    return f"-{sender}-{digest}{JSON}"


def sender(key: str) -> Sender | None:
    """The sender named in a message's name, or None if the name is not a message's."""
    match = MESSAGE_NAME_RE.fullmatch(key.rpartition("/")[2])
    return None if match is None else match.group(2)  # type: ignore[return-value]


def message_digest(key: str) -> str | None:
    """The digest (8 hex digits) named in a message's name, or None if it is not a message's."""
    match = MESSAGE_NAME_RE.fullmatch(key.rpartition("/")[2])
    return None if match is None else match.group(3)


def is_message(key: str) -> bool:
    """``mailboxes/<ID>/<stamp>-<sender>-<digest>.json``, and nothing else."""
    return _case_key(MAILBOXES, key, MESSAGE_NAME_RE) is not None


def stored_at(key: str) -> datetime.datetime | None:
    """The time a message's or a note's name says it was stored, or None for any other key."""
    name = key.rpartition("/")[2]
    match = MESSAGE_NAME_RE.fullmatch(name) or NOTE_NAME_RE.fullmatch(name)
    if match is None:
        return None
    s = match.group(1)  # YYYYMMDDTHHMMSSffffffZ; read by hand: strptime is slow per message
    date, time, micro = (int(s[0:4]), int(s[4:6]), int(s[6:8])), s[9:15], int(s[15:21])
    try:
        return datetime.datetime(
            *date, int(time[0:2]), int(time[2:4]), int(time[4:6]), micro, tzinfo=datetime.UTC
        )
    except ValueError:  # a month 13: the pattern matched, the time does not exist
        return None


def case_of(key: str) -> str:
    """The ``<ID>`` of a key below a case's folder (``mailboxes/<ID>/…``, ``notes/<ID>/…``)."""
    return key.partition("/")[2].partition("/")[0]


# --- notes/<ID>/: internal notes and access records, never served by the public API -----


def notes(report_id: str) -> str:
    return f"{NOTES}{report_id}/"


def note(report_id: str, moment: datetime.datetime, author: str, digest: str) -> str:
    """``notes/<ID>/<stamp>-<kid>-<digest>.json``."""
    return f"{notes(report_id)}{_stamp(moment)}-{author}-{digest}{JSON}"


def is_note(key: str) -> bool:
    """``notes/<ID>/<stamp>-<kid>-<digest>.json``, and nothing else."""
    return _case_key(NOTES, key, NOTE_NAME_RE) is not None


# --- attachments/<ID>/<file id> and its grant record uploads/<ID>/<file id>.json ---------


def attachments(report_id: str) -> str:
    return f"{ATTACHMENTS}{report_id}/"


def attachment(report_id: str, file_id: str) -> str:
    return f"{attachments(report_id)}{file_id}"


def upload_records(report_id: str) -> str:
    return f"{UPLOADS}{report_id}/"


def upload_record(report_id: str, file_id: str) -> str:
    return f"{upload_records(report_id)}{file_id}{JSON}"


def upload_file_id(key: str) -> str | None:
    """``uploads/<ID>/<file id>.json`` -> ``<file id>``; None for any other key (a
    reservation's, for one)."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] + "/" != UPLOADS or not ID_RE.fullmatch(parts[1]):
        return None
    file_id = parts[2].removesuffix(JSON)
    return file_id if parts[2].endswith(JSON) and ID_RE.fullmatch(file_id) else None


# --- reservations: uploads/<ID>/slots/<n>.json and mailboxes/<ID>/slots/<n>.json ---------
# What the per-case limits count (functions/reservations.py): numbered from 1, create-only,
# never in a listing of messages (``is_message``) or of grant records (``upload_file_id``).


def upload_slots(report_id: str) -> str:
    return f"{upload_records(report_id)}{SLOTS}"


def upload_slot(report_id: str, number: int) -> str:
    """``uploads/<ID>/slots/<n>.json``: ``{"files": [{"id", "size"}, …]}``, one grant request."""
    return f"{upload_slots(report_id)}{_number(number)}{JSON}"


def followup_slots(report_id: str) -> str:
    return f"{mailbox(report_id)}{SLOTS}"


def followup_slot(report_id: str, number: int) -> str:
    """``mailboxes/<ID>/slots/<n>.json``: ``{"envelope", "stamp"}``, one follow-up."""
    return f"{followup_slots(report_id)}{_number(number)}{JSON}"


def _number(number: int) -> str:
    if number < 1:
        raise ValueError("reservations are numbered from 1")
    return str(number)


# --- desks/<desk>/<generation>/<kid>.json: membership grants (docs/spec/desks-v2.md) ----


def desk_grants(desk: str | None = None) -> str:
    """The folder of one desk's grants, or of every desk's."""
    return DESKS if desk is None else f"{DESKS}{desk}/"


def desk_grant(desk: str, generation: int, member: str) -> str:
    """``desks/<desk>/<generation>/<kid>.json``: one generation of a desk's key, sealed to one
    member and signed by its granter."""
    return f"{desk_grants(desk)}{generation}/{member}{JSON}"


def parse_desk_grant(key: str) -> tuple[str, int, str] | None:
    """``desks/<desk>/<generation>/<kid>.json`` -> (desk, generation, kid); None otherwise."""
    match = GRANT_KEY_RE.fullmatch(key)
    return None if match is None else (match.group(1), int(match.group(2)), match.group(3))


# --- shares/<ID>/<stamp>-<desk>.json: case grants (docs/spec/desks-v2.md section 5) -----


def shares(report_id: str) -> str:
    return f"{SHARES}{report_id}/"


def share(report_id: str, moment: datetime.datetime, desk: str) -> str:
    """``shares/<ID>/<stamp>-<desk>.json``: a case's content keys sealed to another desk."""
    return f"{shares(report_id)}{_stamp(moment)}-{desk}{JSON}"


def share_desk(key: str) -> str | None:
    """The desk a case grant's name says it was shared with; None for any other key."""
    match = _case_key(SHARES, key, SHARE_NAME_RE)
    return None if match is None else match.group(2)


# --- proofs/<sha256 of a challenge>: a spent proof of work ------------------------------


def proof(marker: str) -> str:
    return f"{PROOFS}{marker}"
