"""docs/cli.md is the `--help` of every `wbs` command: the docs cannot drift from the code.

After changing a command's help, regenerate it with
    WBS_UPDATE_DOCS=1 .venv/bin/pytest tests/test_cli_docs.py
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from wbs.cli import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def render() -> str:
    parts = ["# `wbs` command reference\n\nGenerated from `--help` by `tests/test_cli_docs.py`.\n"]
    runner = CliRunner()
    for path in commands(cli):
        result = runner.invoke(cli, [*path, "--help"], env={"COLUMNS": "100"}, terminal_width=100)
        assert result.exit_code == 0, result.output
        title = " ".join(("wbs", *path))
        parts.append(f"## `{title}`\n\n```text\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    text = render()
    if os.environ.get("WBS_UPDATE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "regenerate: see this file's docstring"
