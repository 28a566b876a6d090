"""``wbs verify URL``: does a deployment serve exactly what this checkout builds?

Anyone can run it (a journalist, an NGO, an auditor): it needs the source at the deployed
commit and the public keyring, nothing secret. The comparison is wbs/verify.py; this module
builds, prints and decides the exit status.

Everything in the tables may come from the site (file names, URLs, headers, key labels), so
every cell is ``view.clean``-ed and given to rich as ``Text``, never as markup: a hostile
site cannot paint over a row with terminal escapes or bidi overrides. The error line is
escaped by ``console.error``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from functions.keyring import grouped
from wbs import console
from wbs import verify as check
from wbs.commands.options import config_option, keyring_option
from wbs.commands.site import build_site
from wbs.view import clean

STYLES = {
    check.OK: "green",
    check.DIFFERENT: "bold red",
    check.MISSING: "bold red",
    check.EXTRA: "bold red",
}
SHOWN_ADDRESSES = 3


CA_HELP = (
    "A PEM file of the CA certificates to trust for https (a private CA's), instead of the system's"
)


@click.command()
@click.argument("url")
@keyring_option
@config_option
@click.option("--ca", type=click.Path(exists=True, dir_okay=False, path_type=Path), help=CA_HELP)
def verify(url: str, keyring: Path, config: Path | None, ca: Path | None) -> None:
    """Check that the site at URL serves exactly what this checkout builds.

    Builds the site here from the keyring and config file the deployment used, then fetches
    from URL every file of the build's manifest (the worker scripts too, which no SRI
    covers), the served build-manifest.json, and each page at its folder address and by name.
    Compares every file's SHA-256; each page's scripts, stylesheets and their integrity, its
    CSP meta tag, and any extra script, style, frame or reference to another origin; and
    every answer's security headers with functions/headers.py. Follows no redirect to
    another origin. Prints the fingerprints of the keys the served pages encrypt to: compare
    them with the inspectorate's through another channel. Exits 0 only if everything
    matches (docs/verify.md).
    """
    origin = check.site_origin(url)
    via = check.opener(check.tls_context(ca))
    with tempfile.TemporaryDirectory(prefix="wbs-verify-") as tmp:
        out = Path(tmp) / "site"
        build_site(keyring, out, config)
        built, manifest = check.read_build(out)
    outcome = check.verify(
        origin,
        built,
        manifest,
        track=lambda items: console.progress(items, "fetching"),
        get=lambda origin, path: check.fetch(origin, path, via),
    )
    _show(outcome)
    if origin.scheme == "http":
        console.out.print(
            "Served over http: Strict-Transport-Security was not checked (browsers ignore it"
            " without https). A public deployment must use https."
        )
    differences = outcome.differences
    if differences:
        named = ", ".join(differences[:4])
        more = f" and {len(differences) - 4} more" if len(differences) > 4 else ""
        raise check.Mismatch(
            f"{origin.base} does not serve what this checkout builds: {named}{more}",
            hint="the tables above name each difference; docs/verify.md says what they mean",
        )
    console.out.print(
        _text(
            f"ok: {origin.base} serves exactly what this checkout builds ({len(outcome.rows)}"
            " addresses, with the security headers of functions/headers.py)."
        )
    )


def _show(outcome: check.Outcome) -> None:
    out = console.out
    files = Table(title="Files", title_justify="left")
    files.add_column("address", no_wrap=True)
    files.add_column("result", no_wrap=True)
    files.add_column("detail")
    for row in outcome.rows:
        files.add_row(
            _text(row.address), _text(row.result, style=STYLES[row.result]), _text(*row.detail)
        )
    out.print(files)
    if outcome.headers:
        headers = Table(title="Security headers that differ", title_justify="left")
        headers.add_column("header", no_wrap=True)
        headers.add_column("difference")
        headers.add_column("on")
        for (name, difference), where in outcome.headers.items():
            headers.add_row(
                _text(name), _text(difference, style="bold red"), _text(_on(where, outcome))
            )
        out.print(headers)
    if not outcome.keys:
        out.print("The served pages embed no key.")
        return
    keys = Table(
        title="Keys the served pages encrypt to: compare the fingerprints with the"
        " inspectorate's, through another channel",
        title_justify="left",
    )
    keys.add_column("label")
    keys.add_column("kid", no_wrap=True)
    keys.add_column("fingerprint")
    keys.add_column("in your keyring", no_wrap=True)
    for key in outcome.keys:
        keys.add_row(
            _text(key.label),
            _text(key.kid),
            _text(grouped(key.fingerprint) or "not a key"),
            _text("yes", style="green") if key.in_keyring else _text("NO", style="bold red"),
        )
    out.print(keys)


def _text(*lines: str, style: str = "") -> Text:
    """A cell: each line escaped on its own, so that a served line break is shown too."""
    return Text("\n".join(clean(line) for line in lines), style=style)


def _on(where: list[str], outcome: check.Outcome) -> str:
    if len(where) == outcome.answers:
        return f"every answer ({len(where)})"
    shown = ", ".join(where[:SHOWN_ADDRESSES])
    rest = len(where) - SHOWN_ADDRESSES
    return shown + (f" and {rest} more" if rest > 0 else "")
