"""``wbs inbox remind``: which cases' deadlines are near or missed, for a timer or a monitor.

Deadlines are computed from decrypted cases (the acknowledgement, then the first feedback:
wbs/deadlines.py), so this runs where a key is, an inspector's or the inspectorate's own
machine, never on the server. It prints one line a case and a summary, and exits with a
status a monitor can read. With ``--notify`` it also sends the deployment's kind of notice
(functions/notify/): counts only, never a registration number or anything of a case.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from functions.errors import WbsError
from functions.notify import Notice, Notifier
from functions.notify.base import deadlines_notice, failure_kind
from wbs import config as config_file
from wbs import console, deadlines, registration
from wbs.cache import Cache
from wbs.cases import inbox as cases
from wbs.cases import readers
from wbs.commands.options import (
    config_option,
    key_option,
    keyring_option,
    reader,
    settings,
    storage_option,
)

EXIT_DUE = 3  # some deadline is within the window, none missed
EXIT_OVERDUE = 4  # some deadline is missed
DUTIES = {"ack": "acknowledgement", "feedback": "feedback"}
NOTIFY_HINT = (
    "set WBS_SMTP_HOST, WBS_NOTIFY_TO and WBS_NOTIFY_FROM (a mail server), or WBS_NOTIFY_TOPIC"
    ' (the deployment\'s SNS topic): docs/self-hosting.md, "Alerts"'
)


@click.command()
@storage_option
@key_option
@keyring_option
@config_option
@click.option(
    "--within",
    type=click.IntRange(0, 60),
    default=2,
    show_default=True,
    metavar="DAYS",
    help="Count a deadline as near when it falls within this many working days (hari kerja:"
    " weekends and the config's holidays skipped).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    help="Count deadlines as on this day, YYYY-MM-DD  [default: today]",
)
@click.option(
    "--notify",
    "send",
    is_flag=True,
    help="Also send the counts (nothing else) as the deployment's notices go: by mail"
    " (WBS_SMTP_HOST...) or to the SNS topic (WBS_NOTIFY_TOPIC). Nothing is sent when no"
    " deadline is near.",
)
def remind(
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
    within: int,
    today: datetime.datetime | None,
    send: bool,
) -> None:
    """List the cached cases whose next deadline is missed or within --within working days.

    Reads the local cache as wbs inbox list does (run wbs inbox sync first, or the list may
    be out of date). Prints one line a case, then a summary. Exit status: 0 when no deadline
    is near, 3 when some are near and none missed, 4 when one is missed, 1 on an error (the
    reminder could not be sent, say). For a systemd timer: docs/self-hosting.md, "Alerts".
    """
    rules = config_file.load(config)
    configured = settings(storage)
    notifier = configured.notifier if send else None
    if send and notifier is None:
        raise WbsError("--notify: no notifier is configured", hint=NOTIFY_HINT)
    cache = Cache.for_storage(configured.storage_url)
    day = today.date() if today else datetime.date.today()
    horizon = deadlines.add_working_days(day, within, rules.holidays)
    rows = []
    if cache.ids():
        unlocked = reader(key, keyring, cache)
        names = readers.desk_names(config)
        rows = cases.rows(
            cache, unlocked, rules, day, {}, lambda i: console.progress(i, "Decrypting"), names
        )
    else:
        click.echo("wbs: note: no reports in the cache; fetch them with: wbs inbox sync", err=True)
    owed = [(row.id, row.due) for row in rows if row.due is not None]
    overdue = [(case, due) for case, due in owed if due.overdue]
    near = [(case, due) for case, due in owed if not due.overdue and due.on <= horizon]
    for case, due in overdue + near:
        click.echo(_line(case, due))
    unopened = sum(1 for row in rows if row.report is None)
    if unopened:
        click.echo(
            f"wbs: note: {_cases(unopened)} could not be opened here; their deadlines are not"
            " counted (wbs inbox list names them)",
            err=True,
        )
    summary = _summary(len(overdue), len(near), within)
    click.echo(summary if overdue or near else f"ok: {summary}")
    if notifier is not None and (overdue or near):
        _send(notifier, deadlines_notice(len(overdue), len(near), within))
    if overdue or near:
        click.get_current_context().exit(EXIT_OVERDUE if overdue else EXIT_DUE)


def _line(report_id: str, due: deadlines.Due) -> str:
    days = abs(due.days_left)
    when = (
        f"was due {due.on.isoformat()} ({_days(days)} ago)"
        if due.overdue
        else f"due {due.on.isoformat()} ({'today' if days == 0 else f'in {_days(days)}'})"
    )
    state = "overdue" if due.overdue else "due"
    return f"{state:<8}{registration.display(report_id)}  {DUTIES[due.duty]} {when}"


def _summary(overdue: int, near: int, within: int) -> str:
    verb = "is" if overdue == 1 else "are"
    return f"{_cases(overdue)} {verb} overdue, {near} due within {_working_days(within)}"


def _send(notifier: Notifier, reminder: Notice) -> None:
    # The exception's text may name the mail server, an address or the topic's account.
    try:
        notifier.send(reminder)
    except Exception as exc:  # noqa: BLE001
        raise WbsError(
            f"the reminder was not sent ({notifier.kind}: {failure_kind(exc)})",
            hint='check the mail server or topic settings (docs/self-hosting.md, "Alerts");'
            " the list above is complete",
        ) from None


def _cases(n: int) -> str:
    return f"{n} case" + ("" if n == 1 else "s")


def _days(n: int) -> str:
    return f"{n} day" + ("" if n == 1 else "s")


def _working_days(n: int) -> str:
    return f"{n} working day" + ("" if n == 1 else "s")
