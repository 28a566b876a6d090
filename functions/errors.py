"""One exception root for the whole project.

Every error a person can cause derives from :class:`WbsError`; subclasses also inherit the
matching built-in (``ValueError``, ``LookupError``...) so callers can catch either. Only the
command line and the HTTP layer turn these into words for people.
"""


class WbsError(Exception):
    """Root of every error raised on purpose by this project."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class EnvelopeError(WbsError, ValueError):
    """An envelope is not well-formed (structure, sizes, encodings)."""


class UnsupportedVersion(EnvelopeError):
    """The envelope names a format version this reader does not implement."""


class StorageError(WbsError):
    """The storage backend failed or refused an operation."""


class AlreadyExists(StorageError, FileExistsError):
    """A create-only write hit an existing object: nothing was overwritten."""


class NotFound(StorageError, LookupError):
    """No object is stored under that key."""


class Denied(StorageError, PermissionError):
    """The store refuses these credentials the object (S3's 403 AccessDenied): on AWS, an
    object of a case whose ``wbs-desks`` tag names none of the reader's desks."""


class InvalidKey(StorageError, ValueError):
    """A storage key is not of the allowed form (path-like, too long, odd characters)."""
