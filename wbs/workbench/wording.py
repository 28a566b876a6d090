"""The workbench's own words for what went wrong, in the page's language and without the
command line's flags and commands: the CLI's texts (each error's message and hint) stay the
CLI's. An error the workbench raises itself is a ``Said``, already in the page's words."""

from __future__ import annotations

import errno
from collections.abc import Callable

from functions.errors import Denied, EnvelopeError, NotFound, StorageError, WbsError
from functions.keyring import KeyringError
from wbs.attachments import AttachmentError
from wbs.cases.opening import NotAddressed
from wbs.cases.readers import CannotWrite
from wbs.crypto import DecryptionError
from wbs.export import UnsafeExport
from wbs.keyfile import KeyFileError, WrongPassphrase
from wbs.messages import MessageError
from wbs.replies import CannotAnswer
from wbs.reports import PayloadError
from wbs.signing import CannotSign
from wbs.workbench.files import TooLarge
from wbs.workbench.session import Locked

Gettext = Callable[[str], str]


class Said(WbsError, ValueError):
    """A refusal of the workbench, worded for its page (``hint``: what to do instead)."""

    def __init__(self, text: str, hint: str = "") -> None:
        super().__init__(text, hint=hint)


def said(exc: WbsError | OSError, _: Gettext) -> tuple[str, str]:
    """What the page says about ``exc``: a text and a hint ("" for none), in the page's
    language. An error kind the workbench has no words for keeps its message, never its
    hint, which names commands."""
    if isinstance(exc, Said):
        return str(exc), exc.hint or ""
    if isinstance(exc, WrongPassphrase):
        return (
            _("Wrong passphrase: the key stays locked."),
            _("Type it again exactly as you chose it; capital letters count."),
        )
    if isinstance(exc, KeyFileError):
        return _("Your key file cannot be opened."), _("Ask the admin who gave you the key.")
    if isinstance(exc, NotAddressed):
        return _("This report is sealed to desks whose keys you do not hold."), ""
    if isinstance(exc, CannotWrite):
        return (
            _("Nothing was sent: none of the desks that read this case is one whose key you hold."),
            _("Ask a holder of one of its desks to add you to the desk, then press “Sync now”."),
        )
    if isinstance(exc, CannotAnswer):
        return _("Nothing was sent: this report carries no usable key to answer its reporter."), ""
    if isinstance(exc, TooLarge):
        return (
            _("This file is too large to open in the page."),
            _("Save it into a folder instead (“Save into the export folder”)."),
        )
    if isinstance(exc, KeyringError):
        return _("The institution's keyring cannot be read."), _("Ask the admin for it.")
    if isinstance(exc, CannotSign):
        return (
            _("Nothing was sent: your key was made before keys could sign what they write."),
            _("Ask the admin to give your key its signing key; it keeps its passphrase."),
        )
    if isinstance(exc, UnsafeExport):
        return (
            _(
                "Nothing was saved: plaintext never goes into this folder, which is or lies in a"
                " repository, the keyring's folder or the site's."
            ),
            _("Choose a folder of your own, for example ~/kasus, or an encrypted drive."),
        )
    if isinstance(exc, AttachmentError):
        return (
            _(
                "This evidence file cannot be opened: it is missing or not the file the report"
                " names (its size or SHA-256 differs)."
            ),
            _("Tell the admin: the stored copy may have been damaged or replaced."),
        )
    if isinstance(exc, (DecryptionError, EnvelopeError, PayloadError, MessageError)):
        return (
            _(
                "A stored record of this case cannot be opened: it is damaged, or not what it"
                " claims to be."
            ),
            _("Tell the admin: the stored copy may have been damaged or replaced."),
        )
    return _storage(exc, _) or _file(exc, _) or (str(exc), "")


def _storage(exc: WbsError | OSError, _: Gettext) -> tuple[str, str] | None:
    if isinstance(exc, Locked):
        return _("The key was locked meanwhile: nothing was sent."), _("Unlock it, then try again.")
    if isinstance(exc, NotFound):
        return (
            _("A record this needs is missing from storage."),
            _("Press “Sync now”, then try again; if it is still missing, tell the admin."),
        )
    if isinstance(exc, Denied):
        return (
            _("Storage refuses your key this record."),
            _("Ask the admin whether your key is a member of the case's desks."),
        )
    if isinstance(exc, StorageError):
        return (
            _("Storage cannot be reached, or refused the request."),
            _("Check the network connection, then try again: what was done before is kept."),
        )
    return None


def _file(exc: WbsError | OSError, _: Gettext) -> tuple[str, str] | None:
    """A file of this computer that cannot be read or written, named by its path."""
    if not isinstance(exc, OSError):
        return None
    where = {"file": exc.filename or _("a file")}
    if exc.errno == errno.ENOSPC:
        return _("The disk is full: %(file)s cannot be written.") % where, ""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _("This computer does not let the workbench use %(file)s.") % where, ""
    return _("%(file)s cannot be read or written on this computer.") % where, ""


def sync_stopped(exc: BaseException, _: Gettext) -> tuple[str, str]:
    """Why a sync stopped: what it fetched before is kept."""
    why = said(exc, _)[0] if isinstance(exc, (WbsError, OSError)) else _("An unexpected error.")
    return (
        _("The sync stopped. %(why)s") % {"why": why},
        _("What it fetched before is kept: press “Sync now” to go on."),
    )


def unsent(count: int, _: Gettext) -> tuple[str, str]:
    """Access records waiting in this computer for a sync to send them."""
    return (
        _("Records of what was opened or saved here are not in storage yet (%(n)s).")
        % {"n": count},
        _("The next sync sends them."),
    )


def access_unrecorded(waiting: bool, _: Gettext) -> tuple[str, str]:
    """An access that is not in the case's audit trail yet (``waiting``: the next sync sends
    it), or not at all."""
    if waiting:
        return _("This access is recorded on this computer; the next sync stores it."), ""
    return (
        _("This access could not be put into the case's audit trail."),
        _("Ask the admin whether your key is still active in the institution's keyring."),
    )


def grants_left_out(count: int, _: Gettext) -> tuple[str, str]:
    """Desk memberships or shared cases that did not open, or failed their checks."""
    return (
        _(
            "Some desk memberships or shared cases (%(n)s) did not pass their checks and are not"
            " used."
        )
        % {"n": count},
        _(
            "The cases they would open stay unreadable here: ask a member of the desk to grant it"
            " to you again."
        ),
    )
