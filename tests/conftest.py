"""Shared fixtures; the helpers they use live in tests/support/ (docs/testing.md). Browser
tests drive Debian's chromium through Playwright (no download), and are marked ``browser``
whenever they use the ``browser`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from functions import app as api
from functions.keyring import KeyEntry, Keyring, dump
from functions.storage import LocalStorage
from tests.support.api import RECOVERY
from tests.support.chromium import chromium, fresh_page
from tests.support.desks import add_desks
from tests.support.host import site_host
from tests.support.site import build_site
from wbs.crypto import Identity

# The `system` fixture: a whole system run as a newcomer runs it (tests/support/system.py).
pytest_plugins = ["tests.support.system"]

# The proof of work the in-process site server asks: real challenges, solved by the page's
# worker, at a difficulty that keeps the many form tests quick (tests/support/system.py's
# `wbs serve` asks the config's own).
SITE_SERVER_DIFFICULTY = 12


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives Chromium is a ``browser`` test, whether or not its module says so."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True, scope="session")
def proof_of_work_off_in_process() -> Iterator[None]:
    """Handlers and hosts built from the environment (``api.configure()``, ``Settings(...)``)
    ask no proof of work in tests of other features: WBS_POW_DIFFICULTY=0 for the whole
    session, fixtures of every scope included. The proof-of-work tests build their own gate
    or set the variable; ``system`` (tests/support/system.py) removes it, so `wbs serve` asks
    the config's difficulty; the in-process ``site_server`` asks SITE_SERVER_DIFFICULTY: the
    browser tests solve real challenges."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WBS_POW_DIFFICULTY", "0")
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session; each test opens its own context."""
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no shared storage) and page; uncaught errors gather in
    ``page.errors``."""
    with fresh_page(browser) as pg:
        yield pg


@pytest.fixture(scope="session")
def inspector_key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="session")
def inspector_signing_key() -> SigningKey:
    """The Ed25519 half of ``inspector_key``'s identity: it signs the inspector's replies."""
    return SigningKey.generate()


@pytest.fixture(scope="session")
def desk_key() -> PrivateKey:
    """The active key of the one desk, ``inspektorat``, of ``keyring_file``: tests open what
    the page sealed with it, as the desk's members do (the recovery key is
    tests.support.api.RECOVERY)."""
    return PrivateKey.generate()


@pytest.fixture(scope="session")
def keyring_file(
    tmp_path_factory: pytest.TempPathFactory,
    inspector_key: PrivateKey,
    inspector_signing_key: SigningKey,
    desk_key: PrivateKey,
) -> Path:
    """The inspector (a person, whose signing key checks replies), the desk ``inspektorat``
    and the recovery key."""
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    entry = KeyEntry.for_public_key(
        bytes(inspector_key.public_key),
        "Inspektur Uji",
        "2026-11-28",
        bytes(inspector_signing_key.verify_key),
    )
    dump(Keyring((entry,)), path)
    add_desks(path, keys={"inspektorat": desk_key}, recovery=RECOVERY.private_key)
    return path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, keyring_file: Path) -> Path:
    return build_site(keyring_file, tmp_path_factory.mktemp("site") / "out")


@pytest.fixture(scope="session")
def site_server(
    tmp_path_factory: pytest.TempPathFactory, built_site: Path, keyring_file: Path
) -> Iterator[tuple[str, Path]]:
    """The real local host (waitress) on a free port: (base URL, storage folder)."""
    storage = tmp_path_factory.mktemp("storage")
    with site_host(built_site, keyring_file, storage, SITE_SERVER_DIFFICULTY) as base:
        yield base, storage


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStorage]:
    """The API's handlers on a fresh local folder, encrypting to tests.support.api's
    inspector (identity 1); a test module or folder may define its own ``store``."""
    from tests.support.api import identity, write_keyring

    storage = LocalStorage(tmp_path / "storage")
    api.configure(
        storage=storage,
        keyring_path=write_keyring(tmp_path / "keyring.json", [identity(1).public_key]),
    )
    yield storage
    api.configure()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private WBS_HOME and WBS_STORAGE under tmp_path (tests/support/inbox.py)."""
    from tests.support.inbox import use_private_home

    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def inspector(home: Path) -> Identity:
    """The inspector's key, the only one in $WBS_HOME/keys."""
    from tests.support.inbox import add_inspector_key

    return add_inspector_key()
