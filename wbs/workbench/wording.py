"""The workbench's own words for what went wrong, in the page's language and without the
command line's flags and commands: the CLI's texts (each error's message and hint) stay the
CLI's. An error the workbench raises itself is a ``Said``, already in the page's words."""

from __future__ import annotations

from collections.abc import Callable

from functions.errors import StorageError, WbsError
from functions.keyring import KeyringError
from wbs.attachments import AttachmentError
from wbs.cases.opening import NotAddressed
from wbs.cases.readers import CannotWrite
from wbs.keyfile import KeyFileError, WrongPassphrase
from wbs.replies import CannotAnswer
from wbs.workbench.files import TooLarge

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
            _("Save it into a folder instead (“Save into a folder” below)."),
        )
    if isinstance(exc, KeyringError):
        return _("The institution's keyring cannot be read."), _("Ask the admin for it.")
    if isinstance(exc, (StorageError, AttachmentError)):
        return _("The stored copy cannot be read: %(why)s") % {"why": exc}, ""
    if isinstance(exc, OSError):
        return _("A file cannot be read or written: %(why)s") % {"why": exc.strerror or exc}, ""
    return str(exc), ""
