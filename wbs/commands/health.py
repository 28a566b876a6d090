"""``wbs health URL``: one check of a running deployment, for a systemd timer or a monitor.

The checks are wbs/health.py; this module reads the options, runs them in order, and prints
one line: ``ok: ...`` on stdout with exit status 0, or the first failure as
``wbs: error: <reason>`` with a hint on stderr and exit status 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from wbs import console
from wbs import health as check
from wbs.verify import site_origin, tls_context

CA_HELP = (
    "A PEM file of the CA certificates to trust for https (a private CA's), instead of the system's"
)


@click.command()
@click.argument("url")
@click.option("--ca", type=click.Path(exists=True, dir_okay=False, path_type=Path), help=CA_HELP)
@click.option(
    "--storage",
    metavar="URL",
    envvar="WBS_STORAGE",
    help="The store to look at: local:/path or a folder; an s3:// store is not checked here"
    "  [default: WBS_STORAGE, else none]",
)
@click.option(
    "--min-free-mib",
    type=click.IntRange(min=0),
    default=1024,
    show_default=True,
    help="Fail when the store's file system has less free space.",
)
@click.option(
    "--cert-days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    help="Fail when the https certificate expires within this many days.",
)
def health(
    url: str, ca: Path | None, storage: str | None, min_free_mib: int, cert_days: int
) -> None:
    """Check that the deployment at URL is up: for a systemd timer or any monitor.

    Asks URL's /api/health for {"ok": true}; over https, checks that the certificate is
    trusted and expires in more than --cert-days; with --storage (or WBS_STORAGE) a local
    store, checks that it exists, is not on a read-only file system, and has --min-free-mib
    free. Writes nothing. Prints one line and exits 0 when all is well, else prints the first
    failure as one line and exits 1 (docs/self-hosting.md, "Monitoring").
    """
    origin = site_origin(url)
    context = tls_context(ca) if origin.scheme == "https" else None
    found = []
    check.check_api(origin, context)
    found.append(f"{origin.base}{check.HEALTH} answers ok")
    if origin.scheme == "https":
        days = check.check_certificate(origin, context, cert_days)
        found.append(f"the certificate expires in {days} days")
    folder = check.storage_path(storage) if storage else None
    if folder is not None:
        store = check.check_storage(folder, min_free_mib << 20)
        found.append(f"storage {store.path} has {check.size(store.free_bytes)} free")
    elif storage:
        found.append("the S3 store is not checked here (CloudWatch's alarms watch it)")
    console.out.print("ok: " + "; ".join(found), markup=False, highlight=False, soft_wrap=True)
