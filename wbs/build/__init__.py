"""The reporting page's build: render site/ into static files with the keyring and the
routing rules embedded.

    python build.py [--keyring keys/keyring.json] [--config site/config.toml] [--out dist/site]

(``wbs build`` does the same.) Every page is rendered in every language (Bahasa Indonesia at
/, English at /en/): the report form and the reporter's status page (status/). libsodium is
bundled from site/node_modules; every script and stylesheet of a page carries Subresource
Integrity, and every page carries the Content-Security-Policy of functions/headers.py.
Worker scripts cannot carry integrity: the build checks that they and their imports are in
the site. The same inputs give byte-identical output, listed with SHA-256 sums in
build-manifest.json. Hybrid (X-Wing) desk keys are written to assets/keys/<kid>.bin,
fetched by the page only when it seals to them, and xwing.mjs with noble's modules is
imported only then, each module preloaded with its integrity first (xwing-loader.mjs). The
routing rules the page embeds are also written to routing.json,
and the keyring it was built from to .wbs-keyring.json (a hidden name: not served, not
published), for the API: `wbs serve` checks reports against these two copies, so that the
page and the API change together when a build replaces the site (one atomic swap).

The modules: ``sources`` (the project's folders), ``pages`` (the pages and their data),
``assets`` (static files, libsodium, imports, SRI), ``desks`` (the desks' keys and
the routing rules the pages embed), ``render`` (Jinja and the catalogues),
``private`` (no private key in the site), ``output`` (manifest, marker, writing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from functions import keyring as keyrings
from functions.errors import WbsError
from wbs import config as wbs_config
from wbs import demo
from wbs.build.assets import static_assets, vendor_modules
from wbs.build.desks import ROUTING_FILE, check, key_files, routing_file
from wbs.build.errors import BuildError
from wbs.build.noble import noble_modules
from wbs.build.output import (
    KEYRING_COPY,
    MANIFEST,
    MARKER,
    MARKER_TEXT,
    manifest,
    write_output,
)
from wbs.build.private import folder_files, refuse_private_material
from wbs.build.render import render_pages
from wbs.build.sources import DEFAULT_CONFIG, DEFAULT_KEYRING, DEFAULT_OUT, NODE_MODULES, SITE

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_KEYRING",
    "DEFAULT_OUT",
    "MANIFEST",
    "NODE_MODULES",
    "SITE",
    "BuildError",
    "build",
    "main",
    "static_assets",
    "vendor_modules",
]


def build(
    *, keyring: Path, out: Path, config: Path = DEFAULT_CONFIG, allow_demo: bool = False
) -> None:
    """Check every input, render the site in memory, then (re)write ``out``. A keyring that
    holds a key of the demo is refused (wbs.demo.refuse) unless ``allow_demo``, which only
    ``wbs serve --demo`` gives, for the demo's own keyring."""
    settings = wbs_config.load_all(config)
    # Read once: the page's keys and the API's copy are the same bytes, whatever happens to
    # the file meanwhile.
    keyring_bytes = keyrings.read(keyring)
    ring = keyrings.active(keyrings.from_bytes(keyring_bytes, keyring), keyring)
    if not allow_demo:
        demo.refuse(ring, keyring)
    desks = check(ring, settings.desks, keyring, config)
    refuse_private_material(folder_files(keyring.parent), "the keyring's folder")
    files = static_assets()
    files.update(vendor_modules(NODE_MODULES))
    files.update(noble_modules(NODE_MODULES))  # xwing.mjs's, loaded at send to a hybrid desk
    files.update(key_files(ring))
    if settings.site.logo:
        files[settings.site.logo.name] = settings.site.logo.data
    files.update(render_pages(settings, desks, files))
    files[ROUTING_FILE] = routing_file(settings.desks)
    files[KEYRING_COPY] = keyring_bytes
    files[MARKER] = MARKER_TEXT
    refuse_private_material(files.items(), "the built site")
    files[MANIFEST] = manifest(files)
    write_output(out, files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build the reporting page with the keyring embedded."
    )
    parser.add_argument("--keyring", type=Path, default=DEFAULT_KEYRING, help="public keyring")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="site settings")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    try:
        build(keyring=args.keyring, out=args.out, config=args.config)
    except WbsError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        print(f"build.py: error: {exc}{hint}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"build.py: error: {exc} (hint: check the path and its permissions)", file=sys.stderr)
        return 1
    print(f"build.py: built the site into {args.out}")
    return 0
