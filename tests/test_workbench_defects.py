"""The workbench's own defects that inspectors saw on screen (issue 17, item 6), each shown
fixed here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions.keyring import load_active
from wbs import demo, paths
from wbs.cli import cli
from wbs.workbench.app import Config


class Started(Exception):
    """Raised in place of serving: the test wanted only what the workbench was given."""


def started_with(monkeypatch: pytest.MonkeyPatch, *args: str) -> Config:
    """The Config `wbs workbench ARGS` builds its server with (the server is never run)."""
    seen: list[Config] = []

    def make_server(config: Config, **_: Any) -> Any:
        seen.append(config)
        raise Started

    # (named by its path: only the command line imports the commands, tests/test_layout.py)
    monkeypatch.setattr("wbs.commands.workbench.make_server", make_server)
    result = CliRunner().invoke(cli, ["workbench", "--no-browser", *args])
    assert isinstance(result.exception, Started), result.output
    return seen[0]


def test_with_the_demo_key_the_workbench_seals_with_the_demo_s_keyring(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the demo of `wbs serve --demo`, and no keyring named
    demo.ensure_key()
    monkeypatch.delenv("WBS_KEYRING")
    # When the workbench starts with the demo key
    config = started_with(monkeypatch, "--key", str(paths.demo_key()))
    # Then it answers with the demo's keyring, which has a desk, not keys/keyring.json
    assert config.keyring == paths.demo_keyring()
    assert load_active(config.keyring).desks


def test_a_keyring_named_is_kept_even_with_the_demo_key(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.ensure_key()
    named = tmp_path / "named.json"
    config = started_with(monkeypatch, "--key", str(paths.demo_key()), "--keyring", str(named))
    assert config.keyring == named
    monkeypatch.setenv("WBS_KEYRING", str(named))
    assert started_with(monkeypatch, "--key", str(paths.demo_key())).keyring == named
