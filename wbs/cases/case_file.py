"""A case file for the investigation record (issue 7): one self-contained HTML file with the
report, its files' hashes, the status history, the thread and the internal notes.

Rendered from the case as wbs/cases/inbox.py opens it, with the workbench's templates and
catalogues, so both show the same fields. The file holds no script and no
reference to anything outside it (its style is inline), so it opens the same offline, years
later; every text is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import jinja2

from functions.errors import WbsError
from functions.storage import Storage
from wbs import audit, notes, registration, statuses, view
from wbs.attachments import Attachment
from wbs.cases import evidence, readers
from wbs.cases.inbox import Case

TEMPLATE = "casefile.html"


def file_name(report_id: str) -> str:
    """``kasus-7K3M-Q2X9-ABCD-EFGH.html``: the registration number, nothing a report wrote."""
    return f"kasus-{registration.display(report_id)}.html"


class Checked(NamedTuple):
    """A file's SHA-256, computed now from storage; or why it could not be."""

    sha256: str
    problem: str


class _Discard:
    def write(self, data: bytes, /) -> None:
        pass


def check_files(open_storage: Callable[[], Storage], case: Case) -> dict[str, Checked]:
    """Decrypt every evidence file of the case from storage, chunk by chunk, and keep only
    its SHA-256: the page seals the manifest before it reads the files, so a browser's
    report states none (attachment-v1 section 4). A missing or altered file is named."""
    entries = evidence.entries(case.report, case.thread)
    if not entries:
        return {}
    try:
        store = open_storage()
    except WbsError as exc:
        return {entry.id: Checked("", str(exc)) for entry in entries}
    return {entry.id: _check(store, case.report.id, entry) for entry in entries}


def _check(store: Storage, report_id: str, entry: Attachment) -> Checked:
    try:
        return Checked(evidence.decrypt(store, report_id, entry, _Discard()), "")
    except (WbsError, OSError) as exc:
        return Checked("", str(exc))


def render(
    env: jinja2.Environment,
    lang: str,
    case: Case,
    internal: notes.Notes,
    exporter: str,
    now: datetime.datetime,
    checked: Mapping[str, Checked],
    person: Callable[[str], str],
    shares: Iterable[readers.Share] = (),
    desk_label: Callable[[str, int], str] = readers.desk_label,
) -> str:
    """The case file as text; ``exporter`` is the key id of the inspector who exports it,
    ``checked`` the files' hashes computed by ``check_files``, ``person`` how a key id is
    shown (its holder's label), ``shares`` the case grants of the audit trail and
    ``desk_label`` how a desk generation is named."""
    exported = now.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return env.get_template(TEMPLATE).render(
        lang=lang,
        case=case,
        notes=internal,
        checked=checked,
        events=audit.trail(case.report, case.thread, internal, shares, desk_label),
        exporter=exporter,
        exported=exported,
        zone=view.local_zone(),
        initial=statuses.INITIAL,
        person=person,
    )


def write(path: Path, text: str, report_id: str) -> None:
    """Write the case file as a new file (mode 0600): an existing one is never replaced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WbsError(
            f"{path} exists: refusing to overwrite it",
            hint="choose a new file name, e.g. " + file_name(report_id),
        ) from None
    except OSError as exc:
        raise WbsError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
