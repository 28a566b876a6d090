"""Options several commands share, so that they read the same everywhere."""

from __future__ import annotations

from pathlib import Path

import click

from wbs import paths

keyring_option = click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WBS_KEYRING",
    default=paths.DEFAULT_KEYRING,
    show_default=True,
    help="The public keyring (also WBS_KEYRING).",
)
