"""Opening one case's report from the cache, with the reason in words when it cannot be: for a
report sealed to desks this inspector holds no key of, which desks would open it and who
holds them (wbs/cases/readers.py)."""

from __future__ import annotations

from functions.errors import EnvelopeError, WbsError
from wbs import registration
from wbs.cache import Cache
from wbs.cases import readers
from wbs.crypto import DecryptionError, NoMatchingKey
from wbs.reports import PayloadError, Reader, Report, Stored, parse_stored

# What can go wrong with one report without stopping the others.
UNREADABLE = (EnvelopeError, DecryptionError, PayloadError)
NO_KEYRING = "name the institution's keyring: --keyring PATH (or WBS_KEYRING)"
ASK = "ask one of them to add you to the desk (wbs desks add), then: wbs inbox sync"


class NotAddressed(WbsError, ValueError):
    """A report sealed to keys this inspector does not hold; ``kids`` are the keys it is
    sealed to, ``readers`` the desks that would open it and who holds them, ``why`` that in
    words."""

    def __init__(
        self, message: str, hint: str, kids: tuple[str, ...], found: readers.CaseReaders, why: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.kids = kids
        self.readers = found
        self.why = why


def open_report(
    cache: Cache,
    unlocked: Reader,
    report_id: str,
    directory: readers.Directory | None = None,
) -> Report:
    """The decrypted report; WbsError saying why not (NotAddressed: who could open it,
    named with ``directory``, by default the keyring's and the cache's grants)."""
    stored: Stored | None = None
    try:
        stored = parse_stored(report_id, cache.read(report_id))
        return unlocked.open(stored)
    except UNREADABLE as exc:
        number = registration.display(report_id)
        if isinstance(exc, NoMatchingKey) and unlocked.ring is None:
            raise WbsError(
                f"report {number} is sealed to no key you hold: without a keyring no desk key"
                " is opened",
                hint=NO_KEYRING,
            ) from None
        if isinstance(exc, NoMatchingKey) and stored is not None:
            kids = tuple(r.kid for r in stored.envelope.recipients)
            directory = directory or readers.Directory.of(unlocked, cache)
            found = readers.case_readers(cache, directory, report_id)
            explained = readers.explain(found, directory)
            raise NotAddressed(
                f"report {number} is sealed to no key you hold",
                f"{explained}; {ASK}" if found.sealed or found.shared else explained,
                kids,
                found,
                explained,
            ) from None
        raise WbsError(f"report {number}: {exc}", hint=why(exc, stored)) from None


def why(exc: Exception, stored: Stored | None) -> str:
    if isinstance(exc, NoMatchingKey) and stored is not None:
        kids = ", ".join(r.kid for r in stored.envelope.recipients)
        return f"it is addressed to key(s) {kids}; open it with one of them: --key PATH"
    if isinstance(exc, DecryptionError):
        return "the stored copy was altered or damaged; its ciphertext no longer verifies"
    if isinstance(exc, PayloadError):
        return "it decrypted, but holds no report this version of wbs can read"
    return "the stored object is not a well-formed report"
