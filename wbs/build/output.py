"""The built site on disk: its manifest of SHA-256 sums, the marker that lets the next
build replace it (and never any other folder), and the swap that replaces it whole.

A new build is written beside the old one, then the two folders trade places in one step
(Linux's ``renameat2`` with ``RENAME_EXCHANGE``), so that a server reading the folder sees
the old site or the new one, never a mixture or nothing: the page and the API's copies of
the keyring and routing rules change together (``wbs serve`` rebuilds while it serves).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from wbs.build.errors import BuildError

MARKER = ".wbs-site-build"
MARKER_TEXT = b"Made by build.py: the next build deletes this folder and writes it again.\n"
MANIFEST = "build-manifest.json"
# The keyring the site was built from, for the API beside it (a hidden name: never served).
KEYRING_COPY = ".wbs-keyring.json"
STAGING = ".next-"  # a build being written: .<out's name>.next-<random>, beside it
LEFTOVER_SECONDS = 600  # older than this, a staging folder is no running build's
AT_FDCWD = -100
RENAME_EXCHANGE = 2


def manifest(files: Mapping[str, bytes]) -> bytes:
    sums = {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)}
    return (json.dumps({"files": sums}, indent=2) + "\n").encode("ascii")


def write_output(out: Path, files: Mapping[str, bytes]) -> None:
    """Replace a previous build (recognised by its marker file); never any other folder."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(f"{out} is not a folder", hint="choose another --out")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BuildError(
            f"{out} is not empty and is not a previous build: refusing to delete it",
            hint="choose an empty or new folder with --out",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    for left in out.parent.glob(f".{out.name}{STAGING}*"):  # an interrupted build's
        if (left / MARKER).is_file() and time.time() - left.stat().st_mtime > LEFTOVER_SECONDS:
            shutil.rmtree(left, ignore_errors=True)
    staging = out.parent / f".{out.name}{STAGING}{secrets.token_hex(6)}"
    staging.mkdir()
    try:
        # The marker goes first, so that even an interrupted build can be replaced next time.
        for path in sorted(files, key=lambda p: p != MARKER):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[path])
        if out.exists():
            _swap(staging, out)  # staging now holds the previous build
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(new: Path, current: Path) -> None:
    """Trade the two folders' places atomically; where the kernel or the file system cannot,
    move the old one aside first (a moment without a site)."""
    exchange = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if exchange is not None:
        paths = (os.fsencode(new), os.fsencode(current))
        if exchange(AT_FDCWD, paths[0], AT_FDCWD, paths[1], RENAME_EXCHANGE) == 0:
            return
    aside = current.with_name(f"{new.name}-old")
    current.rename(aside)
    new.rename(current)
    aside.rename(new)
