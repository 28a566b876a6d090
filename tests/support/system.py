"""A whole system run as a newcomer runs it, for end-to-end tests: inspector keys made with
`wbs keys new` (two active, one retired), the desks and the recovery key made with
`wbs desks init` (anna and bima members of every desk, the share sheets written to a folder),
then `wbs serve` (build + the real waitress host + local storage) in its own process with its
log captured, and `wbs` commands run against it.

The keys, grants and share sheets are made once a session (``inspector_keys``): they are only
read. Each test gets its own `wbs serve`, storage (a copy of the one holding the grants),
cache and log (``system``): the tests count what was stored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.host import WBS, wbs_serve
from wbs.desks import sheets

PASSPHRASE = "kata sandi uji yang panjang"
INSPECTORS = ("anna", "bima", "retired")


@pytest.fixture(scope="session")
def inspector_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """keyring/keyring.json and keys/NAME.key, made by `wbs keys new`; anna and bima are
    active, the third key is retired. Then `wbs desks init --member anna --member bima`:
    the config's desks and the recovery key (3 of 5 shares, in sheets/), their grants in
    storage/. Each report is sealed to the desks, which anna and bima hold."""
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
    members = [f"--member={k['kid']}" for k in ring["keys"][:2]]
    init = [WBS, "desks", "init", *members, "--sheets", str(folder / "sheets")]
    env["WBS_STORAGE"] = f"local:{folder / 'storage'}"
    subprocess.run(
        [*init, "--keyring", str(keyring)], env=env, check=True, capture_output=True, timeout=60
    )
    return folder


def recovery_shares(inspector_keys: Path) -> list[str]:
    """The recovery key's five shares, as the sheets `wbs desks init` wrote show them."""
    found = sorted((inspector_keys / "sheets").glob("recovery-share-*-of-5.txt"))
    return [sheets.words_of(path.read_text(encoding="utf-8")) for path in found]


@pytest.fixture
def system(tmp_path: Path, inspector_keys: Path) -> Iterator[dict[str, object]]:
    """The inspectors' keys, the desks and the recovery key (anna and bima members), then
    `wbs serve` in its own process with its log captured."""
    shutil.copytree(inspector_keys / "keyring", tmp_path / "keyring")
    shutil.copytree(inspector_keys / "keys", tmp_path / "home" / "keys")
    shutil.copytree(inspector_keys / "storage", tmp_path / "storage")
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
    keys = {name: tmp_path / "home" / "keys" / f"{name}.key" for name in INSPECTORS}
    log = tmp_path / "server.log"
    args = ["--keyring", str(keyring), "--site-out", str(tmp_path / "site")]
    with wbs_serve(args, env, log) as base:
        yield {
            "base": base,
            "env": env,
            "log": log,
            "tmp": tmp_path,
            "keys": keys,
            "shares": recovery_shares(inspector_keys),
        }


def wbs(system: dict[str, Any], *args: str, key: str = "anna") -> subprocess.CompletedProcess[str]:
    env = {**system["env"], "WBS_KEY": str(system["keys"][key])}
    return subprocess.run([WBS, *args], env=env, capture_output=True, text=True, timeout=120)
