"""The one place that knows where the site's build lives: every test and bench that needs the
reporting site built goes through ``build_module`` or ``build_site``."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


@cache
def build_module() -> ModuleType:
    """build.py is a top-level script, not a package module: load it by path, once."""
    spec = importlib.util.spec_from_file_location("wbs_site_build", ROOT / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def build_site(keyring: Path, out: Path, config: Path | None = None) -> Path:
    """Build the reporting site for ``keyring`` into ``out`` (the default config unless one is
    given); returns ``out``."""
    build = build_module()
    build.build(keyring=keyring, out=out, config=config or build.DEFAULT_CONFIG)
    return out
