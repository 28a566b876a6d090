"""The terminal, for secrets shown or typed on it: the recovery key's share sheets, one at a
time, and the shares its holders type back. Both happen on the terminal's alternate screen,
which terminals keep out of their scrollback, cleared after each sheet and each share."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from functions.errors import WbsError
from wbs.desks import sheets

CLEAR = "\x1b[2J\x1b[3J\x1b[H"  # clear the screen and, where the terminal keeps one, scrollback
ALTERNATE_ON, ALTERNATE_OFF = "\x1b[?1049h", "\x1b[?1049l"


class Interrupted(WbsError, RuntimeError):
    """The person at the terminal stopped while secrets were on the screen."""


def terminal() -> bool:
    """Both ends are a terminal: what share sheets may be shown on."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _raw(text: str) -> None:
    """Control sequences to the terminal, never to a pipe or a file."""
    if terminal():
        sys.stdout.write(text)
        sys.stdout.flush()


def clear() -> None:
    _raw(CLEAR)


@contextmanager
def private() -> Iterator[None]:
    """The terminal's alternate screen, kept out of its scrollback, cleared when done."""
    _raw(ALTERNATE_ON + CLEAR)
    try:
        yield
    finally:
        _raw(CLEAR + ALTERNATE_OFF)


def show(pages: Sequence[sheets.Sheet]) -> None:
    """Each sheet alone on the screen, Enter between them, the screen cleared after each."""
    count = len(pages)
    click.echo(
        f"The {count} recovery share sheets are shown next, one at a time, on this screen only."
        " Each holder copies the words of their share by hand while nobody else sees the"
        " screen; the screen is cleared after each.",
        err=True,
    )
    try:
        with private():
            for page in pages:
                ask(f"Press Enter to show share {page.number} of {count} to its holder")
                clear()
                click.echo(sheets.render(page))
                ask(f"Press Enter when share {page.number} is copied: the screen is cleared")
                clear()
    except click.Abort:
        raise Interrupted(
            "stopped while the share sheets were shown: nothing was stored, and the shares"
            " shown belong to no key (destroy what was copied)",
            hint="run the command again when every holder is present",
        ) from None


def ask(text: str) -> None:
    """Wait for Enter."""
    click.prompt(text, default="", show_default=False, err=True, prompt_suffix=" ")
