"""A whole system run as a newcomer runs it, for end-to-end tests: inspector keys made with
`wbs keys new` (two active, one retired), then `wbs serve` (build + the real waitress host +
local storage) in its own process with its log captured, and `wbs` commands run against it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

WBS = str(Path(sys.executable).with_name("wbs"))
PASSPHRASE = "kata sandi uji yang panjang"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def system(tmp_path: Path) -> Iterator[dict[str, object]]:
    """An inspector key, then `wbs serve` in its own process with its log captured."""
    env = {
        **os.environ,
        "WBS_HOME": str(tmp_path / "home"),
        "WBS_STORAGE": f"local:{tmp_path / 'storage'}",
        "WBS_PASSPHRASE": PASSPHRASE,
        "COLUMNS": "1000",
    }
    # The proof of work is on, at the config's difficulty: the page solves real challenges.
    env.pop("WBS_POW_DIFFICULTY", None)
    keyring = tmp_path / "keyring" / "keyring.json"
    env["WBS_KEYRING"] = str(keyring)
    # Two active inspectors and one retired key: each report is sealed to the active two.
    keys = {}
    for name in ("anna", "bima", "retired"):
        keys[name] = tmp_path / "home" / "keys" / f"{name}.key"
        subprocess.run(
            [
                WBS,
                "keys",
                "new",
                "--label",
                f"Inspektur {name}",
                "--keyring",
                str(keyring),
                "--out",
                str(keys[name]),
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    ring = json.loads(keyring.read_text())
    ring["keys"][2]["active"] = False
    keyring.write_text(json.dumps(ring))
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                WBS,
                "serve",
                "--keyring",
                str(keyring),
                "--site-out",
                str(tmp_path / "site"),
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2):  # noqa: S310 (loopback)
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("wbs serve did not start:\n" + log.read_text()) from None
            time.sleep(0.2)
    yield {"base": base, "env": env, "log": log, "tmp": tmp_path, "keys": keys}
    server.terminate()
    server.wait(timeout=10)


def wbs(system: dict[str, Any], *args: str, key: str = "anna") -> subprocess.CompletedProcess[str]:
    env = {**system["env"], "WBS_KEY": str(system["keys"][key])}
    return subprocess.run([WBS, *args], env=env, capture_output=True, text=True, timeout=120)
