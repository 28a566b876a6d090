"""The workbench's WSGI application: a guard in front of a few small pages.

Pages are rendered with Jinja2 (autoescaped: everything in a report was typed by a
stranger) and Babel catalogues of their own (wbs/workbench/locale). Every answer carries
the security headers, a CSP that allows nothing but this origin, and ``Cache-Control:
no-store``: decrypted pages must not reach the browser's disk cache.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup

from functions.envelope import ID_RE
from functions.errors import WbsError
from functions.headers import SECURITY_HEADERS
from functions.keyring import Keyring, load, load_active
from functions.storage import Storage
from wbs import (
    audit,
    deadlines,
    keyfile,
    notes,
    registration,
    stats,
    statuses,
    thread,
    view,
)
from wbs.attachments import Attachment
from wbs.cache import Cache
from wbs.cases import answering, evidence, readers, workflow
from wbs.cases import case_file as casefile
from wbs.cases import inbox as cases
from wbs.cases.opening import NotAddressed
from wbs.config.workflow import NO_RULE, Workflow
from wbs.reports import Reader
from wbs.signing import Signers
from wbs.workbench import drafts, files, ranges, saving, syncjob, wording
from wbs.workbench.guard import Guard, Refusal
from wbs.workbench.session import Session
from wbs.workbench.wording import Said

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MAX_FORM_BYTES = 1024 * 1024
SORTS = ("received", "deadline", "status")  # the inbox's orders; the first is the default
TYPED = {"reply": ("text",), "status": ("status", "reason", "note"), "note": ("text",)}
SYNC_PROGRESS = "/sync/progress"  # polled by workbench.js; not activity for the idle lock
STAY = "/stay"  # "Stay unlocked", pressed in the idle lock's warning (workbench.js)
STATS_PAGES = ("/stats", "/stats/csv", "/stats/summary")  # the page and its two downloads
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # workbench.js asks /sync/progress
        "media-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
# The site's headers, but: this CSP; no HSTS (plain http on the loopback); and a referrer
# policy of same-origin, because under no-referrer browsers send "Origin: null" with a form's
# POST, and the guard needs the real Origin. No referrer ever leaves this origin.
REPLACED = ("Content-Security-Policy", "Strict-Transport-Security", "Referrer-Policy")
HEADERS = [
    *((k, v) for k, v in SECURITY_HEADERS.items() if k not in REPLACED),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
]

StartResponse = Callable[..., Any]


def translations(lang: str) -> Translations:
    """Compile wbs/workbench/locale/<lang>/LC_MESSAGES/workbench.po in memory."""
    po = HERE / "locale" / lang / "LC_MESSAGES" / "workbench.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["clean"] = lambda text: view.clean(text, multiline=True)
    env.filters["when"] = view.received
    env.filters["day"] = view.received_date
    env.filters["rupiah"] = view.rupiah
    env.filters["size"] = view.size
    env.filters["status_label"] = statuses.label
    env.filters["number"] = registration.display
    env.filters["kind"] = files.kind
    return env


@dataclass
class Config:
    """What `wbs workbench` was started with."""

    key: Path
    storage_url: str
    open_storage: Callable[[], Storage]
    keyring: Path
    rules: deadlines.Rules
    workflow: Workflow = NO_RULE  # the config's [workflow]: statuses needing a second member
    lang: str = "id"
    today: Callable[[], datetime.date] = datetime.date.today
    desk_names: Mapping[str, str] = field(default_factory=dict)  # the config's [[desks]] names
    stats_names: stats.Names = field(default_factory=stats.Names)  # the statistics' names


class Workbench:
    def __init__(self, config: Config, guard: Guard, session: Session) -> None:
        self.config = config
        self.guard = guard
        self.session = session
        self.cache = Cache.for_storage(config.storage_url)
        self.env = environment(config.lang)
        self.gettext = translations(config.lang).gettext
        self.sync_job: syncjob.SyncJob | None = None  # the last "sync now", running or done
        self.sync_lock = threading.Lock()
        self.notices: list[tuple[str, str, str]] = []  # (kind, text, hint), shown once
        self.folders: dict[str, str] = {}  # the folder last saved into, per case
        self._directory: tuple[Reader, readers.Directory] | None = None  # of the last reader
        # The workflow records the inbox read (workflow.outline: no text), of the last reader
        self._outlines: tuple[Reader, dict[str, notes.Workflow | None]] | None = None
        self.request = threading.local()  # when the request this thread answers began

    # -- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.request.started = time.monotonic()
        method = environ.get("REQUEST_METHOD", "")
        form = _form(environ) if method == "POST" else {}
        verdict = self.guard.check(environ, form)
        if isinstance(verdict, Refusal):
            return _answer(start_response, verdict.status, verdict.reason.encode(), "text/plain")
        if verdict.redirect is not None:
            return _redirect(start_response, verdict.redirect, verdict.cookie)
        path = environ.get("PATH_INFO", "/")
        if path == SYNC_PROGRESS or path.endswith("/draft"):
            # An open page polls the one and keeps a draft with the other: that is no sign of
            # anyone there (a draft that changed is: Workbench.draft says so)
            self.session.expire()
        else:
            self.session.touch()
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        try:
            answer = self.route(method, path, query, form, start_response, environ)
            return [b""] if method == "HEAD" else answer  # waitress sends a HEAD's body too
        except (WbsError, OSError) as exc:
            text, hint = wording.said(exc, self.gettext)
            back = "/".join(path.split("/")[:3]) if path.startswith("/case/") else "/"
            if method != "POST" and back == (path.rstrip("/") or "/"):
                # The page that failed is the one it would go back to: say why, never loop.
                page = self.problem(exc, start_response)
                return [b""] if method == "HEAD" else page
            self.notice("error", text, hint)
            self.keep_typed(path, form)
            return _redirect(start_response, back)

    def keep_typed(self, path: str, form: Mapping[str, str]) -> None:
        """Keep what was typed into a refused answer form, for the case page to show again
        (in the session's memory only, dropped once shown or at the lock)."""
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "case" and parts[2] in TYPED:
            fields = {k: v for k, v in form.items() if k in TYPED[parts[2]]}
            self.session.typed[parts[1]] = (parts[2], fields)

    def problem(self, exc: WbsError | OSError, start_response: StartResponse) -> Iterable[bytes]:
        """Why a page cannot be shown; for a case sealed to keys this inspector does not
        hold, which desks would open it and who holds them."""
        found = exc.readers if isinstance(exc, NotAddressed) else None
        text, hint = wording.said(exc, self.gettext)
        return self.page(
            start_response,
            "problem.html",
            status="422 Unprocessable Content",
            failure=text,
            hint=hint if found is None else "",
            found=found,
            desk_label=self.directory().desk_label if found else None,
        )

    def route(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        form: Mapping[str, str],
        start_response: StartResponse,
        environ: Mapping[str, Any] | None = None,
    ) -> Iterable[bytes]:
        if path.startswith("/static/") and method in ("GET", "HEAD"):
            return self.static(path.removeprefix("/static/"), start_response)
        if path == SYNC_PROGRESS and method in ("GET", "HEAD"):
            return self.sync_progress(start_response)
        reader = self.session.reader
        if reader is not None:
            reader = self._fresh(reader)
        if path == "/unlock" and method == "POST":
            back = str((environ or {}).get("HTTP_REFERER", ""))
            return self.unlock(form.get("passphrase", ""), back, start_response)
        if reader is None:
            self._outlines = None  # locked (an idle lock too): the inbox's memo goes with it
            if method == "POST":
                return _redirect(start_response, "/")
            return self.page(start_response, "unlock.html", failure="", hint="")
        if path == "/" and method in ("GET", "HEAD"):
            return self.inbox(reader, query, start_response)
        if path in STATS_PAGES and method in ("GET", "HEAD"):
            return self.statistics(reader, path, query, start_response)
        if path == STAY and method == "POST":
            return self.left(start_response)  # the request itself was the activity
        if path == "/lock" and method == "POST":
            self.session.lock()
            self._outlines = None
            return _redirect(start_response, "/")
        if path == "/sync" and method == "POST":
            return self.sync(start_response)
        parts = path.strip("/").split("/")
        if len(parts) in (2, 3, 4) and parts[0] == "case" and ID_RE.fullmatch(parts[1]):
            report_id = parts[1]
            if report_id not in self.cache.ids():
                return self.page(start_response, "missing.html", status="404 Not Found")
            if len(parts) == 2 and method in ("GET", "HEAD"):
                return self.case(reader, report_id, start_response)
            if len(parts) == 3 and parts[2] in casefile.VARIANTS and method in ("GET", "HEAD"):
                return self.case_file(reader, report_id, parts[2], start_response)
            if len(parts) == 3 and method == "POST" and parts[2] == "save":
                return self.save(reader, report_id, form, start_response)
            if len(parts) == 3 and method == "POST" and parts[2] == "draft":
                return self.draft(reader, report_id, form, start_response)
            if len(parts) == 3 and method == "POST" and parts[2] in ("reply", "status", "note"):
                return self.answer(reader, report_id, parts[2], form, start_response)
            if len(parts) == 3 and method == "POST" and parts[2] in ("assign", "approve"):
                return self.decide(reader, report_id, parts[2], form, start_response)
            if len(parts) == 4 and parts[2] == "file" and method in ("GET", "HEAD"):
                download = query.get("download") == "1"
                wanted = _range(method, environ or {})
                return self.file(reader, report_id, parts[3], download, start_response, wanted)
        return self.page(start_response, "missing.html", status="404 Not Found")

    # -- pages --------------------------------------------------------------------------

    def unlock(self, passphrase: str, back: str, start_response: StartResponse) -> Iterable[bytes]:
        """Open the key, and with it the grants of the cache (docs/spec/desks-v2.md); a grant
        that fails its checks is said once, here, and never used. Then back to the case page
        the lock came on (``back``: the Referer), its drafts in their forms, or the inbox."""
        ring, signers = self._keyring()
        try:
            reader = self.session.unlock(passphrase, signers, ring, self.cache.grants())
        except keyfile.KeyFileError as exc:  # WrongPassphrase too
            text, hint = wording.said(exc, self.gettext)
            return self.page(start_response, "unlock.html", failure=text, hint=hint)
        if reader.problems:
            self.notice("error", *wording.grants_left_out(len(reader.problems), self.gettext))
        case = back.removeprefix(f"{self.guard.origin}/case/")
        return _redirect(start_response, f"/case/{case}" if ID_RE.fullmatch(case) else "/")

    def _keyring(self) -> tuple[Keyring | None, Signers]:
        """The keyring grants and signatures are checked against, and its signers; None and
        signers that verify nothing (saying why) if it cannot be read."""
        try:
            ring = load(self.config.keyring)
        except WbsError as exc:
            return None, Signers(None, f"no keyring to check signatures against ({exc})")
        return ring, Signers(ring)

    def _fresh(self, reader: Reader) -> Reader:
        """The session's reader, with the grants a sync has brought since it was built
        opened too (new problems said once)."""
        if reader.ring is None or frozenset(self.cache.grant_keys()) == reader.grant_keys:
            return reader
        ring, _ = self._keyring()
        fresh = self.session.refresh(ring or reader.ring, self.cache.grants())
        if fresh is None:
            return self.session.reader or reader
        new = set(fresh.problems) - set(reader.problems)
        if new:
            self.notice("error", *wording.grants_left_out(len(new), self.gettext))
        return fresh

    def inbox(
        self, reader: Reader, query: Mapping[str, str], start_response: StartResponse
    ) -> Iterable[bytes]:
        found = cases.rows(
            self.cache,
            reader,
            self.config.rules,
            self.config.today(),
            self.session.reports,
            names=self.config.desk_names,
            outlines=self.outlines(reader),
        )
        wanted = {k: query.get(k, "") for k in ("status", "category", "deadline", "q", "who")}
        order = query.get("sort", "") if query.get("sort", "") in SORTS else SORTS[0]
        categories = sorted(
            {(r.report.category_id, r.report.category_label) for r in found if r.report}
        )
        return self.page(
            start_response,
            "inbox.html",
            rows=sorted_rows(
                cases.matching(
                    found,
                    status=[wanted["status"]] if wanted["status"] else [],
                    category=wanted["category"],
                    deadline=wanted["deadline"],
                    q=wanted["q"],
                    handler=wanted["who"] if wanted["who"] in cases.HANDLER_FILTERS else "",
                    me=reader.identity.kid,
                ),
                order,
            ),
            order=order,
            sort_link=lambda by: "/?" + query_string({**wanted, "sort": by}),
            sync_result=self._sync_result(),
            total=len(found),
            unaddressed=sum(1 for r in found if r.unaddressed),
            wanted=wanted,
            categories=categories,
            statuses=statuses.STATUSES,
        )

    def statistics(
        self, reader: Reader, path: str, query: Mapping[str, str], start_response: StartResponse
    ) -> Iterable[bytes]:
        """The statistics of a period (``wbs inbox stats``'s numbers) counted over the
        session's decrypted reports: the page, its CSV or its one-page summary. Nothing is
        stored; a period that cannot be read is refused in the page, the typed values kept."""
        today = self.config.today()
        typed = {"from": query.get("from", "").strip(), "to": query.get("to", "").strip()}
        try:
            start, end = stats.period(_day(typed["from"]), _day(typed["to"]), today)
        except (ValueError, stats.StatsError) as exc:
            wrong = "order" if isinstance(exc, stats.StatsError) else "date"
            return self.page(
                start_response,
                "stats.html",
                status="400 Bad Request",
                typed=typed,
                wrong=wrong,
                found=None,
            )
        found = stats.count(
            self.cache,
            reader,
            self.config.rules,
            start,
            end,
            today,
            self.session.reports,
            names=self.config.stats_names,
        )
        span = f"{start.isoformat()}_{end.isoformat()}"
        if path == STATS_PAGES[1]:
            return _download(
                start_response,
                stats.csv_text(found).encode("utf-8"),
                "text/csv; charset=utf-8",
                f"statistik_{span}.csv",
            )
        if path == STATS_PAGES[2]:
            return _download(
                start_response,
                stats.summary_html(found).encode("utf-8"),
                "text/html; charset=utf-8",
                f"ringkasan_{span}.html",
            )
        shown = {"from": start.isoformat(), "to": end.isoformat()}
        return self.page(
            start_response,
            "stats.html",
            typed=shown,
            wrong="",
            found=found,
            query=query_string(shown),
            charts=stats.charts(found),
            outcomes=stats.OUTCOMES,
            none=stats.NONE,
            unknown=stats.UNKNOWN,
            number=stats.number,
        )

    def case(
        self, reader: Reader, report_id: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        opened = self._load(reader, report_id, mark_read=True)
        if report_id not in self.session.recorded:  # once per unlock, not at every reload
            self.session.recorded.add(report_id)
            self.record(reader, report_id, "opened")
        internal = notes.read(self.cache, reader, report_id)
        form, fields = self.session.typed.pop(report_id, ("", {}))
        kept = self.session.drafts.of(reader.identity, report_id)
        typed = {name: {drafts.FIELDS[name]: text} for name, text in kept.items()}
        if form:
            typed[form] = fields  # what a refused form held, as it was sent
        directory = self.directory()
        found = readers.case_readers(self.cache, directory, report_id)
        label = directory.desk_label
        flow = workflow.state(opened.thread, internal, self.config.workflow)
        events = audit.trail(
            opened.report, opened.thread, internal, found.shares, label, flow.unapproved
        )
        return self.page(
            start_response,
            "case.html",
            case=opened,
            notes=internal,
            found=found,
            desk_label=label,
            events=events,
            folder=self.folders.get(report_id) or _default_folder(report_id),
            statuses=statuses.STATUSES,
            reasons=statuses.REASONS,
            initial=statuses.INITIAL,
            typed=typed,
            flow=flow,
            me=reader.identity.kid,
            name=reader.signers.name,
            assignable=workflow.people(self.cache, directory.ring, report_id),
            second_approval=self.config.workflow.second_approval,
        )

    def case_file(
        self, reader: Reader, report_id: str, variant: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The case file (``variant``: the full one, or the one for law enforcement), as a
        download: written where the inspector's browser saves."""
        self._load(reader, report_id)  # a case this key cannot open is said before any record
        self.record(reader, report_id, variant)
        body = self._case_file_text(reader, report_id, variant).encode("utf-8")
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                (
                    "Content-Disposition",
                    f'attachment; filename="{casefile.file_name(report_id, variant)}"',
                ),
                *HEADERS,
            ],
        )
        return [body]

    def _load(self, reader: Reader, report_id: str, *, mark_read: bool = False) -> cases.Case:
        """One case, decrypted with the session's memo of reports."""
        config = self.config
        cases.report(self.cache, reader, report_id, self.session.reports, self.directory())
        return cases.load_case(
            self.cache,
            reader,
            report_id,
            config.rules,
            config.today(),
            self.session.reports,
            mark_read=mark_read,
        )

    def outlines(self, reader: Reader) -> dict[str, notes.Workflow | None]:
        """The inbox's memo of workflow records, kept while the same reader is unlocked."""
        if self._outlines is None or self._outlines[0] is not reader:
            self._outlines = (reader, {})
        return self._outlines[1]

    def directory(self) -> readers.Directory:
        """Who holds which desk and which case was shared, from the keyring the session's
        reader was built with and the cached grants: built once per reader (a sync that
        brings grants makes a new reader)."""
        reader = self.session.reader
        kept = self._directory
        if reader is None:
            return readers.Directory(Keyring(), (), self.config.desk_names)
        if kept is None or kept[0] is not reader:
            kept = (reader, readers.Directory.of(reader, self.cache, self.config.desk_names))
            self._directory = kept
        return kept[1]

    def _case_file_text(self, reader: Reader, report_id: str, variant: str) -> str:
        case = self._load(reader, report_id)
        if variant == casefile.FOR_APH:
            return casefile.render_for_aph(
                self.env,
                self.config.lang,
                case,
                notes.read(self.cache, reader, report_id),
                reader.identity.kid,
                datetime.datetime.now(datetime.UTC),
                casefile.check_files(self.config.open_storage, case),
                reader.signers.name,
            )
        internal = notes.read(self.cache, reader, report_id)
        return casefile.render(
            self.env,
            self.config.lang,
            case,
            internal,
            reader.identity.kid,
            datetime.datetime.now(datetime.UTC),
            casefile.check_files(self.config.open_storage, case),
            reader.signers.name,
            self.directory().shares(report_id),
            self.directory().desk_label,
            workflow.state(case.thread, internal, self.config.workflow).unapproved,
        )

    def save(
        self,
        reader: Reader,
        report_id: str,
        form: Mapping[str, str],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Write the case file, every evidence file, or one, into the folder typed."""
        typed = form.get("folder", "").strip()
        if not typed or not Path(typed).expanduser().is_absolute():
            raise Said(
                self.gettext("Type the whole path of the folder to save into."),
                self.gettext("For example ~/kasus/%(number)s or /media/usb/kasus.")
                % {"number": registration.display(report_id)},
            )
        target = saving.folder(typed)
        self.folders[report_id] = str(target)
        what = form.get("what", "")
        if what in casefile.VARIANTS:
            self.record(reader, report_id, what)
            text = self._case_file_text(reader, report_id, what)
            path = saving.case_file(target, report_id, text, what)
            self.notice("saved", str(path), "")
            return _redirect(start_response, f"/case/{report_id}")
        report = cases.report(self.cache, reader, report_id, self.session.reports)
        everything = evidence.entries(
            report, thread.read(self.cache, reader, report_id, report.reporter_signing_key)
        )
        if what == "files":
            chosen, action, file = everything, "files", ""
        else:
            chosen, action, file = [e for e in everything if e.id == what], "file", what
        if not chosen:
            raise Said(self.gettext("This case has no such file to save."))
        self.record(reader, report_id, action, file)
        for saved in saving.evidence(self.config.open_storage(), report_id, chosen, target):
            if saved.failure is not None:
                why, hint = wording.said(saved.failure, self.gettext)
                text = self.gettext("%(file)s was not saved. %(why)s")
                self.notice("error", text % {"file": saved.label, "why": why}, hint)
            else:
                self.notice("saved", str(saved.path), "")
        return _redirect(start_response, f"/case/{report_id}")

    def record(self, reader: Reader, report_id: str, action: str, file: str = "") -> None:
        """Put an access into the case's audit trail; say so if it is not stored yet."""
        now = datetime.datetime.now(datetime.UTC)
        config = self.config
        waiting = len(self.cache.pending_keys())
        problem = audit.record(
            config.open_storage, self.cache, report_id, action, config.keyring, reader, now, file
        )
        if problem:  # kept for the next sync if one more record waits, else not written
            kept = len(self.cache.pending_keys()) > waiting
            self.notice("error", *wording.access_unrecorded(kept, self.gettext))

    def file(
        self,
        reader: Reader,
        report_id: str,
        file_id: str,
        download: bool,
        start_response: StartResponse,
        wanted: str = "",
    ) -> Iterable[bytes]:
        """One evidence file, decrypted in memory: whole, or the one byte range ``wanted``
        (a Range header) asks for, so that a browser can seek in a long recording. The last
        file opened stays in the session's memory until the lock, so that each range request
        of a seek does not decrypt it again."""
        report = cases.report(self.cache, reader, report_id, self.session.reports)
        case = thread.read(self.cache, reader, report_id, report.reporter_signing_key)
        entry = evidence.find(report, case, file_id)
        if entry is None:
            return self.page(start_response, "missing.html", status="404 Not Found")
        if download:
            self.record(reader, report_id, "file", file_id)
        data = self._plaintext(reader, report_id, entry)
        content_type, disposition = files.shown_as(entry, download)
        asked = ranges.parse(wanted, len(data)) if wanted else None
        if isinstance(asked, ranges.Unsatisfiable):
            start_response(
                "416 Range Not Satisfiable",
                [
                    ("Content-Type", "text/plain"),
                    ("Content-Length", "0"),
                    ("Content-Range", asked.content_range),
                    ("Accept-Ranges", "bytes"),
                    *HEADERS,
                ],
            )
            return [b""]
        headers = [
            ("Content-Type", content_type),
            ("Accept-Ranges", "bytes"),
            ("Content-Disposition", disposition),
            *HEADERS,
        ]
        if asked is None:
            start_response("200 OK", [("Content-Length", str(len(data))), *headers])
            return [data]
        start_response(
            "206 Partial Content",
            [
                ("Content-Length", str(asked.length)),
                ("Content-Range", asked.content_range),
                *headers,
            ],
        )
        return asked.of(data)

    def _plaintext(self, reader: Reader, report_id: str, entry: Attachment) -> bytes:
        """A file's checked plaintext: the one the session keeps, or decrypted now (and kept
        instead of the last one: one file's plaintext at a time)."""
        kept = self.session.file
        if kept is not None and kept.holds(report_id, entry):
            return kept.data
        self.session.keep_file(reader, None)
        data = files.decrypt(self.config.open_storage(), report_id, entry)
        self.session.keep_file(reader, files.Decrypted(report_id, entry, data))
        return data

    def sync(self, start_response: StartResponse) -> Iterable[bytes]:
        """Start a sync in the background, unless one is running; the page follows it."""
        with self.sync_lock:
            if self.sync_job is None or not self.sync_job.running:
                ring, _ = self._keyring()
                desks = ring.desk_ids() if ring is not None else ()
                self.sync_job = syncjob.SyncJob(self.config.open_storage, self.cache, desks)
                self.sync_job.start()
        return _redirect(start_response, "/")

    def sync_progress(self, start_response: StartResponse) -> Iterable[bytes]:
        """How far the sync has come, as JSON: counts and the error, nothing decrypted."""
        job = self.sync_job
        state = job.progress() if job is not None else syncjob.NOT_STARTED
        body = json.dumps(state.as_json()).encode()
        return _answer(start_response, "200 OK", body, "application/json")

    def answer(
        self,
        reader: Reader,
        report_id: str,
        what: str,
        form: Mapping[str, str],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        here = f"/case/{report_id}"
        now = datetime.datetime.now(datetime.UTC)
        _ = self.gettext
        if what == "reply":
            text = self._text(form)
            case = self._answerable(reader, report_id)
            answering.reply(case, text, now)
            self.notice("sent", "", "")
        elif what == "note":
            text = self._text(form)
            ring = load_active(self.config.keyring)
            store = self.config.open_storage()
            answering.write_note(store, self.cache, report_id, ring, reader, text, now)
            self.notice("note", "", "")
        else:
            new = statuses.resolve(form.get("status", "")) or ""
            if not new:
                raise Said(_("Choose a status."))
            if new == statuses.REJECTED and not statuses.reason(form.get("reason", "")):
                raise Said(
                    _("A rejection needs a reason, which the reporter will read."),
                    _("Choose one of the reasons, or write your own."),
                )
            reason = answering.status_reason(new, form.get("reason", ""))
            case = self._answerable(reader, report_id)
            rule = self.config.workflow
            try:
                done = workflow.decide(case, rule, new, reason, form.get("note", ""), now)
            except workflow.Refused as exc:
                raise self._refused(exc) from None
            except WbsError:
                if thread.read(self.cache, reader, report_id).status != new:
                    raise
                raise Said(
                    _("The case is already %(status)s: nothing was sent.")
                    % {"status": statuses.label(new)},
                    _("To tell the reporter more, send a message."),
                ) from None
            if isinstance(done, workflow.Proposed):
                self.notice(
                    "done",
                    _("Proposed: the reporter sees nothing until another member approves it."),
                    "",
                )
            else:
                self.notice("status", "", "")
        self.session.drafts.forget(report_id, what)  # sent: its draft, if any, goes
        return _redirect(start_response, here)

    def draft(
        self,
        reader: Reader,
        report_id: str,
        form: Mapping[str, str],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Keep what is typed into a case's reply or note form (workbench.js sends it as it
        changes, and before the idle lock): a change is activity, the same text is not."""
        what = form.get("form", "")
        if what not in drafts.FORMS:
            body = json.dumps({"error": "no such form"}).encode()
            return _answer(start_response, "400 Bad Request", body, "application/json")
        if self.session.drafts.keep(reader.identity, report_id, what, form.get("text", "")):
            self.session.touch()
        return self.left(start_response)

    def left(self, start_response: StartResponse) -> Iterable[bytes]:
        """How many seconds are left before the idle lock, as JSON, for workbench.js."""
        body = json.dumps({"left": self.session.left()}).encode()
        return _answer(start_response, "200 OK", body, "application/json")

    def decide(
        self,
        reader: Reader,
        report_id: str,
        what: str,
        form: Mapping[str, str],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Assign the case (form ``assignee``: a key id, "me" or "" for nobody), or approve
        the proposal the page showed (form ``proposal``: its name) and send its status."""
        now = datetime.datetime.now(datetime.UTC)
        _ = self.gettext
        try:
            if what == "assign":
                typed = form.get("assignee", "")
                assignee = reader.identity.kid if typed == "me" else typed
                ring = load_active(self.config.keyring)
                store = self.config.open_storage()
                workflow.assign(store, self.cache, report_id, ring, reader, assignee, now)
                self.notice("done", _("The case is assigned."), "")
            else:
                case = self._answerable(reader, report_id)
                workflow.approve(case, now, form.get("proposal", "") or "-")
                self.notice("status", "", "")
        except workflow.Refused as exc:
            raise self._refused(exc) from None
        return _redirect(start_response, f"/case/{report_id}")

    def _refused(self, exc: workflow.Refused) -> Said:
        """A workflow step refused, in the page's words."""
        _ = self.gettext
        said = {
            "none": _("No proposal awaits approval on this case: nothing was sent."),
            "changed": _("The proposal changed since the page was shown: nothing was sent."),
            "own": _("This proposal is your own: another member must approve it."),
            "proposed": _("Another member proposed this status already: approve it instead."),
            "assigned": _("The case is assigned to this member already."),
            "not-reader": _("This member cannot read the case: nothing was written."),
            "person": _("Choose a member who can read the case."),
            "unsent": _(
                "Your approval waits on this computer: storage cannot be reached, and nothing"
                " was sent to the reporter. Approve again once it can."
            ),
        }
        return Said(said.get(exc.why, str(exc)))

    def _text(self, form: Mapping[str, str]) -> str:
        """The message or note typed, refused when empty."""
        text = form.get("text", "")
        if not text.strip():
            raise Said(self.gettext("The message is empty: nothing was sent."))
        return answering.message_text(text)

    def _answerable(self, reader: Reader, report_id: str) -> answering.Answerable:
        ring = load_active(self.config.keyring)
        return answering.answerable(self.config.open_storage(), self.cache, report_id, ring, reader)

    def static(self, name: str, start_response: StartResponse) -> Iterable[bytes]:
        target = STATIC / name
        if "/" in name or not target.is_file():
            return self.page(start_response, "missing.html", status="404 Not Found")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return _answer(start_response, "200 OK", target.read_bytes(), kind)

    # -- helpers ------------------------------------------------------------------------

    def notice(self, kind: str, text: str, hint: str) -> None:
        self.notices.append((kind, text, hint))

    def page(
        self, start_response: StartResponse, template: str, status: str = "200 OK", **values: Any
    ) -> Iterable[bytes]:
        sync_state = self._sync_state()
        notices, self.notices = self.notices, []
        html = self.env.get_template(template).render(
            lang=self.config.lang,
            csrf=self.guard.form_token,
            unlocked=self.session.reader is not None,
            idle=int(self.session.idle),
            key=self.config.key,
            person=self._person,
            notices=notices,
            sync_state=sync_state,
            **values,
        )
        return _answer(start_response, status, html.encode("utf-8"), "text/html; charset=utf-8")

    def _person(self, kid: str) -> Markup:
        """How a key id is shown: its holder's label in the keyring, once the key is unlocked,
        with the key id in its title; the key id alone for a key the keyring does not name."""
        reader = self.session.reader
        name = kid if reader is None else reader.signers.name(kid)
        key = f"{self.gettext('key')} {kid}"
        return Markup('<span class="person" title="{}">{}</span>').format(key, name)

    def _sync_result(self) -> syncjob.Progress | None:
        """The counts of the last sync, once it has ended well, for the inbox to say once."""
        with self.sync_lock:
            job = self.sync_job
            if job is None or job.result_shown or job.running:
                return None
            if job.finished_at > getattr(self.request, "started", 0.0):
                return None  # shown as running on this page: the reload says it
            state = job.progress()
            if not state.done or state.error:
                return None
            job.result_shown = True
        return state

    def _sync_state(self) -> syncjob.Progress | None:
        """The last sync as the pages show it; once it is over, its error and the access
        records it could not send become notices, once."""
        with self.sync_lock:
            job = self.sync_job
            if job is None:
                return None
            state = job.progress()
            if state.done and job.finished_at > getattr(self.request, "started", 0.0):
                # It ended while this page was being made from what was cached before: show
                # it running, and the script reloads the page, which then has it all (the
                # grants it brought opened too).
                return dataclasses.replace(state, running=True, done=False)
            if state.done and not job.error_shown:
                job.error_shown = True
                if job.failure is not None:
                    self.notice("error", *wording.sync_stopped(job.failure, self.gettext))
                elif job.state.unsent:
                    self.notice("error", *wording.unsent(len(job.state.unsent), self.gettext))
        return state


def sorted_rows(rows: list[cases.Row], order: str) -> list[cases.Row]:
    """The inbox's rows in ``order`` (one of SORTS): newest first; the nearest deadline first
    (cases owing nothing last); or by status in the workflow's order, newest first within."""
    newest = sorted(rows, key=_received, reverse=True)
    if order == "deadline":
        return sorted(newest, key=lambda r: r.due.on if r.due else datetime.date.max)
    if order == "status":
        place = {s: n for n, s in enumerate(statuses.STATUSES)}
        return sorted(newest, key=lambda r: place.get(r.status, len(place)))
    return newest


def _received(row: cases.Row) -> datetime.datetime:
    return row.received or datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _form(environ: Mapping[str, Any]) -> dict[str, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    if not 0 < length <= MAX_FORM_BYTES:
        return {}
    body = environ["wsgi.input"].read(length)
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _range(method: str, environ: Mapping[str, Any]) -> str:
    """The Range header a request's answer may honour: GET only (RFC 9110 §14.2), and not
    with an If-Range, whose validator cannot match (no ETag or Last-Modified is sent)."""
    if method != "GET" or environ.get("HTTP_IF_RANGE"):
        return ""
    return str(environ.get("HTTP_RANGE", ""))


def _answer(start_response: StartResponse, status: str, body: bytes, kind: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), *HEADERS])
    return [body]


def _redirect(
    start_response: StartResponse, location: str, cookie: str | None = None
) -> Iterable[bytes]:
    headers = [("Location", location), ("Content-Length", "0"), *HEADERS]
    if cookie:
        headers.append(("Set-Cookie", cookie))
    start_response("303 See Other", headers)
    return [b""]


def _day(text: str) -> datetime.date | None:
    """A date typed as YYYY-MM-DD, None if empty; ValueError if it is not one."""
    if not text:
        return None
    if len(text) != 10 or text[4] != "-" or text[7] != "-":  # not 2026-W45-1 either
        raise ValueError(text)
    return datetime.date.fromisoformat(text)


def _download(start_response: StartResponse, body: bytes, kind: str, name: str) -> Iterable[bytes]:
    start_response(
        "200 OK",
        [
            ("Content-Type", kind),
            ("Content-Length", str(len(body))),
            ("Content-Disposition", f'attachment; filename="{name}"'),
            *HEADERS,
        ],
    )
    return [body]


def _default_folder(report_id: str) -> str:
    return str(Path.home() / "kasus" / registration.display(report_id))


def query_string(values: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})
