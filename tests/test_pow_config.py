"""The ``[proof_of_work]`` table of the config file: its difficulty, checked by the build and
read by `wbs serve` (WBS_POW_DIFFICULTY on top) and `wbs deploy` (the file alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions import host
from functions.config import Settings
from functions.proofs import DEFAULT_DIFFICULTY
from infra import settings as deployment
from tests.support.site import build_module
from wbs import config, demo
from wbs.cli import cli

PROJECT = Path(__file__).resolve().parent.parent / "site" / "config.toml"


def with_table(tmp_path: Path, table: str) -> Path:
    """The project's config with its [proof_of_work] table replaced by ``table``."""
    text = PROJECT.read_text(encoding="utf-8")
    start = text.index("[proof_of_work]")
    end = text.find("\n[", start + 1)
    rest = "" if end < 0 else text[end:]
    path = tmp_path / "config.toml"
    path.write_text(text[:start] + table + rest, encoding="utf-8")
    return path


def test_the_project_asks_the_documented_difficulty() -> None:
    assert config.proof_difficulty(PROJECT, environ={}) == DEFAULT_DIFFICULTY == 18
    assert "difficulty = 18" in PROJECT.read_text(encoding="utf-8")


def test_no_table_means_the_default(tmp_path: Path) -> None:
    path = with_table(tmp_path, "")
    assert config.proof_difficulty(path, environ={}) == DEFAULT_DIFFICULTY


def test_the_variable_overrides_the_file_and_only_it_can_say_zero(tmp_path: Path) -> None:
    path = with_table(tmp_path, "[proof_of_work]\ndifficulty = 12\n")
    assert config.proof_difficulty(path, environ={}) == 12
    assert config.proof_difficulty(path, environ={"WBS_POW_DIFFICULTY": "20"}) == 20
    assert config.proof_difficulty(path, environ={"WBS_POW_DIFFICULTY": "0"}) == 0
    with pytest.raises(config.ConfigFileError, match="WBS_POW_DIFFICULTY must be"):
        config.proof_difficulty(path, environ={"WBS_POW_DIFFICULTY": "99"})


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("[proof_of_work]\ndifficulty = 0\n", "proof_of_work.difficulty must be a whole number"),
        ("[proof_of_work]\ndifficulty = 29\n", "proof_of_work.difficulty must be a whole number"),
        ('[proof_of_work]\ndifficulty = "18"\n', "proof_of_work.difficulty must be a whole"),
        ("[proof_of_work]\ndifficulty = true\n", "proof_of_work.difficulty must be a whole"),
        ("[proof_of_work]\ndifficulty = 18.0\n", "proof_of_work.difficulty must be a whole"),
        ("[proof_of_work]\nbits = 18\n", "proof_of_work has an unknown field 'bits'"),
        ("proof_of_work = 18\n", "proof_of_work must be a table"),
    ],
)
def test_a_bad_table_is_refused_by_every_reader_naming_the_field(
    tmp_path: Path, table: str, named: str
) -> None:
    path = with_table(tmp_path, table) if table.startswith("[") else with_table(tmp_path, "")
    if not table.startswith("["):  # a top-level key must come before the first table
        path.write_text(table + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(config.ConfigFileError, match=named):
        config.proof_difficulty(path, environ={})
    build = build_module()
    with pytest.raises(build.BuildError, match=named):
        build.load_config(path)


def test_the_build_knows_the_table(tmp_path: Path) -> None:
    build = build_module()
    assert "proof_of_work" in build.TABLES
    build.load_config(with_table(tmp_path, "[proof_of_work]\ndifficulty = 20\n"))


def test_deploy_takes_the_file_and_ignores_the_admins_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_table(tmp_path, "[proof_of_work]\ndifficulty = 21\n")
    monkeypatch.setenv("WBS_POW_DIFFICULTY", "0")
    assert deployment.proof_difficulty(path) == 21


def test_serve_asks_the_configs_difficulty_or_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a config that asks 20 bits, and `wbs serve` recorded instead of listening
    monkeypatch.setenv("WBS_HOME", str(tmp_path / "home"))
    served: list[Any] = []

    def fake_serve(site_dir: Path | None, settings: Settings, host: str, port: int) -> None:
        served.append(settings)

    monkeypatch.setattr(host, "serve", fake_serve)
    path = with_table(tmp_path, "[proof_of_work]\ndifficulty = 20\n")
    demo.ensure_key()
    args = ["serve", "--demo", "--site-out", str(tmp_path / "out"), "--config", str(path)]
    # When it starts without the variable, then with it
    monkeypatch.delenv("WBS_POW_DIFFICULTY")
    assert CliRunner().invoke(cli, args).exit_code == 0
    monkeypatch.setenv("WBS_POW_DIFFICULTY", "7")
    assert CliRunner().invoke(cli, args).exit_code == 0
    # Then the API asks the file's bits, and then the variable's
    assert [s.pow_difficulty for s in served] == [20, 7]
