"""``wbs workbench``: the inbox and cases in a local web page, for inspectors who would
rather not use a shell (docs/workbench.md)."""

from __future__ import annotations

import contextlib
import threading
import webbrowser
from pathlib import Path

import click
from click.core import ParameterSource

from wbs import config as config_file
from wbs import keyfile, paths, stats
from wbs.cases import readers
from wbs.commands.options import config_option, key_option, keyring_option, settings, storage_option
from wbs.workbench import LANGUAGES
from wbs.workbench.app import Config, Workbench
from wbs.workbench.server import FALLBACK, make_server
from wbs.workbench.session import watch


@click.command()
@storage_option
@key_option
@keyring_option
@config_option
@click.option(
    "--idle-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=15,
    show_default=True,
    help="Lock the key again after this many minutes without a request.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="id",
    show_default=True,
    help="The language of the pages.",
)
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
def workbench(
    storage: str | None,
    key: Path | None,
    keyring: Path,
    config: Path | None,
    idle_minutes: float,
    lang: str,
    no_browser: bool,
) -> None:
    """Serve the inbox and its cases as web pages on the loopback, for this user only.

    It listens on a random address of 127.0.0.0/8 (127.0.0.1 where the system routes no
    other) and a free port the system picks, behind a one-time token in the URL it prints
    (and opens). The key is unlocked in the page and kept in memory only, until
    the idle time passes or you stop the command (Ctrl-C). Replies and status changes are
    those of `wbs inbox reply` and `wbs inbox status`.
    """
    opened: list[Workbench] = []  # its session's key signs requests to an inspector API
    configured = settings(storage, signer=lambda: opened[0].session.signing_identity())
    path = keyfile.locate(key)
    keyfile.inspect(path)  # a missing or malformed key is said now, not in the page
    source = click.get_current_context().get_parameter_source("keyring")
    keyring = keyring_for(path, keyring, named=source is not ParameterSource.DEFAULT)
    server, app = make_server(
        Config(
            key=path,
            storage_url=configured.storage_url,
            open_storage=configured.open_storage,
            keyring=keyring,
            rules=config_file.load(config),
            workflow=config_file.load_workflow(config),
            lang=lang,
            desk_names=readers.desk_names(config, lang),
            stats_names=stats.names(config, lang),
        ),
        idle_seconds=idle_minutes * 60,
    )
    opened.append(app)
    url = app.guard.url
    if app.guard.address == FALLBACK:
        click.echo(
            "wbs workbench: this system does not route 127.0.0.0/8 to the loopback, so it"
            " listens on 127.0.0.1, where every other local server the browser visits"
            " receives its session cookie (docs/workbench.md).",
            err=True,
        )
    click.echo(f"wbs workbench: {url}", err=False)
    click.echo("The link works once. Stop with Ctrl-C.", err=True)
    if not no_browser:
        webbrowser.open(url)
    stop = threading.Event()
    watch(app.session, stop, every=min(5.0, idle_minutes * 60 / 4))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    stop.set()
    app.session.lock()
    server.close()


def keyring_for(key: Path, keyring: Path, *, named: bool) -> Path:
    """The keyring the workbench checks signatures against and seals answers with: the one
    named (--keyring, WBS_KEYRING); else, with the demo key, the demo's own keyring (the one
    `wbs serve --demo` builds with), not keys/keyring.json, which holds no demo desk."""
    demo_ring = paths.demo_keyring()
    if not named and demo_ring.is_file() and key.resolve() == paths.demo_key().resolve():
        return demo_ring
    return keyring
