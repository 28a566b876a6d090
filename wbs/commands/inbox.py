"""``wbs inbox``: fetch encrypted reports and their messages, list and read cases, answer
reporters and move cases through their statuses. Plaintext stays in memory."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import IO

import click
from rich import box
from rich.table import Table
from rich.text import Text

from functions.errors import WbsError
from functions.keyring import Keyring, load, load_active
from wbs import (
    audit,
    console,
    notes,
    registration,
    replies,
    statuses,
    syncing,
    thread,
    view,
)
from wbs import config as config_file
from wbs import stats as counting
from wbs.cache import Cache
from wbs.cases import answering, opening, readers, workflow
from wbs.cases import inbox as cases
from wbs.commands import evidence
from wbs.commands.options import (
    StatusType,
    config_option,
    key_option,
    keyring_option,
    reader,
    record_access,
    settings,
    storage_option,
)
from wbs.commands.remind import remind
from wbs.export import unsafe_place
from wbs.thread_view import UNVERIFIED
from wbs.thread_view import reading as thread_reading
from wbs.workbench import LANGUAGES

UNAPPROVED = "set without a second member's approval"
EDITOR_TEMPLATE = (
    "\n\n# Balasan untuk pelapor laporan {number}. Baris yang diawali # diabaikan;"
    " pesan kosong tidak dikirim.\n"
    "# Reply to the reporter of report {number}. Lines starting with # are ignored;"
    " an empty message is not sent.\n"
)
NOTE_TEMPLATE = (
    "\n\n# Catatan internal untuk laporan {number}: hanya pemeriksa yang dapat membacanya,"
    " tidak pernah pelapor. Baris yang diawali # diabaikan.\n"
    "# Internal note on report {number}: only inspectors can read it, never the reporter."
    " Lines starting with # are ignored.\n"
)
text_source_option = click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    metavar="PATH",
    help="Read the text from PATH ('-': standard input)  [default: write it in $EDITOR]",
)
REASON_HELP = "Why (required for ditolak). Standard reasons: " + "; ".join(statuses.REASONS)
STATUS_HELP = "\n".join(
    [
        "Move a case to another status; the reporter sees the change, its reason and note.",
        "",
        "\b",
        "STATUS is an id or its label (any case):",
        *(f"  {status:<26}{label}" for status, label in statuses.STATUSES.items()),
        "",
        f"{statuses.REJECTED} needs --reason. The case's new messages are fetched first, so"
        " that its current status is known.",
        "",
        "A status the config's [workflow] second_approval lists is proposed instead: the"
        " reporter sees nothing until another member approves it (wbs inbox approve).",
    ]
)


@click.group()
def inbox() -> None:
    """Fetch, list and read cases (decrypted in memory only); answer them; export evidence.

    The passphrase is asked once per command, or taken from WBS_PASSPHRASE.
    """


inbox.add_command(evidence.files)
inbox.add_command(evidence.export)
inbox.add_command(remind)


@inbox.command()
@storage_option
@keyring_option
@key_option
def sync(storage: str | None, keyring: Path, key: Path | None) -> None:
    """Copy new encrypted reports, messages, notes and grants into the local cache
    (ciphertext only; a grant is opened with your key when you next read).

    From an inspector API (wbs+https://), requests are signed with your key (--key): its
    passphrase is asked. Elsewhere the key is not used.
    """
    configured = settings(storage)
    store = configured.open_storage()
    cache = Cache.for_storage(configured.storage_url)
    done = syncing.Sync()
    try:
        syncing.run(store, cache, console.progress, done, _desk_ids(keyring))
    except (WbsError, OSError, KeyboardInterrupt) as exc:
        # Each object lands in the cache whole or not at all: what was copied is kept.
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else _reason(exc)
        first = getattr(exc, "hint", None)  # what to fix first: an inspector API's refusal
        raise WbsError(
            f"sync stopped after {_count(done.fetched, 'new object')}: {reason}",
            hint=(f"{first}\n" if first else "")
            + "what was copied is kept; wbs inbox sync again fetches the rest",
        ) from None
    click.echo(
        f"{_count(len(done.reports), 'new report')} ({len(cache.ids())} in the cache), "
        f"{_count(len(done.messages), 'new message')} ({len(cache.message_keys())} in the cache), "
        f"{_count(len(done.notes), 'new internal record')} ({len(cache.note_keys())} in the cache:"
        " notes and the audit trail), "
        f"{_count(len(done.grants), 'new grant')} ({len(cache.grant_keys())} in the cache:"
        " desk memberships and shared cases)"
    )
    if done.sent:
        click.echo(f"sent {_count(len(done.sent), 'audit-trail record')} that waited in the cache")
    for problem in done.unsent:
        click.echo(f"wbs: note: {problem}", err=True)
    if done.denied:
        click.echo(
            f"wbs: note: {_count(len(done.denied), 'stored object')} skipped: the storage"
            " refuses them to these credentials (cases of desks you are not a member of)",
            err=True,
        )
    if done.refused:
        click.echo(
            f"wbs: note: the grants of desk(s) {', '.join(done.refused)} cannot be listed with"
            " these storage credentials: cases of those desks are not explained here",
            err=True,
        )


def _desk_ids(keyring: Path) -> tuple[str, ...]:
    """The desks of the keyring, whose grants are listed one by one when the credentials may
    not list them all; none if the keyring cannot be read."""
    try:
        return load(keyring).desk_ids()
    except WbsError:
        return ()


def _reason(exc: WbsError | OSError) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return str(exc)


@inbox.command("list")
@storage_option
@key_option
@keyring_option
@config_option
@click.option(
    "--status",
    "wanted",
    multiple=True,
    type=StatusType(),
    help="Only cases with this status (repeat for several): its id or its label,"
    " e.g. ditolak or 'Perlu Informasi Tambahan'.",
)
@click.option("--due", is_flag=True, help="Only cases whose next deadline is soon or past.")
@click.option("--mine", "handler", flag_value="mine", help="Only cases assigned to you.")
@click.option(
    "--unassigned", "handler", flag_value="unassigned", help="Only cases assigned to nobody."
)
@click.option(
    "--awaiting",
    "handler",
    flag_value="awaiting",
    help="Only cases with a decision awaiting a second member's approval.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    help="Count deadlines as on this day, YYYY-MM-DD  [default: today]",
)
def list_reports(
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
    wanted: tuple[str, ...],
    due: bool,
    handler: str | None,
    today: datetime.datetime | None,
) -> None:
    """Decrypt every cached case in memory; list its status, deadline and assignee.

    Deadlines: the report must be acknowledged (any message or status change from the
    inspectorate) and then given feedback (a status of dalam-investigasi, diteruskan,
    selesai or ditolak) within the periods of the config file's [deadlines] table. Due-soon
    and overdue cases are marked with ⚠.
    """
    rules = config_file.load(config)
    cache = Cache.for_storage(settings(storage).storage_url)
    ids = cache.ids()
    if not ids:
        click.echo("no reports in the cache yet; fetch them with: wbs inbox sync", err=True)
        return
    unlocked = reader(key, keyring, cache)
    day = today.date() if today else datetime.date.today()
    rows = cases.rows(
        cache,
        unlocked,
        rules,
        day,
        {},
        lambda i: console.progress(i, "Decrypting"),
        readers.desk_names(config),
    )
    lost_messages = 0
    unaddressed: dict[str, list[str]] = {}  # cases sealed to no key held here, by who holds them
    for row in rows:
        if row.unaddressed:
            unaddressed.setdefault(row.unaddressed, []).append(row.number)
        elif row.problem:
            console.error(row.problem)
        lost_messages += _name_unreadable(row.id, row.lost)
    for why, numbers in unaddressed.items():
        shown = ", ".join(numbers[:3]) + (
            f" and {len(numbers) - 3} more" if len(numbers) > 3 else ""
        )
        console.error(
            f"{_count(len(numbers), 'report')} sealed to no key you hold ({shown})",
            f"{why}; {opening.ASK}",
        )
    matched = cases.matching(
        rows,
        status=wanted,
        deadline="due" if due else "",
        handler=handler or "",
        me=unlocked.identity.kid,
    )
    table = view.inbox_table()
    for row in matched:
        if row.report is None:
            view.add_failed_row(table, row.id, row.received)
        else:
            handled = unlocked.signers.name(row.assignee) if row.assignee else "-"
            if row.awaiting:
                handled += f"\n⚠ {statuses.label(row.awaiting)}? (awaiting approval)"
            view.add_row(table, row.report, row.status, view.due(row.due, rules), handled)
    console.out.print(table)
    if not matched:
        click.echo(f"none of the {_count(len(ids), 'case')} matches the filters", err=True)
    lost_reports = sum(1 for row in rows if row.report is None)
    if lost_reports or lost_messages:
        parts = [f"{lost_reports} of {_count(len(ids), 'report')}"] if lost_reports else []
        parts += [_count(lost_messages, "message")] if lost_messages else []
        raise WbsError(
            f"{' and '.join(parts)} could not be opened",
            hint="wbs inbox show <number> explains each one",
        )


DATE = click.DateTime(formats=["%Y-%m-%d"])


@inbox.command("stats")
@click.option("--from", "start", type=DATE, metavar="DATE",
              help="First day of receipt counted, YYYY-MM-DD  [default: the first of --to's"
              " month, or of this month]")  # fmt: skip
@click.option("--to", "end", type=DATE, metavar="DATE",
              help="Last day of receipt counted, YYYY-MM-DD  [default: the last of --from's"
              " month, or of this month]")  # fmt: skip
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: one row per measure"
              " (section,key,value).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the wbs-stats/1 JSON document.")
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="Write the printable one-page summary to FILE.html (a new file): numbers only.",
)
@click.option("--today", type=DATE, metavar="DATE",
              help="Count deadlines as on this day, YYYY-MM-DD  [default: today]")  # fmt: skip
@storage_option
@key_option
@keyring_option
@config_option
def stats(
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    as_csv: bool,
    as_json: bool,
    summary: Path | None,
    today: datetime.datetime | None,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Count the cases received in a period, for leadership: per month, category, desk,
    office and status; time to acknowledge and to first feedback against the deadlines;
    overdue cases. Numbers only, counted in memory; nothing is written (but --summary).

    Days are those of the Asia/Jakarta calendar (WIB). Cases your key cannot read are
    counted as such. Default period: the current month.
    """
    if sum((as_csv, as_json, summary is not None)) > 1:
        raise WbsError("--csv, --json and --summary are one output each", hint="choose one of them")
    day = today.date() if today else datetime.datetime.now(counting.JAKARTA).date()
    first, last = counting.period(start.date() if start else None, end.date() if end else None, day)
    target = _summary_path(summary) if summary is not None else None
    rules = config_file.load(config)
    cache = Cache.for_storage(settings(storage).storage_url)
    if not cache.ids():
        click.echo("no reports in the cache yet; fetch them with: wbs inbox sync", err=True)
    unlocked = reader(key, keyring, cache)
    found = counting.count(
        cache,
        unlocked,
        rules,
        first,
        last,
        day,
        progress=lambda i: console.progress(i, "Decrypting"),
        names=counting.names(config),
    )
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(counting.csv_text(found), nl=False)
    elif target is not None:
        counting.write_summary(target, counting.summary_html(found))
        click.echo(f"wrote the summary of {first} to {last} to {target}")
    else:
        _stats_table(found)
    if found.unreadable or found.undated:
        console.error(
            f"{_count(found.unreadable + found.undated, 'case')} could not be opened with"
            " this key: counted as not readable",
            "wbs inbox list names them; wbs inbox show <number> explains each one",
        )


def _summary_path(target: Path) -> Path:
    folder = target.expanduser().parent.resolve()
    if not folder.is_dir():
        raise WbsError(f"no folder {folder}", hint="create it first")
    path = folder / target.name
    if path.exists():
        raise WbsError(f"{path} exists: refusing to overwrite it", hint="choose a new file name")
    return path


def _stats_table(found: counting.Stats) -> None:
    table = Table(
        title="Statistik / Statistics",
        title_justify="left",
        caption=counting.period_line(found),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("Ukuran / Measure")
    table.add_column("Nilai / Value", justify="right", no_wrap=True)
    for heading, items in counting.rows(found):
        table.add_row(Text(heading, style="bold"), "", end_section=False)
        for label, value in items:
            table.add_row("  " + view.clean(label), value)
    console.out.print(table)


@inbox.command()
@click.argument("number")
@click.option("--audit", "show_audit", is_flag=True, help="Print the case's audit trail too.")
@storage_option
@key_option
@keyring_option
@config_option
def show(
    number: str,
    show_audit: bool,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Decrypt one case in memory and print the report, its status and its whole thread.

    NUMBER is its registration number, or any unique start of it (case and dashes do not
    matter). Messages are shown in the order they were written (the time inside each
    message), each once; the inspectors' internal notes follow in a section of their own.
    That you opened the case goes into its audit trail (sealed to the keyring).
    """
    rules = config_file.load(config)
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    unlocked = reader(key, keyring, cache)
    named = readers.Directory.of(unlocked, cache, readers.desk_names(config))
    report = opening.open_report(cache, unlocked, report_id, named)
    record_access(configured, cache, report_id, "opened", keyring, unlocked)
    case = thread.read(cache, unlocked, report_id, report.reporter_signing_key)
    due = view.due(case.due(report.received, datetime.date.today(), rules), rules)
    click.echo(view.reading(report))
    click.echo()
    person = unlocked.signers.name
    click.echo(thread_reading(case, report.received, due.plain, person))
    internal = notes.read(cache, unlocked, report_id)
    flow = workflow.state(case, internal, config_file.load_workflow(config))
    if case.changes and case.changes[-1].key in flow.unapproved:
        click.echo(f"⚠ {statuses.label(case.status)}: {UNAPPROVED}")
    if flow.assignee or flow.pending:
        click.echo()
    if flow.assignee:
        click.echo(f"Ditangani / Assigned to: {view.clean(person(flow.assignee))}")
    if flow.pending:
        proposed = flow.pending
        click.echo(
            f"⚠ {view.clean(person(proposed.author))} proposed"
            f" {statuses.label(proposed.status)}: awaiting a second member's approval"
            f" (wbs inbox approve {registration.display(report_id)})"
        )
    if internal.notes:
        click.echo()
        click.echo("Catatan internal / Internal notes (never shown to the reporter)")
        for item in internal.notes:
            click.echo(f"--- {view.received(item.written)} · {view.clean(person(item.author))}")
            if item.unverified:
                click.echo(f"    ⚠ {UNVERIFIED} {item.unverified}")
            click.echo(view.clean(item.text, multiline=True))
    if show_audit:
        click.echo()
        click.echo("Jejak audit / Audit trail")
        shares = named.shares(report_id)
        trail = audit.trail(report, case, internal, shares, named.desk_label, flow.unapproved)
        for event in trail:
            who = view.clean(person(event.who)) if event.who else "pelapor / reporter"
            detail = person(event.detail) if event.action == "assigned" else event.detail
            if event.action == "assigned" and not event.detail:
                detail = "nobody"
            line = f"{view.received(event.at)}  {who}  {event.action} {view.clean(detail)}"
            line = line.rstrip() + (f": {view.clean(event.reason)}" if event.reason else "")
            flag = f"  ⚠ {view.clean(event.unverified)}" if event.unverified else ""
            if event.unapproved:
                flag += f"  ⚠ {UNAPPROVED}"
            click.echo(line + flag)
    for unread in internal.unreadable:
        name = unread.key.rpartition("/")[2]
        console.error(f"report {registration.display(report_id)}: note {name}: {unread.problem}")
    lost = [
        _count(n, noun)
        for n, noun in (
            (_name_unreadable(report_id, case.unreadable), "message"),
            (len(internal.unreadable), "internal note"),
        )
        if n
    ]
    if lost:
        raise WbsError(
            f"{' and '.join(lost)} of report {registration.display(report_id)} could not be opened",
            hint="a message is readable only by the keys that were active when it was sent,"
            " and only if storage did not alter it",
        )


@inbox.command("case-file")
@click.argument("number")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="The file to write (a new one, mode 0600); never inside the project, a git work"
    " tree, keys/ or site/.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="id",
    show_default=True,
    help="The language of the headings.",
)
@click.option(
    "--for-aph",
    "for_aph",
    is_flag=True,
    help="Write the case file for law enforcement (APH: police, prosecutors, KPK) instead:"
    " the reporter's identity, the messages with the reporter, the internal notes and the"
    " audit trail are withheld, and its header says so.",
)
@storage_option
@key_option
@keyring_option
@config_option
def case_file(
    number: str,
    target: Path,
    lang: str,
    for_aph: bool,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Write a case file for the investigation record: one self-contained HTML file.

    It holds every field of the report, its files' names, types, sizes and SHA-256, the
    status history, the whole thread, the internal notes (headed as internal), the export
    time (UTC) and your key id: no script, nothing fetched from anywhere. It is plaintext:
    keep it on an encrypted disk. An existing file is never replaced.

    With --for-aph it is the file to forward to law enforcement (APH, KPK): the allegation,
    the reported persons, where, when, how, the loss, the files' hashes and the statuses;
    never the reporter's identity ("identitas pelapor dirahasiakan"), the thread, the notes
    or the audit trail. Which of the two you wrote goes into the case's audit trail.
    """
    # Imported here: Jinja2 and the catalogues are needed by this command only.
    from wbs.cases import case_file
    from wbs.workbench.app import environment

    path = _case_file_path(target)
    rules = config_file.load(config)
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    unlocked = reader(key, keyring, cache)
    variant = case_file.FOR_APH if for_aph else case_file.FULL
    record_access(configured, cache, report_id, variant, keyring, unlocked)
    case = cases.load_case(cache, unlocked, report_id, rules, datetime.date.today(), {})
    internal = notes.read(cache, unlocked, report_id)
    now = datetime.datetime.now(datetime.UTC)
    checked = case_file.check_files(configured.open_storage, case)
    if for_aph:
        text = case_file.render_for_aph(
            environment(lang),
            lang,
            case,
            internal,
            unlocked.identity.kid,
            now,
            checked,
            unlocked.signers.name,
        )
    else:
        named = readers.Directory.of(unlocked, cache, readers.desk_names(config, lang))
        text = case_file.render(
            environment(lang),
            lang,
            case,
            internal,
            unlocked.identity.kid,
            now,
            checked,
            unlocked.signers.name,
            named.shares(report_id),
            named.desk_label,
            workflow.state(case.thread, internal, config_file.load_workflow(config)).unapproved,
        )
    case_file.write(path, text, report_id)
    which = "case file for law enforcement (APH)" if for_aph else "case file"
    click.echo(f"wrote the {which} of {registration.display(report_id)} to {path}")


def _case_file_path(target: Path) -> Path:
    """The case file's path, resolved; refused inside a repository or a missing folder."""
    folder = target.expanduser().parent.resolve()
    path = folder / target.name
    why = unsafe_place(path)
    if why is not None:
        raise WbsError(
            f"refusing to write a decrypted case file {why}",
            hint="write it outside any repository, e.g. --to ~/kasus/kasus-<number>.html",
        )
    if not folder.is_dir():
        raise WbsError(f"no folder {folder}", hint="create it first, with mode 0700")
    return path


@inbox.command()
@click.argument("number")
@text_source_option
@storage_option
@key_option
@keyring_option
@config_option
def reply(
    number: str,
    source: IO[str] | None,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Send a message to the reporter of a case.

    It is encrypted to the reporter's key (from the report), to the current key of each desk
    the case belongs to (the desks it was sent or shared to) and to the recovery key, never to
    a person; you must hold one of those desk keys. It is written with your own storage
    credentials (--storage / WBS_STORAGE), then into the local cache. Reports sent before the
    reporter's page existed carry no reporter key and cannot be answered.
    """
    text = answering.message_text(source.read()) if source else None
    # Before the editor opens: say now if the report cannot be answered.
    case = _answerable(number, storage, key, keyring)
    if text is None:
        text = _edited(case.report_id)
    sent = answering.reply(case, text, datetime.datetime.now(datetime.UTC))
    click.echo(f"sent a message to the reporter of {registration.display(case.report_id)}")
    _describe(sent, config)
    click.echo("---")
    click.echo(view.clean(text, multiline=True))


@inbox.command()
@click.argument("number")
@text_source_option
@storage_option
@key_option
@keyring_option
@config_option
def note(
    number: str,
    source: IO[str] | None,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Write an internal note on a case, for inspectors only.

    It is encrypted to the current key of each desk the case belongs to and to the recovery
    key, never to the reporter's key nor to a person (you must hold one of those desk keys),
    and stored under notes/, outside the mailboxes the public API serves: the reporter never
    sees it. It is written with your own storage credentials, then into the local cache.
    """
    text = answering.message_text(source.read()) if source else None
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    ring = load_active(keyring)
    unlocked = reader(key, keyring, cache)
    readers.audience_of(cache, ring, report_id, unlocked)  # before the editor: say it now
    if text is None:
        text = _edited(report_id, NOTE_TEMPLATE)
    written = answering.write_note(
        configured.open_storage(),
        cache,
        report_id,
        ring,
        unlocked,
        text,
        datetime.datetime.now(datetime.UTC),
    )
    click.echo(f"wrote an internal note on {registration.display(report_id)}")
    readable = written.audience.describe(readers.Directory(ring, (), readers.desk_names(config)))
    click.echo(f"readable by:  {readable} (not the reporter)")
    click.echo(f"stored as:    {written.key}")


@inbox.command(help=STATUS_HELP)
@click.argument("number")
@click.argument("new_status", metavar="STATUS", type=StatusType())
@click.option("--reason", default="", help=REASON_HELP)
@click.option("--note", default="", help="A note for the reporter, sent with the change.")
@storage_option
@key_option
@keyring_option
@config_option
def status(
    number: str,
    new_status: str,
    reason: str,
    note: str,
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
) -> None:
    # Before the passphrase is asked: say now if the change is incomplete.
    reason = answering.status_reason(new_status, reason)
    rule = config_file.load_workflow(config)
    case = _answerable(number, storage, key, keyring)
    now = datetime.datetime.now(datetime.UTC)
    change = workflow.decide(case, rule, new_status, reason, note, now)
    shown = registration.display(case.report_id)
    if isinstance(change, workflow.Proposed):
        click.echo(
            f"report {shown}: proposed {statuses.label(new_status)}; it stays"
            f" {statuses.label(change.previous)} and the reporter sees nothing until another"
            " member approves it (the config's [workflow] second_approval)"
        )
        if reason:
            click.echo(f"reason:       {view.clean(reason)}")
        click.echo(f"stored as:    {change.key}")
        click.echo(f"next: another member of the case's desks runs: wbs inbox approve {shown}")
        return
    click.echo(
        f"report {registration.display(case.report_id)}: "
        f"{statuses.label(change.previous)} → {statuses.label(new_status)}"
    )
    if change.message.reason:
        click.echo(f"reason:       {view.clean(change.message.reason)}")
    if change.message.text:
        click.echo(f"note:         {view.clean(change.message.text)}")
    _describe(change.sent, config)


@inbox.command()
@click.argument("number")
@click.option(
    "--to", "to", metavar="LABEL|KID", help="The member: a label or key id of the keyring."
)
@click.option("--me", is_flag=True, help="Assign it to yourself.")
@click.option("--nobody", is_flag=True, help="Assign it to nobody.")
@storage_option
@key_option
@keyring_option
def assign(
    number: str,
    to: str | None,
    me: bool,
    nobody: bool,
    storage: str | None,
    key: Path | None,
    keyring: Path,
) -> None:
    """Assign a case to the member who handles it: --to LABEL|KID, --me or --nobody.

    The member must be able to read the case (a member of one of its desks). The assignment
    is signed, sealed to the case's desks and the recovery key like a note, and goes into
    its audit trail; `wbs inbox list --mine` and `--unassigned` filter by it.
    """
    if sum((to is not None, me, nobody)) != 1:
        raise WbsError(
            "say whom to assign the case to, once",
            hint=f"wbs inbox assign {number} --to LABEL, --me or --nobody",
        )
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    ring = load_active(keyring)
    unlocked = reader(key, keyring, cache)
    assignee = ""
    if me:
        assignee = unlocked.identity.kid
    elif to is not None:
        assignee = workflow.person(ring, to, workflow.people(cache, ring, report_id))
    stored = workflow.assign(
        configured.open_storage(),
        cache,
        report_id,
        ring,
        unlocked,
        assignee,
        datetime.datetime.now(datetime.UTC),
    )
    whom = view.clean(unlocked.signers.name(assignee)) if assignee else "nobody"
    click.echo(f"report {registration.display(report_id)} is assigned to {whom}")
    click.echo(f"stored as:    {stored}")


@inbox.command()
@click.argument("number")
@storage_option
@key_option
@keyring_option
@config_option
def approve(
    number: str, storage: str | None, key: Path | None, keyring: Path, config: Path | None
) -> None:
    """Approve the status change another member proposed on a case, and send it.

    Under the config's [workflow] second_approval, `wbs inbox status` stores a proposal
    instead of the change; a second member approves it here: the approval goes into the
    audit trail, then the status message (the proposal's status, reason and note) is sent
    to the reporter, signed by you. Your own proposal cannot be approved by you. Should the
    message fail to be stored, run this again: it completes without a second approval.
    """
    case = _answerable(number, storage, key, keyring)
    shown = registration.display(case.report_id)
    proposal, _ = workflow.awaiting(case)
    person = case.unlocked.signers.name
    click.echo(
        f"approving: {view.clean(person(proposal.author))} proposed"
        f" {statuses.label(proposal.status)} on {view.received(proposal.written)}"
    )
    if proposal.reason:
        click.echo(f"reason:       {view.clean(proposal.reason)}")
    if proposal.text:
        click.echo(f"note:         {view.clean(proposal.text)}")
    done = workflow.approve(case, datetime.datetime.now(datetime.UTC), proposal.name)
    click.echo(
        f"report {shown}: {statuses.label(done.change.previous)} →"
        f" {statuses.label(proposal.status)}, approved by you"
    )
    _describe(done.change.sent, config)


def _answerable(
    number: str, storage: str | None, key: Path | None, keyring: Path
) -> answering.Answerable:
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    ring = load_active(keyring)
    unlocked = reader(key, keyring, cache)
    return answering.answerable(configured.open_storage(), cache, report_id, ring, unlocked)


def _name_unreadable(report_id: str, unreadable: tuple[thread.Unreadable, ...]) -> int:
    """Name each message of a case that could not be opened; return how many."""
    for lost in unreadable:
        name = lost.key.rpartition("/")[2]
        console.error(f"report {registration.display(report_id)}: message {name}: {lost.problem}")
    return len(unreadable)


def _edited(report_id: str, template: str = EDITOR_TEMPLATE) -> str:
    """The reply or note, written in $EDITOR (lines starting with # are dropped)."""
    typed = click.edit(template.format(number=registration.display(report_id)))
    kept = [line for line in (typed or "").splitlines() if not line.startswith("#")]
    return answering.message_text("\n".join(kept))


def _describe(sent: replies.Sent, config: Path | None) -> None:
    click.echo(f"message id:   {sent.message.id}")
    click.echo(f"sent:         {view.received(sent.message.sent)} ({view.local_zone()})")
    named = readers.Directory(Keyring(), (), readers.desk_names(config))
    click.echo(f"readable by:  the reporter, {sent.audience.describe(named)}")
    click.echo(f"stored as:    {sent.key}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
