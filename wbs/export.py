"""Where exported evidence goes: a folder the inspector chose (never inside the project, a git
work tree, or a published folder), under a safe file name made from the reporter's."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from functions.errors import WbsError
from wbs import paths

MAX_NAME_BYTES = 200  # under every common filesystem's 255, with room for " (99)"
MAX_SUFFIX_CHARS = 16
# Reserved on Windows or by shells; harmless elsewhere, but the folder may be copied there.
RESERVED = frozenset('<>:"|?*')


class UnsafeExport(WbsError, ValueError):
    """Plaintext evidence would be written where it could be committed or published."""


def prepare_folder(folder: Path) -> Path:
    """The export folder, created (mode 0700) if missing, after refusing unsafe places."""
    target = folder.expanduser().resolve()
    why = unsafe_place(target)
    if why is not None:
        raise UnsafeExport(
            f"refusing to export decrypted evidence {why}",
            hint="export into a private folder outside any repository, e.g. --to ~/kasus/<number>",
        )
    paths.make_private_dir(target)
    return target


def unsafe_place(target: Path) -> str | None:
    """Why plaintext must not be written at ``target`` (resolved), or None: inside the
    project, a git work tree, keys/ or site/."""
    if target.is_relative_to(paths.PROJECT_ROOT):
        return f"inside the project {paths.PROJECT_ROOT}: it could be committed or published"
    return paths.unsafe_place(target, {Path.cwd(), paths.PROJECT_ROOT})


def safe_name(name: str, fallback: str) -> str:
    """One harmless file name from an untrusted one: its last path component, with control,
    invisible and reserved characters replaced, not hidden, at most MAX_NAME_BYTES bytes;
    ``fallback`` (the file id) when nothing usable is left."""
    last = re.split(r"[/\\]", name)[-1]
    cleaned = "".join("_" if _unsafe(ch) else ch for ch in last).strip().lstrip(".")
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > MAX_SUFFIX_CHARS:
        stem, suffix = cleaned, ""
    room = MAX_NAME_BYTES - len(suffix.encode()) - len(dot)
    stem = stem.encode()[:room].decode(errors="ignore").rstrip()
    return f"{stem}{dot}{suffix}" if stem else fallback


def _unsafe(ch: str) -> bool:
    return ch in RESERVED or unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"


def free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2)``, ``name (3)``… : never a file that exists."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    n = 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"{stem} ({n}){suffix}"
    return candidate
