"""The `wbs desks` tests' private institution (tests/desks/cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.desks.cli import PASSPHRASE, Home, write_config
from tests.support import inbox


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private WBS_HOME and storage, fast key files, the passphrase in WBS_PASSPHRASE, the
    keyring in WBS_KEYRING, the built-in config (one desk, inspektorat), and a working folder
    outside any repository."""
    inbox.use_private_home(tmp_path, monkeypatch)
    monkeypatch.delenv("WBS_RECOVERY_SHARES", raising=False)
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    keyring = tmp_path / "keys" / "keyring.json"
    monkeypatch.setenv("WBS_KEYRING", str(keyring))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("WBS_CONFIG", str(config))
    write_config(config)
    return Home(
        tmp_path,
        keyring,
        LocalStorage(tmp_path / "store"),
        tmp_path / "home" / "keys",
        tmp_path / "sheets",
        config,
    )
