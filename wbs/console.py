"""The tool's two outputs: results on stdout, everything else (progress, banners, errors) on
stderr. Errors have one voice: ``wbs: error: <message>`` then ``hint: <next step>`` lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")


def error(message: str, hint: str | None = None) -> None:
    click.echo(f"wbs: error: {message}", err=True)
    for line in (hint or "").splitlines():
        click.echo(f"hint: {line}", err=True)


def progress(items: Sequence[T], what: str) -> Iterable[T]:
    """Iterate with a progress bar on stderr (shown on a terminal only, then cleared)."""
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    shown = err.is_terminal
    with Progress(*columns, console=err, transient=True, disable=not shown) as bar:
        yield from bar.track(items, total=len(items))
