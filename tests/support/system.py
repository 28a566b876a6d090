"""A whole system run as a newcomer runs it, for end-to-end tests: inspector keys made with
`wbs keys new` (two active, one retired), then `wbs serve` (build + the real waitress host +
local storage) in its own process with its log captured, and `wbs` commands run against it.

The keys are made once a session (``inspector_keys``): they are only read. Each test gets its
own `wbs serve`, storage, cache and log (``system``): the tests count what was stored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.storage import LocalStorage
from tests.support.host import WBS, wbs_serve
from tests.support.membership import Institution

PASSPHRASE = "kata sandi uji yang panjang"
INSPECTORS = ("anna", "bima", "retired")


@pytest.fixture(scope="session")
def inspector_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """keyring/keyring.json and keys/NAME.key, made by `wbs keys new`; anna and bima are
    active, the third key is retired: each report is sealed to the active two."""
    folder = tmp_path_factory.mktemp("inspectors")
    keyring = folder / "keyring" / "keyring.json"
    env = {**os.environ, "WBS_HOME": str(folder / "home"), "WBS_PASSPHRASE": PASSPHRASE}
    for name in INSPECTORS:
        command = [WBS, "keys", "new", "--label", f"Inspektur {name}", "--keyring", str(keyring)]
        out = folder / "keys" / f"{name}.key"
        run = [*command, "--out", str(out)]
        subprocess.run(run, env=env, check=True, capture_output=True, timeout=60)
    ring = json.loads(keyring.read_text())
    ring["keys"][2]["active"] = False
    keyring.write_text(json.dumps(ring))
    return folder


@pytest.fixture
def system(tmp_path: Path, inspector_keys: Path) -> Iterator[dict[str, object]]:
    """The inspectors' keys, desk inspektorat with the two active ones as its members, then
    `wbs serve` in its own process with its log captured."""
    shutil.copytree(inspector_keys / "keyring", tmp_path / "keyring")
    shutil.copytree(inspector_keys / "keys", tmp_path / "home" / "keys")
    keyring = tmp_path / "keyring" / "keyring.json"
    env = {
        **os.environ,
        "WBS_HOME": str(tmp_path / "home"),
        "WBS_STORAGE": f"local:{tmp_path / 'storage'}",
        "WBS_PASSPHRASE": PASSPHRASE,
        "WBS_KEYRING": str(keyring),
        "COLUMNS": "1000",
    }
    # The proof of work is on, at the config's difficulty: the page solves real challenges.
    env.pop("WBS_POW_DIFFICULTY", None)
    # Desk inspektorat and the recovery key (docs/spec/desks-v2.md), the two active inspectors
    # its members through grants in this test's storage, as `wbs desks` would make them
    here = Institution(keyring, LocalStorage(tmp_path / "storage"))
    for person in here.ring.active():
        here.add_person(person)
    keys = {name: tmp_path / "home" / "keys" / f"{name}.key" for name in INSPECTORS}
    log = tmp_path / "server.log"
    args = ["--keyring", str(keyring), "--site-out", str(tmp_path / "site")]
    with wbs_serve(args, env, log) as base:
        yield {"base": base, "env": env, "log": log, "tmp": tmp_path, "keys": keys}


def wbs(system: dict[str, Any], *args: str, key: str = "anna") -> subprocess.CompletedProcess[str]:
    env = {**system["env"], "WBS_KEY": str(system["keys"][key])}
    return subprocess.run([WBS, *args], env=env, capture_output=True, text=True, timeout=120)
