"""`wbs serve` and `wbs build`: the site is built by build.py, then served; `--demo` brings its
own loudly-announced demo key and never touches keys/keyring.json."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as argon2id
import pytest
from click.testing import CliRunner

import wbs.build as wbs_build
from functions import host, routing
from functions.config import Settings
from functions.keyring import Keyring, dump, load
from functions.storage import LocalStorage, layout
from wbs import demo, keyfile, paths
from wbs.cli import cli
from wbs.desks import keys as desk_keys


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(keyfile, "OPSLIMIT", argon2id.OPSLIMIT_INTERACTIVE)
    monkeypatch.setattr(keyfile, "MEMLIMIT", argon2id.MEMLIMIT_INTERACTIVE)
    for name in ("WBS_PASSPHRASE", "WBS_KEYRING", "WBS_KEY", "WBS_STORAGE", "WBS_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WBS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what would be served instead of listening on a port."""
    calls: list[dict[str, Any]] = []

    def fake_serve(site_dir: Path | None, settings: Settings, host: str, port: int) -> None:
        calls.append({"site": site_dir, "settings": settings, "host": host, "port": port})

    monkeypatch.setattr(host, "serve", fake_serve)
    return calls


def test_demo_creates_its_key_builds_and_serves(
    home: Path, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `wbs` is on PATH (the banner then names it so), whatever PATH the tests run with
    monkeypatch.setattr(demo.shutil, "which", lambda name: f"/usr/local/bin/{name}")
    repo_keyring = (paths.PROJECT_ROOT / "keys" / "keyring.json").read_bytes()

    # When the demo starts for the first time
    result = CliRunner().invoke(cli, ["serve", "--demo", "--port", "8123"])

    # Then a demo key (mode 0600) and its own keyring exist in WBS_HOME
    assert result.exit_code == 0, result.output
    key = home / "keys" / "demo.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    identity = keyfile.unlock(key, "demo")
    (entry,) = load(home / "demo-keyring.json").keys
    assert entry.kid == identity.kid
    # And the site was built there and served with local storage in WBS_HOME
    assert (home / "demo-site" / "index.html").is_file()
    (call,) = served
    assert call["site"] == home / "demo-site" and call["port"] == 8123
    assert call["settings"].storage_url == f"local:{home / 'storage'}"
    # (the API checks reports against the copy of the keyring the page was built from)
    served_keyring = call["settings"].keyring_path
    assert served_keyring == (home / "demo-site" / ".wbs-keyring.json").resolve()
    assert served_keyring.read_bytes() == (home / "demo-keyring.json").read_bytes()
    # And the demo is announced loudly, with how to read what was sent
    assert "DEMO MODE: NOT FOR REAL REPORTS" in result.stderr
    assert '("demo")' in result.stderr
    assert "wbs inbox sync && WBS_PASSPHRASE=demo wbs inbox list" in result.stderr
    # And the repository's keyring is untouched
    assert (paths.PROJECT_ROOT / "keys" / "keyring.json").read_bytes() == repo_keyring

    # When it starts again, the same key is kept
    again = CliRunner().invoke(cli, ["serve", "--demo"])
    assert again.exit_code == 0
    assert keyfile.inspect(key).kid == identity.kid


def test_demo_keyring_is_restored_from_the_key(home: Path, served: list[dict[str, Any]]) -> None:
    demo.ensure_key()
    kid = keyfile.inspect(paths.demo_key()).kid
    first = load(paths.demo_keyring())
    paths.demo_keyring().unlink()
    demo.ensure_key()
    again = load(paths.demo_keyring())
    assert [k.kid for k in again.keys] == [kid]
    # The desk and the recovery key come back the same: what was sealed to them stays readable
    assert again.kids() == first.kids()


def test_the_demo_key_is_a_member_of_the_demo_desk(
    home: Path, served: list[dict[str, Any]]
) -> None:
    # Given the demo started
    demo.ensure_key()
    ring = load(paths.demo_keyring())
    # Then its keyring has one desk and a recovery key, as every keyring reports are sealed with
    (desk,) = ring.desks
    assert desk.desk == demo.DESK and desk.active and ring.recovery is not None
    # And the demo storage holds the desk's grants, which give the demo key the desk's key
    storage = LocalStorage(home / "storage")
    stored = [(i.key, storage.get(i.key)) for i in storage.list(layout.DESKS)]
    assert len(stored) == 2  # the demo key's and the recovery key's
    held = desk_keys.unlock(keyfile.unlock(paths.demo_key(), "demo"), ring, stored)
    assert held.problems == [] and set(held.desks) == {desk.kid}
    assert bytes(held.desks[desk.kid].public_key) == desk.public_key_bytes


@pytest.mark.parametrize("writes_routing", [True, False], ids=["routing.json", "none"])
def test_serve_checks_reports_against_the_routing_of_its_build(
    tmp_path: Path,
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    writes_routing: bool,
) -> None:
    # Given a WBS_ROUTING that names another file, and a build that writes routing.json (the
    # build of docs/spec/desks-v2.md) or one that writes none
    monkeypatch.setenv("WBS_ROUTING", str(tmp_path / "elsewhere.json"))
    real_build = wbs_build.build

    def build(*, keyring: Path, out: Path, config: Path, allow_demo: bool = False) -> None:
        real_build(keyring=keyring, out=out, config=config, allow_demo=allow_demo)
        if writes_routing:
            ring = load(keyring)
            rules = routing.single(ring).to_json()
            (out / "routing.json").write_text(json.dumps(rules), encoding="utf-8")
        else:  # a build from before routing.json
            (out / "routing.json").unlink(missing_ok=True)

    monkeypatch.setattr(wbs_build, "build", build)  # what `wbs serve` builds with
    out = tmp_path / "out"
    # When the demo is served
    result = CliRunner().invoke(cli, ["serve", "--demo", "--site-out", str(out)])
    assert result.exit_code == 0, result.output
    # Then the API checks reports against the rules of the page it serves, never another file
    (call,) = served
    expected = (out / "routing.json").resolve() if writes_routing else None
    assert call["settings"].routing_path == expected


def test_serve_with_a_keyring(
    tmp_path: Path, served: list[dict[str, Any]], keyring_file: Path
) -> None:
    # (a keyring that holds the demo's keys is refused: tests/test_demo_refusal.py)
    keyring = tmp_path / "ring.json"
    dump(load(keyring_file), keyring)
    result = CliRunner().invoke(
        cli, ["serve", "--keyring", str(keyring), "--site-out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    (call,) = served
    assert call["site"] == tmp_path / "out"
    assert call["settings"].keyring_path == (tmp_path / "out" / ".wbs-keyring.json").resolve()
    assert call["settings"].keyring_path.read_bytes() == keyring.read_bytes()
    assert "DEMO" not in result.stderr


def test_serve_takes_the_upload_limits_of_the_config_and_builds_with_it(
    tmp_path: Path, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a config that allows 3 files a case, and a server variable for the part size
    demo.ensure_key()
    project = Path(__file__).resolve().parent.parent / "site" / "config.toml"
    config = tmp_path / "config.toml"
    config.write_text(project.read_text().replace("max_files = 20", "max_files = 3"))
    monkeypatch.setenv("WBS_UPLOAD_PART_BYTES", str(16 << 20))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["serve", "--demo", "--site-out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    # Then the API takes 3 files, parts of the variable's size, and the page says 3 files
    (call,) = served
    limits = call["settings"].upload_limits
    assert (limits.max_files, limits.part_bytes) == (3, 16 << 20)
    assert 'data-max-files="3"' in (out / "index.html").read_text()


def test_build_refuses_an_empty_keyring(tmp_path: Path) -> None:
    empty = tmp_path / "keyring.json"
    dump(Keyring(), empty)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["build", "--keyring", str(empty), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"wbs: error: {empty} has no desk")
    assert "hint: " in result.stderr and "wbs desks init" in result.stderr
    assert not out.exists()


def test_usage_mistakes_speak_in_the_same_voice() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("wbs: error: Invalid value for '--port'")
    assert result.stderr.splitlines()[-1] == "hint: wbs serve --help"
