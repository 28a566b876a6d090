"""Fixtures of every `wbs inbox` test: a private WBS_HOME (always), a local store; the
inspector's key comes from tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import use_private_home


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")
