"""The tool's two outputs: results on stdout, everything else (progress, banners, errors) on
stderr. Errors have one voice: ``wbs: error: <message>`` then ``hint: <next step>`` lines."""

from __future__ import annotations

import click
from rich.console import Console

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def error(message: str, hint: str | None = None) -> None:
    click.echo(f"wbs: error: {message}", err=True)
    for line in (hint or "").splitlines():
        click.echo(f"hint: {line}", err=True)
