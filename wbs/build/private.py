"""The build's guard against publishing a private key: in the keyring's folder or the site."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from functions.keyring import PRIVATE_MARKERS
from wbs.build.errors import BuildError

KEYS_FOLDER_SCAN_LIMIT = 1024 * 1024  # key files are tiny; skip anything larger


def folder_files(folder: Path) -> list[tuple[str, bytes]]:
    return [
        (str(p), p.read_bytes())
        for p in sorted(folder.iterdir())
        if p.is_file() and p.stat().st_size <= KEYS_FOLDER_SCAN_LIMIT
    ]


def refuse_private_material(files: Iterable[tuple[str, bytes]], where: str) -> None:
    for name, data in files:
        for marker in PRIVATE_MARKERS:
            if marker.encode() in data:
                raise BuildError(
                    f"{name} in {where} looks like a private key ({marker!r})",
                    hint="keep private keys outside the repository and the site",
                )
