"""Where the build reads from and writes to by default: the project's folders."""

from __future__ import annotations

from wbs import paths

ROOT = paths.PROJECT_ROOT
SITE = ROOT / "site"
NODE_MODULES = SITE / "node_modules"
DEFAULT_KEYRING = ROOT / "keys" / "keyring.json"
DEFAULT_CONFIG = SITE / "config.toml"
DEFAULT_OUT = paths.DEFAULT_SITE_OUT
