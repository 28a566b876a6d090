"""Signing what an inspector writes, and checking what others wrote (docs/spec/signature-v2.md),
with PyNaCl's Ed25519.

Every reply, status change, note and access record this tool stores is signed by the
inspector's identity; a reader checks each one against the keyring's signing keys. An item
that is unsigned, signed by a key the keyring does not list (or, for a reporter's follow-up,
not by the key its report registers), signed by someone other than
its author, or whose signature does not match its bytes is **not verified**: it is shown,
flagged, and changes no status, deadline, count or audit trail.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nacl.exceptions
from nacl.signing import VerifyKey

from functions import envelope as fmt
from functions.errors import WbsError
from functions.keyring import Keyring, load
from functions.signature import REPORTER, Signature, signed_bytes
from wbs.crypto import Identity


class CannotSign(WbsError, ValueError):
    """The inspector's key file holds no signing key (format 1)."""


def sign(identity: Identity, envelope: fmt.Envelope) -> Signature:
    """The identity's signature of ``envelope``; CannotSign for a key made before keys signed."""
    if identity.signing_key is None:
        raise CannotSign(
            f"your key {identity.kid} cannot sign what you write: it was made before keys could"
            " sign, and nothing was sent",
            hint="give it its signing key (same passphrase): wbs keys upgrade --key PATH",
        )
    signed = identity.signing_key.sign(signed_bytes(envelope, identity.kid))
    return Signature(identity.kid, signed.signature)


class Signers:
    """The keyring's signing keys by key id: whose signatures a reader can check."""

    def __init__(self, keyring: Keyring | None = None, problem: str = "") -> None:
        signing = {} if keyring is None else keyring.signing_keys()
        self.keys = {kid: VerifyKey(key) for kid, key in signing.items()}
        self.labels = {} if keyring is None else {k.kid: k.label for k in keyring.keys}
        if keyring is not None and keyring.recovery is not None:
            self.labels[keyring.recovery.kid] = keyring.recovery.label
        self.problem = problem  # why there is no keyring to check against, if there is none

    def name(self, kid: str) -> str:
        """How a person is shown: the label the keyring gives the key id, else the key id."""
        return self.labels.get(kid, kid)

    def with_reporter(self, key: str) -> Signers:
        """These signers and the reporter of one case: ``key`` is the decrypted report's
        ``reporter_signing_key`` (base64; "" in a report that registered none)."""
        found = copy.copy(self)
        try:
            raw = fmt.b64decode(key, "reporter_signing_key")
            found.keys = {**self.keys, REPORTER: VerifyKey(raw)}
        except (ValueError, TypeError, nacl.exceptions.CryptoError):
            pass  # no usable key: the reporter's follow-ups are not verified (check says why)
        return found

    @classmethod
    def from_keyring(cls, path: Path) -> Signers:
        """The signers of the keyring at ``path``; none, with the reason, if it cannot be read."""
        try:
            return cls(load(path))
        except WbsError as exc:
            return cls(None, f"no keyring to check signatures against ({exc})")

    def check(self, envelope: fmt.Envelope, signature: Signature | None, author: str) -> str:
        """ "" when ``author`` signed these very sealed bytes; else why the item is not
        verified."""
        if signature is None:
            return "it is not signed"
        if signature.by != author:
            return f"it names {author} as its author but is signed by {signature.by}"
        key = self.keys.get(signature.by)
        if key is None and signature.by == REPORTER:
            return "its report registers no signing key for the reporter"
        if key is None:
            return self.problem or f"key {signature.by} is not a signing key of the keyring"
        try:
            key.verify(signed_bytes(envelope, signature.by), signature.sig)
        except nacl.exceptions.BadSignatureError:
            return "its signature does not match what is stored"
        return ""
