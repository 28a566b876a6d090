"""`wbs serve` (functions.host.serve) starts the hourly sweep of ended uploads and spent
proofs' markers. Waitress wraps the application it is given (its proxy-headers middleware),
so the host must not look for its own objects on the server's `application`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from waitress.server import BaseWSGIServer

from functions import app as api
from functions import host
from functions.config import Settings
from functions.proofs import Proofs
from functions.uploads import LocalUploads
from tests.support.api import identity, write_keyring


def test_serve_starts_the_sweeper_with_the_uploads_and_the_proofs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a served host whose loop returns at once, and a sweeper that only records
    swept: list[tuple[Any, ...]] = []
    started = threading.Event()

    def record(*areas: Any, every: float = host.SWEEP_SECONDS) -> None:
        swept.append(areas)
        started.set()

    monkeypatch.setattr(host, "sweep_forever", record)
    monkeypatch.setattr(BaseWSGIServer, "run", lambda self: self.close())
    monkeypatch.setattr(BaseWSGIServer, "print_listen", lambda self, text: None)
    settings = Settings(
        storage_url=f"local:{tmp_path / 'storage'}",
        keyring_path=write_keyring(tmp_path / "keyring.json", [identity(1).public_key]),
    )
    # When it is served
    try:
        host.serve(None, settings, port=0)
    finally:
        api.configure()  # serve() wired the handlers to this test's store
    # Then the sweeper runs over the local uploads and the proofs' markers
    assert started.wait(5)
    (areas,) = swept
    assert sorted(type(a).__name__ for a in areas) == sorted(
        [LocalUploads.__name__, Proofs.__name__]
    )
