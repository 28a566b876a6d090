"""The local host's own secrets (the upload grants' key, the proof-of-work key): a setting,
else a file in ``$WBS_HOME`` made on first use with mode 0600, else one per process.

A file is written whole to a temporary name and hard-linked to its own, so two processes
starting at once agree on one secret and nobody ever reads half of one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from pathlib import Path

MIN_CHARS = 32
DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"
HEX_RE = re.compile(r"[0-9a-f]{64}")


def load(configured: str | None, home: Path | None, file_name: str, variable: str) -> bytes:
    """``configured`` (the value of ``variable``, at least 32 characters); else
    ``home/file_name``, 32 random bytes as 64 hex digits, made on first use (mode 0600); else,
    with no home at all, a fresh secret for this process only. Raise ValueError or OSError."""
    if configured:
        if len(configured) < MIN_CHARS:
            raise ValueError(f"{variable} must have at least {MIN_CHARS} characters")
        return configured.encode()
    if home is None:
        return secrets.token_bytes(32)
    path = home / file_name
    if not path.exists():
        home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=home, prefix=TEMP_PREFIX)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    text = path.read_text(encoding="ascii").strip()
    if not HEX_RE.fullmatch(text):
        raise ValueError(f"{path} does not hold 64 hex digits")
    return bytes.fromhex(text)
