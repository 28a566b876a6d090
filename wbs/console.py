"""The tool's two outputs: results on stdout, everything else (progress, banners, errors) on
stderr. Errors have one voice: ``wbs: error: <message>`` then ``hint: <next step>`` lines.
A message may quote what a stranger wrote or a server sent (a file name, an address), so it
is escaped with ``view.clean`` like a report."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from wbs.view import clean

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")


def error(message: str, hint: str | None = None) -> None:
    click.echo(f"wbs: error: {clean(message)}", err=True)
    for line in (hint or "").splitlines():
        click.echo(f"hint: {clean(line)}", err=True)


def progress(items: Sequence[T], what: str) -> Iterable[T]:
    """Iterate with a progress bar on stderr (shown on a terminal only, then cleared)."""
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    shown = err.is_terminal
    with Progress(*columns, console=err, transient=True, disable=not shown) as bar:
        yield from bar.track(items, total=len(items))


@contextlib.contextmanager
def transfer(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar in bytes, with speed and time left (on a terminal only, then cleared);
    yields the function that counts bytes done. ``what`` is shown as is, never as markup."""
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.advance(task, done)
