"""Shared fixtures. Browser tests drive Debian's chromium through Playwright (no download)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey

from functions import app as api
from functions.keyring import KeyEntry, Keyring, dump
from functions.storage import LocalStorage
from wbs import build
from wbs.crypto import Identity

# The `system` fixture: a whole system run as a newcomer runs it (tests/system.py).
pytest_plugins = ["tests.system"]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("WBS_CHROMIUM", "/usr/bin/chromium")
# The proof of work the in-process site server asks: real challenges, solved by the page's
# worker, at a difficulty that keeps the many form tests quick (tests/system.py's `wbs serve`
# asks the config's own).
SITE_SERVER_DIFFICULTY = 12
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(autouse=True, scope="session")
def proof_of_work_off_in_process() -> Iterator[None]:
    """Handlers and hosts built from the environment (``api.configure()``, ``Settings(...)``)
    ask no proof of work in tests of other features: WBS_POW_DIFFICULTY=0 for the whole
    session, fixtures of every scope included. The proof-of-work tests build their own gate
    or set the variable; ``system`` (tests/system.py) removes it, so `wbs serve` asks the
    config's difficulty; the in-process ``site_server`` asks SITE_SERVER_DIFFICULTY: the
    browser tests solve real challenges."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WBS_POW_DIFFICULTY", "0")
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session; each test opens its own context."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./dev test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (no shared storage) and page; console errors fail loudly."""
    context = browser.new_context()  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()


@pytest.fixture(scope="session")
def inspector_key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="session")
def keyring_file(tmp_path_factory: pytest.TempPathFactory, inspector_key: PrivateKey) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    entry = KeyEntry.for_public_key(bytes(inspector_key.public_key), "Inspektur Uji", "2026-11-28")
    dump(Keyring((entry,)), path)
    return path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, keyring_file: Path) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    build.build(keyring=keyring_file, out=out)
    return out


@pytest.fixture(scope="session")
def site_server(
    tmp_path_factory: pytest.TempPathFactory, built_site: Path, keyring_file: Path
) -> Iterator[tuple[str, Path]]:
    """The real local host (waitress) on a free port: (base URL, storage folder)."""
    from functions.config import Settings
    from functions.host import make_server

    storage = tmp_path_factory.mktemp("storage")
    settings = Settings(f"local:{storage}", keyring_file, pow_difficulty=SITE_SERVER_DIFFICULTY)
    server = make_server(built_site, settings, port=0)
    with serving(server):
        yield f"http://127.0.0.1:{server.effective_port}", storage


@contextlib.contextmanager
def serving(server: Any) -> Iterator[None]:
    """Run a waitress server in a thread; stop it and wait for the thread on the way out."""

    def run() -> None:
        # close() pulls the sockets from under the loop's select(): that ends the loop.
        with contextlib.suppress(OSError, ValueError):
            server.run()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStorage]:
    """The API's handlers on a fresh local folder, encrypting to tests.helpers_api's
    inspector (identity 1); a test module or folder may define its own ``store``."""
    from tests.helpers_api import identity, write_keyring

    storage = LocalStorage(tmp_path / "storage")
    api.configure(
        storage=storage,
        keyring_path=write_keyring(tmp_path / "keyring.json", [identity(1).public_key]),
    )
    yield storage
    api.configure()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private WBS_HOME and WBS_STORAGE under tmp_path (tests/helpers_inbox.py)."""
    from tests.helpers_inbox import use_private_home

    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def inspector(home: Path) -> Identity:
    """The inspector's key, the only one in $WBS_HOME/keys."""
    from tests.helpers_inbox import add_inspector_key

    return add_inspector_key()
