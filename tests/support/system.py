"""A whole system run as a newcomer runs it, for end-to-end tests: inspector keys made with
`wbs keys new` (two active, one retired), the desks and the recovery key made with
`wbs desks init` (anna and bima members of every desk, the share sheets written to a folder),
then `wbs serve` (build + the real waitress host + local storage) in its own process with its
log captured, and `wbs` commands run against it.

The keys, grants and share sheets are made once a session (``inspector_keys``): they are only
read. Each test gets its own `wbs serve`, storage (a copy of the one holding the grants),
cache and log (``system``): the tests count what was stored. ``kpu_system`` is the same for
the KPU example (site/examples/kpu.toml, its desks one member each, ``kpu_keys``). A running
`wbs serve` rebuilds its site when the keyring changes (tests/test_keyring_change_browser.py)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
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
def system(tmp_path: Path, inspector_keys: Path) -> Iterator[dict[str, Any]]:
    """The inspectors' keys, the desks and the recovery key (anna and bima members), then
    `wbs serve` in its own process with its log captured."""
    with served(tmp_path, inspector_keys, INSPECTORS) as running:
        yield running


# The KPU example: its desks, each with one member of its own (name: desk), by `wbs desks init`
# without members, then `wbs desks add-member --recovery` with three shares typed in.
KPU_CONFIG = Path(__file__).resolve().parents[2] / "site" / "examples" / "kpu.toml"
KPU_MEMBERS = {
    "pusat": "inspektorat",
    "wilayah1": "wilayah-1",
    "wilayah2": "wilayah-2",
    "pimpinan": "pimpinan",
}


@pytest.fixture(scope="session")
def kpu_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As ``inspector_keys``, for the KPU example (KPU_CONFIG): one key per KPU_MEMBERS name,
    each granted its own desk only; the other desks (wilayah-3) have no member."""
    folder = tmp_path_factory.mktemp("kpu-inspectors")
    keyring = folder / "keyring" / "keyring.json"
    env = {
        **os.environ,
        "WBS_HOME": str(folder / "home"),
        "WBS_PASSPHRASE": PASSPHRASE,
        "WBS_KEYRING": str(keyring),
        "WBS_STORAGE": f"local:{folder / 'storage'}",
        "WBS_CONFIG": str(KPU_CONFIG),
    }

    def run(*args: str, typed: str | None = None) -> None:
        done = subprocess.run(
            [WBS, *args], env=env, input=typed, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr

    for name in KPU_MEMBERS:
        run(
            "keys",
            "new",
            "--label",
            f"Inspektur {name}",
            "--out",
            str(folder / "keys" / f"{name}.key"),
        )
    kids = dict(
        zip(KPU_MEMBERS, (k["kid"] for k in json.loads(keyring.read_text())["keys"]), strict=True)
    )
    run("desks", "init", "--config", str(KPU_CONFIG), "--sheets", str(folder / "sheets"))
    typed = "".join(share + "\n" for share in recovery_shares(folder)[:3])
    for name, desk in KPU_MEMBERS.items():
        add = ["desks", "add-member", f"--desk={desk}", f"--member={kids[name]}", "--recovery"]
        run(*add, "--shares-file=-", typed=typed)
    return folder


@pytest.fixture
def kpu_system(tmp_path: Path, kpu_keys: Path) -> Iterator[dict[str, Any]]:
    """``system`` for the KPU example: `wbs serve --config` it, every command run with it."""
    with served(tmp_path, kpu_keys, tuple(KPU_MEMBERS), KPU_CONFIG) as running:
        yield running


@contextlib.contextmanager
def served(
    tmp_path: Path, folder: Path, names: tuple[str, ...], config: Path | None = None
) -> Iterator[dict[str, Any]]:
    """A copy of ``folder``'s keyring, keys and storage in ``tmp_path``, served by `wbs serve`
    (with --config ``config``, which WBS_CONFIG also names for the other commands), with its
    ``base`` URL and ``log``."""
    shutil.copytree(folder / "keyring", tmp_path / "keyring")
    shutil.copytree(folder / "keys", tmp_path / "home" / "keys")
    shutil.copytree(folder / "storage", tmp_path / "storage")
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
    args = ["--keyring", str(keyring), "--site-out", str(tmp_path / "site")]
    if config is not None:
        env["WBS_CONFIG"] = str(config)
        args += ["--config", str(config)]
    else:
        env.pop("WBS_CONFIG", None)
    keys = {name: tmp_path / "home" / "keys" / f"{name}.key" for name in names}
    system: dict[str, Any] = {
        "env": env,
        "tmp": tmp_path,
        "keys": keys,
        "shares": recovery_shares(folder),
    }
    log = tmp_path / "server.log"
    with wbs_serve(args, env, log) as base:
        system.update(base=base, log=log)
        yield system


def wbs(system: dict[str, Any], *args: str, key: str = "anna") -> subprocess.CompletedProcess[str]:
    env = {**system["env"], "WBS_KEY": str(system["keys"][key])}
    return subprocess.run([WBS, *args], env=env, capture_output=True, text=True, timeout=120)


def served_desk_key(system: dict[str, Any], desk: str) -> str:
    """``desk``'s public key, as the page `wbs serve` now serves embeds it."""
    with urllib.request.urlopen(str(system["base"]) + "/") as answer:  # noqa: S310 - the test's own server
        page = answer.read().decode()
    found = re.search(r'id="wbs-keys">(.*?)</script>', page, re.S)
    assert found is not None
    return str(json.loads(found.group(1))["desks"][desk]["public_key"])


def wait_for_rebuild(system: dict[str, Any], desk: str, timeout: float = 20.0) -> str:
    """Wait until the served page embeds ``desk``'s active key of the keyring (`wbs serve`
    rebuilds within a second or two of a change); return that key."""
    ring = json.loads(Path(system["env"]["WBS_KEYRING"]).read_text(encoding="utf-8"))
    (active,) = [d for d in ring["desks"] if d["desk"] == desk and d["active"]]
    deadline = time.monotonic() + timeout
    while served_desk_key(system, desk) != active["public_key"]:
        assert time.monotonic() < deadline, "the page was not rebuilt for the new keyring"
        time.sleep(0.2)
    return str(active["public_key"])
