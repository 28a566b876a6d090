"""The desks a case was shared with, as the function sees them (docs/spec/desks-v2.md
section 5): the case grants stored under ``shares/<ID>/``, each verified against the
keyring before it counts.

An inspector shares a case with another desk by writing a signed case grant; from then on
the reporter's follow-ups are sealed to that desk too, which ``GET /api/mailbox`` tells the
page and ``POST /api/mailbox`` checks. The function cannot open a grant (it holds no key) and
need not: what it checks is who signed it, over what. A grant that is malformed, stored under
a name that disagrees with it, names a desk generation the keyring does not have, or is not
signed by a signing key of the keyring, is ignored and logged by its object's name alone.
The check is wbs/desks/grants.py's ``parse`` and ``check``, with python-ecdsa for PyNaCl.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions import ed25519
from functions import envelope as fmt
from functions.errors import EnvelopeError, NotFound, WbsError
from functions.keyring import DESK_ID_RE, Keyring
from functions.log import logger
from functions.signature import parse as parse_signature
from functions.storage import Storage, layout

FORMAT = "wbs-case-grant/2"
CONTEXT = b"wbs/v2/case-grant"
FIELDS = frozenset(
    {"format", "id", "desk", "generation", "desk_kid", "granted", "sealed", "signature"}
)
MAX_SEALED = 4 * 1024 * 1024  # wbs/desks/grants.py's limit


class ShareError(WbsError, ValueError):
    """A stored case grant does not count: malformed, misnamed, or not verified."""


def signed_bytes(body: dict[str, Any]) -> bytes:
    """``"wbs/v2/case-grant" || 0x00 || canonical JSON of the grant without "signature"``."""
    return CONTEXT + b"\x00" + fmt.canonical_json(body)


def verified_desk(key: str, data: bytes, ring: Keyring) -> str:
    """The desk the case grant stored under ``key`` shares its case with, once the grant
    checks out against ``ring``; ShareError saying why not otherwise."""
    desk = layout.share_desk(key)
    if desk is None:
        raise ShareError("not a case grant's name")
    try:
        doc = fmt.loads_strict(data)
    except EnvelopeError as exc:
        raise ShareError(str(exc)) from None
    if not isinstance(doc, dict) or set(doc) != FIELDS or doc["format"] != FORMAT:
        raise ShareError(f"not a {FORMAT} document")
    if doc["desk"] != desk or doc["id"] != layout.case_of(key):
        raise ShareError("the grant inside is for another case or desk")
    generation, desk_kid = doc["generation"], doc["desk_kid"]
    if not isinstance(desk, str) or not DESK_ID_RE.fullmatch(desk):
        raise ShareError("desk is not a desk id")
    if type(generation) is not int or not isinstance(doc["granted"], str):
        raise ShareError("generation must be a whole number and granted a time")
    entry = next((d for d in ring.generations(desk) if d.generation == generation), None)
    if entry is None or entry.kid != desk_kid:
        raise ShareError("the keyring has no such desk generation")
    try:
        sealed = fmt.b64decode(doc["sealed"], "sealed")
        signature = parse_signature(doc["signature"])
    except EnvelopeError as exc:
        raise ShareError(str(exc)) from None
    if len(sealed) > MAX_SEALED:
        raise ShareError("sealed is larger than 4 MiB")
    signer = ring.signing_keys().get(signature.by)
    if signer is None:
        raise ShareError("it is not signed by a key of the keyring")
    body = {name: value for name, value in doc.items() if name != "signature"}
    if not ed25519.verifies(signer, signature.sig, signed_bytes(body)):
        raise ShareError("its signature does not verify")
    return desk


def shared_desks(
    storage: Storage, report_id: str, ring: Keyring, known: Iterable[str] = ()
) -> frozenset[str]:
    """The desks the case was shared with by a verified case grant. Desks in ``known`` (the
    case's own) are not checked again: a grant to one of them adds nothing."""
    found = set(known)
    shared: set[str] = set()
    for item in storage.list(layout.shares(report_id)):
        desk = layout.share_desk(item.key)
        if desk is None or desk in found:
            continue  # another object, or a desk already counted: nothing to verify
        try:
            desk = verified_desk(item.key, storage.get(item.key), ring)
        except (ShareError, NotFound):
            logger.warning("case grant ignored", object_name=item.key.rpartition("/")[2])
            continue
        found.add(desk)
        shared.add(desk)
    return frozenset(shared)
