"""Writing plaintext out of the workbench, into a folder the inspector typed in the page.

The same rules as `wbs inbox export` and `wbs inbox case-file`: the folder is created (mode
0700) if missing and refused inside the project, a git work tree, keys/ or site/
(wbs/export.py); every file is new (mode 0600), under a safe name, never replacing one
(" (2)", " (3)"…); an evidence file is streamed and decrypted chunk by chunk into a
temporary file that gets its name only when its size and SHA-256 check out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from functions.errors import StorageError, WbsError
from functions.storage import Storage
from wbs import view
from wbs.attachments import Attachment, AttachmentError
from wbs.cases import case_file as casefile
from wbs.cases import evidence as stored_evidence
from wbs.export import free_path, prepare_folder, safe_name


class Saved(NamedTuple):
    path: Path | None  # None when it failed
    label: str  # the file's name, as shown
    failure: WbsError | OSError | None = None  # why it failed, for the page to word


def folder(typed: str) -> Path:
    """The folder the inspector typed: absolute or ~, created, and not an unsafe place."""
    text = typed.strip()
    if not text or "\x00" in text:
        raise WbsError("type the folder to save into", hint="for example ~/kasus/<number>")
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise WbsError(
            f"{text} is not a full path",
            hint="type a folder from the top, e.g. ~/kasus/<number> or /media/usb/kasus",
        )
    return prepare_folder(path)


def case_file(target: Path, report_id: str, text: str, variant: str = casefile.FULL) -> Path:
    path = free_path(target, casefile.file_name(report_id, variant))
    casefile.write(path, text, report_id)
    return path


def evidence(
    store: Storage, report_id: str, entries: Iterable[Attachment], target: Path
) -> list[Saved]:
    """Decrypt each file into ``target``; one that fails is named and the others go on."""
    saved: list[Saved] = []
    for entry in entries:
        label = view.clean(entry.name) or entry.id
        path = free_path(target, safe_name(entry.name, entry.id))
        try:
            stored_evidence.save(store, report_id, entry, path, label)
        except (AttachmentError, StorageError, OSError) as exc:
            saved.append(Saved(None, label, exc))
        else:
            saved.append(Saved(path, label))
    return saved
