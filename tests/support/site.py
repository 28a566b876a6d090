"""The reporting site built for a test or a bench: every one that needs it goes through
``build_site``."""

from __future__ import annotations

from pathlib import Path

from wbs import build

ROOT = Path(__file__).resolve().parents[2]


def build_site(keyring: Path, out: Path, config: Path | None = None) -> Path:
    """Build the reporting site for ``keyring`` into ``out`` (the default config unless one is
    given); returns ``out``."""
    build.build(keyring=keyring, out=out, config=config or build.DEFAULT_CONFIG)
    return out
