"""Opening one case's report from the cache, with the reason in words when it cannot be."""

from __future__ import annotations

from functions.errors import EnvelopeError, WbsError
from wbs import registration
from wbs.cache import Cache
from wbs.crypto import DecryptionError, NoMatchingKey
from wbs.reports import PayloadError, Reader, Report, Stored, parse_stored

# What can go wrong with one report without stopping the others.
UNREADABLE = (EnvelopeError, DecryptionError, PayloadError)


class NotAddressed(WbsError, ValueError):
    """A report sealed to other keys than this inspector's; ``kids`` are the keys it is
    sealed to."""

    def __init__(self, message: str, hint: str, kids: tuple[str, ...]) -> None:
        super().__init__(message, hint=hint)
        self.kids = kids


def open_report(cache: Cache, unlocked: Reader, report_id: str) -> Report:
    stored: Stored | None = None
    try:
        stored = parse_stored(report_id, cache.read(report_id))
        return unlocked.open(stored)
    except UNREADABLE as exc:
        message = f"report {registration.display(report_id)}: {exc}"
        if isinstance(exc, NoMatchingKey) and stored is not None:
            kids = tuple(r.kid for r in stored.envelope.recipients)
            raise NotAddressed(message, why(exc, stored), kids) from None
        raise WbsError(message, hint=why(exc, stored)) from None


def why(exc: Exception, stored: Stored | None) -> str:
    if isinstance(exc, NoMatchingKey) and stored is not None:
        kids = ", ".join(r.kid for r in stored.envelope.recipients)
        return f"it is addressed to key(s) {kids}; open it with one of them: --key PATH"
    if isinstance(exc, DecryptionError):
        return "the stored copy was altered or damaged; its ciphertext no longer verifies"
    if isinstance(exc, PayloadError):
        return "it decrypted, but holds no report this version of wbs can read"
    return "the stored object is not a well-formed report"
