#!/usr/bin/env python3
"""Build the reporting page: render site/ into static files with the keyring embedded.

    python build.py [--keyring keys/keyring.json] [--config site/config.toml] [--out dist/site]

The build itself is the package module wbs/build/ (``wbs build`` runs the same).
"""

from wbs.build import main

if __name__ == "__main__":
    raise SystemExit(main())
