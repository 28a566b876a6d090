"""Where the inspector's tool keeps things on this machine.

Everything lives under ``WBS_HOME`` (default ``~/.local/share/wbs``), outside the repository:
private keys in ``keys/``, the ciphertext cache in ``cache/``, and the demo's key, keyring,
site and storage. The project root (the site's sources, the template, the lock) is the folder
beside the ``wbs`` package.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE_OUT = PROJECT_ROOT / "dist" / "site"
DEFAULT_KEYRING = Path("keys") / "keyring.json"
KEY_SUFFIX = ".key"


def home() -> Path:
    configured = os.environ.get("WBS_HOME")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "wbs"


def keys_dir() -> Path:
    """Private key files (``<kid>.key``), mode 0600 each."""
    return home() / "keys"


def cache_dir(storage_url: str) -> Path:
    """The ciphertext cache of one storage: ``cache/<first 16 hex of sha256(url)>``."""
    digest = hashlib.sha256(_canonical_url(storage_url).encode("utf-8")).hexdigest()
    return home() / "cache" / digest[:16]


def _canonical_url(url: str) -> str:
    # `local:data` and `local:/abs/data` name the same folder; give them one cache.
    if url.startswith("local:"):
        return "local:" + str(Path(url.removeprefix("local:")).expanduser().resolve())
    return url


def demo_key() -> Path:
    return keys_dir() / "demo.key"


def demo_keyring() -> Path:
    return home() / "demo-keyring.json"


def demo_site() -> Path:
    return home() / "demo-site"


def demo_storage_url() -> str:
    return f"local:{home() / 'storage'}"


def make_private_dir(path: Path) -> None:
    """Create a folder, and every missing parent, that only this user may enter."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


PUBLISHED = {
    "keys": "it holds the public keyring, which is published",
    "site": "everything under site/ is published",
}


def unsafe_place(target: Path, projects: Iterable[Path]) -> str | None:
    """Why a secret (a private key, exported plaintext) must not be written at ``target``:
    under a project's published ``keys/`` or ``site/``, or inside a git work tree. None if
    it may be."""
    resolved = target.expanduser().resolve()
    for project, (name, why) in itertools.product(projects, PUBLISHED.items()):
        folder = project / name
        if resolved.is_relative_to(folder):
            return f"under {folder}: {why}"
    for folder in (resolved, *resolved.parents):
        if (folder / ".git").exists():
            return f"inside the git work tree {folder}: it could be committed and published"
    return None
