"""Fixtures of every `wbs inbox` test: a private WBS_HOME, the inspector's key, a local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.helpers_inbox import add_inspector_key, use_private_home
from wbs.crypto import Identity


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def inspector(home: Path) -> Identity:
    """The inspector's key, the only one in $WBS_HOME/keys."""
    return add_inspector_key()


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")
