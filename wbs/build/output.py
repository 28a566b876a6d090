"""The built site on disk: its manifest of SHA-256 sums, and the marker that lets the next
build replace it (and never any other folder)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from wbs.build.errors import BuildError

MARKER = ".wbs-site-build"
MARKER_TEXT = b"Made by build.py: the next build deletes this folder and writes it again.\n"
MANIFEST = "build-manifest.json"


def manifest(files: Mapping[str, bytes]) -> bytes:
    sums = {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)}
    return (json.dumps({"files": sums}, indent=2) + "\n").encode("ascii")


def write_output(out: Path, files: Mapping[str, bytes]) -> None:
    """Replace a previous build (recognised by its marker file); never any other folder."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(f"{out} is not a folder", hint="choose another --out")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise BuildError(
                f"{out} is not empty and is not a previous build: refusing to delete it",
                hint="choose an empty or new folder with --out",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    # The marker goes first, so that even an interrupted build can be replaced next time.
    for path in sorted(files, key=lambda p: p != MARKER):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[path])
