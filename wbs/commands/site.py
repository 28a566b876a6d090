"""``wbs build`` and ``wbs serve``: render the reporting site, and run it locally."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from functions.config import Settings
from functions.errors import WbsError
from wbs import config as wbs_config
from wbs import console, demo, paths
from wbs.build.output import KEYRING_COPY
from wbs.build.sources import DEFAULT_CONFIG
from wbs.commands.options import config_option, keyring_option
from wbs.rebuild import Rebuilder

ROUTING_FILE = "routing.json"  # wbs.build writes it at the root of the site


def build_site(
    keyring: Path, out: Path, config: Path | None = None, *, allow_demo: bool = False
) -> None:
    """Build the site (wbs.build, which build.py runs too) with ``config`` (the project's
    site/config.toml when None). A keyring holding a demo key is refused unless
    ``allow_demo``: ``wbs serve --demo`` alone gives it, for the demo's own keyring."""
    # Imported here: Jinja and Babel are needed by the commands that build, not by every run.
    from wbs.build import DEFAULT_CONFIG, build

    build(keyring=keyring, out=out, config=config or DEFAULT_CONFIG, allow_demo=allow_demo)


def built_routing(out: Path) -> Path | None:
    """The routing rules the site in ``out`` was built with (``routing.json``, beside its
    pages): the API checks reports against the very rules the page routes with, whatever
    WBS_ROUTING says. None for a build that wrote none (the keyring's only desk then)."""
    path = out / ROUTING_FILE
    return path.resolve() if path.is_file() else None


@click.command()
@keyring_option
@config_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the site  [default: dist/site in the project]",
)
def build(keyring: Path, config: Path | None, out: Path | None) -> None:
    """Build the reporting site, sealing to the desks' active keys and the recovery key."""
    out = out or paths.DEFAULT_SITE_OUT
    build_site(keyring, out, config)
    click.echo(f"site built in {out} for the keys in {keyring}")


@click.command()
@click.option("--demo", "use_demo", is_flag=True, help="Use a DEMO key and local storage.")
@click.option(
    "--host", "address", default="127.0.0.1", show_default=True, help="Address to listen on."
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The public keyring  [default: WBS_KEYRING, else keys/keyring.json]",
)
@click.option(
    "--site-out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the site  [default: dist/site in the project;"
    " $WBS_HOME/demo-site with --demo]",
)
@config_option
def serve(
    use_demo: bool,
    address: str,
    port: int,
    keyring: Path | None,
    out: Path | None,
    config: Path | None,
) -> None:
    """Build the site, then serve the page and the API.

    Reports are stored in WBS_STORAGE (default: local:$WBS_HOME/storage). With --demo, a
    DEMO inspector key (passphrase "demo") and its own keyring are created on first run in
    $WBS_HOME, and the site is built into $WBS_HOME/demo-site: for trying the system, never
    for real reports. The upload limits are the config's [uploads], with any WBS_UPLOAD_*
    variable on top; the proof of work asked of each report and follow-up is its
    [proof_of_work] difficulty, or WBS_POW_DIFFICULTY. The API accepts the desks the
    built page routes reports to: the routing.json of the build, never WBS_ROUTING. When the
    keyring or the config changes, the site is built again and swapped in whole, page and
    API together: no restart is needed.
    """
    limits = wbs_config.upload_limits(config)
    difficulty = wbs_config.proof_difficulty(config)
    settings = dataclasses.replace(
        Settings.from_env(), upload_limits=limits, pow_difficulty=difficulty
    )
    if use_demo:
        if keyring is not None:
            raise WbsError("--demo uses its own keyring", hint="drop --keyring, or drop --demo")
        demo.ensure_key()
        settings = dataclasses.replace(
            settings, storage_url=paths.demo_storage_url(), keyring_path=paths.demo_keyring()
        )
        out = out or paths.demo_site()
    elif keyring is not None:
        settings = dataclasses.replace(settings, keyring_path=keyring)
    out = out or paths.DEFAULT_SITE_OUT
    keyring_path = settings.keyring_path
    # Stamped before the first build: a change made while it runs is built next.
    watcher = Rebuilder(
        (keyring_path, config or DEFAULT_CONFIG),
        lambda: build_site(keyring_path, out, config, allow_demo=use_demo),
    )
    build_site(keyring_path, out, config, allow_demo=use_demo)
    # The API checks reports against the keyring and rules the served page was built from.
    settings = dataclasses.replace(
        settings, keyring_path=(out / KEYRING_COPY).resolve(), routing_path=built_routing(out)
    )
    stop_watching = watcher.start()
    if use_demo:
        console.err.print(demo.banner(f"http://{address}:{port}"))
    # Imported here: the HTTP stack is needed by this command only, not by every `wbs` run.
    from functions import host

    try:
        host.serve(out, settings, host=address, port=port)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        stop_watching.set()
