"""No demo key in production: `wbs build`, `wbs serve` without --demo and `wbs deploy` refuse a
keyring that holds a key of the demo (wbs/demo.py's ``found_in``); `wbs serve --demo` alone
builds with the demo's own keyring."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from nacl.public import PrivateKey

from functions import host
from functions.config import Settings
from functions.keyring import KeyEntry, Keyring, dump, load
from tests.support.site import build_site
from wbs import demo, keyfile, paths
from wbs.build import DEFAULT_CONFIG
from wbs.cli import cli


@pytest.fixture
def real(tmp_path: Path, home: Path, keyring_file: Path) -> Path:
    """The institution's keyring (a person, desk inspektorat, the recovery key), with the demo
    started on this machine beside it."""
    demo.ensure_key()
    path = tmp_path / "keys" / "keyring.json"
    path.parent.mkdir()
    shutil.copyfile(keyring_file, path)
    return path


def demo_ring() -> Keyring:
    return load(paths.demo_keyring())


def one_line_error(result: Result, *words: str) -> None:
    """The command failed with one `wbs: error:` line that says each of ``words``, and a
    hint."""
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("wbs: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0]
    assert "hint:" in result.stderr and "wbs serve --demo" in result.stderr
    assert "Traceback" not in result.output


def with_demo_person(ring: Keyring) -> Keyring:
    (person,) = demo_ring().keys
    return dataclasses.replace(ring, keys=(*ring.keys, person))


def with_retired_demo_person(ring: Keyring) -> Keyring:
    (person,) = demo_ring().keys
    return dataclasses.replace(ring, keys=(*ring.keys, dataclasses.replace(person, active=False)))


def with_demo_from_elsewhere(ring: Keyring) -> Keyring:
    # A demo key made on another machine: not this one's, but labelled as every demo key is
    public = bytes(PrivateKey.generate().public_key)
    person = KeyEntry.for_public_key(public, demo.LABEL, "2026-11-01")
    return dataclasses.replace(ring, keys=(*ring.keys, person))


def with_relabelled_demo_key(ring: Keyring) -> Keyring:
    (person,) = demo_ring().keys
    return dataclasses.replace(ring, keys=(*ring.keys, dataclasses.replace(person, label="Ani")))


def with_demo_desk(ring: Keyring) -> Keyring:
    return dataclasses.replace(ring, desks=demo_ring().desks)


def with_demo_recovery(ring: Keyring) -> Keyring:
    return dataclasses.replace(ring, recovery=demo_ring().recovery)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (with_demo_person, "the DEMO key"),
        (with_retired_demo_person, "(retired)"),
        (with_demo_from_elsewhere, "the DEMO key"),
        (with_relabelled_demo_key, "the DEMO key"),
        (with_demo_desk, "the demo's desk key"),
        (with_demo_recovery, "the demo's recovery key"),
    ],
)
def test_the_build_refuses_a_keyring_holding_a_demo_key(
    real: Path, tmp_path: Path, change: Callable[[Keyring], Keyring], named: str
) -> None:
    # Given the institution's keyring with a key of the demo in it
    dump(change(load(real)), real)
    out = tmp_path / "out"
    # When the site is built, Then it is refused, naming what belongs to the demo
    with pytest.raises(demo.DemoKeyError, match=r"holds .*") as caught:
        build_site(real, out)
    assert named in str(caught.value)
    assert caught.value.hint is not None and "wbs serve --demo" in caught.value.hint
    # And nothing was written
    assert not out.exists()


def test_the_institution_s_own_keyring_builds_beside_a_demo(real: Path, tmp_path: Path) -> None:
    assert demo.found_in(load(real), real) == []
    assert (build_site(real, tmp_path / "out") / "index.html").is_file()


def test_wbs_build_refuses_the_demo_s_keyring_in_one_line(real: Path, tmp_path: Path) -> None:
    # A copy of the demo's keyring, as an admin might take for keys/keyring.json
    copy = tmp_path / "copy.json"
    shutil.copyfile(paths.demo_keyring(), copy)
    for keyring, words in [
        (paths.demo_keyring(), ["holds every key of the demo (it is the demo's own keyring)"]),
        (copy, [str(copy), "the DEMO key", "and more", "anyone could read the reports"]),
    ]:
        out = tmp_path / "out"
        result = CliRunner().invoke(cli, ["build", "--keyring", str(keyring), "--out", str(out)])
        one_line_error(result, *words)
        assert not out.exists()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """What would be served, instead of listening on a port."""
    calls: list[Settings] = []

    def fake_serve(site_dir: Path | None, settings: Settings, **_: Any) -> None:
        calls.append(settings)

    monkeypatch.setattr(host, "serve", fake_serve)
    return calls


def test_serve_builds_the_demo_only_with_demo(
    real: Path, tmp_path: Path, served: list[Settings]
) -> None:
    # `wbs serve --demo` builds with the demo's own keyring and serves it
    result = CliRunner().invoke(cli, ["serve", "--demo", "--site-out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "index.html").is_file() and len(served) == 1
    # The same keyring without --demo (a self-hosted server for real reports) is refused
    out = tmp_path / "out"
    args = ["serve", "--keyring", str(paths.demo_keyring()), "--site-out", str(out)]
    one_line_error(CliRunner().invoke(cli, args), "(it is the demo's own keyring)")
    assert not out.exists() and len(served) == 1


def test_deploy_refuses_a_keyring_holding_the_demo_key(real: Path, tmp_path: Path) -> None:
    # Given a deployable config, and a site built already from the real keyring
    config = tmp_path / "config.toml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    config.write_text(text + '\n[deployment]\nstack_name = "wbs-test"\n', encoding="utf-8")
    site = build_site(real, tmp_path / "site", config)
    # When the keyring given to the deployment has gained the demo key
    dump(with_demo_person(load(real)), real)
    args = ["deploy", "--config", str(config), "--keyring", str(real), "--site", str(site)]
    result = CliRunner().invoke(cli, [*args, "--dry-run"])
    # Then the plan is refused before anything is packaged or sent
    one_line_error(result, str(real), "the DEMO key")
    assert "Dry run" not in result.output
    # And without --site, the build it starts refuses first
    out = ["deploy", "--config", str(config), "--keyring", str(real), "--dry-run"]
    one_line_error(CliRunner().invoke(cli, out), "the DEMO key")


def test_the_demo_key_file_alone_is_recognised(real: Path) -> None:
    # The demo keyring gone, this machine's demo key is still recognised by its key file
    info = keyfile.inspect(paths.demo_key())
    person = KeyEntry.for_public_key(info.public_key, "Ani", "2026-11-01", info.signing_key)
    paths.demo_keyring().unlink()
    ring = load(real)
    found = demo.found_in(dataclasses.replace(ring, keys=(*ring.keys, person)), real)
    assert found == [f"the DEMO key {info.kid} (active)"]
