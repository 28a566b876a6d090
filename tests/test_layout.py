"""Folders show who uses what (STYLE.md): read the imports of every Python file in the
repository with ``ast`` and refuse the ones that cross a line, and any file loaded by path."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from tests.support.site import ROOT

SKIPPED = {".git", ".venv", "node_modules", "dist", "__pycache__"}
BY_PATH = {"spec_from_file_location", "run_path", "SourceFileLoader"}


def python_files(folder: Path = ROOT) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_dir() and path.name not in SKIPPED and not path.name.startswith("."):
            yield from python_files(path)
        elif path.suffix == ".py":
            yield path


@cache
def parsed() -> list[tuple[Path, ast.Module]]:
    """Every Python file of the repository (as a path below ROOT) and its syntax tree."""
    return [(p.relative_to(ROOT), ast.parse(p.read_bytes(), str(p))) for p in python_files()]


def module_of(path: Path) -> str:
    return ".".join(path.with_suffix("").parts)


def imported(tree: ast.Module, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for each import in the file at ``path`` (below ROOT), relative ones
    resolved against its package."""
    package = module_of(path).split(".")[:-1]  # a package's __init__ included
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            # `from wbs import commands` imports wbs.commands as surely as `import wbs.commands`
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def loads_by_path(tree: ast.Module) -> Iterator[int]:
    """Lines that load a file by its path: importlib's spec_from_file_location and
    SourceFileLoader, runpy.run_path, exec(open(...))."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = called(node)
            if name in BY_PATH or (name == "exec" and "open" in map(called, calls(node.args))):
                yield node.lineno


def called(node: ast.Call) -> str:
    return str(getattr(node.func, "attr", getattr(node.func, "id", "")))


def calls(nodes: list[ast.expr]) -> Iterator[ast.Call]:
    for node in nodes:
        yield from (n for n in ast.walk(node) if isinstance(n, ast.Call))


def crossings(where: Callable[[Path], bool], module: Callable[[str], bool]) -> list[str]:
    """``file:line module`` for each import of a ``module`` in a file ``where`` holds."""
    found = []
    for path, tree in parsed():
        if where(path):
            found += [f"{path}:{n} {m}" for n, m in imported(tree, path) if module(m)]
    return found


def within(*prefixes: str) -> Callable[[str], bool]:
    return lambda name: any(name == p or name.startswith(p + ".") for p in prefixes)


def under(*folders: str) -> Callable[[Path], bool]:
    return lambda path: path.parts[0] in folders


def test_the_walk_sees_the_package_the_functions_and_the_tests() -> None:
    paths = [path for path, _ in parsed()]
    tops = {path.parts[0] for path in paths}
    assert {"wbs", "functions", "tests", "bench", "build.py"} <= tops
    assert Path("tests/test_layout.py") in paths


def test_the_import_reader_resolves_relative_and_from_imports() -> None:
    tree = ast.parse("from . import cases\nfrom ..commands.keys import grouped\nimport infra.x\n")
    found = list(imported(tree, Path("wbs/workbench/cases.py")))
    assert found == [(1, "wbs.workbench.cases"), (2, "wbs.commands.keys.grouped"), (3, "infra.x")]
    assert within("wbs.commands")("wbs.commands.keys.grouped")
    assert not within("wbs.commands")("wbs.commandsx")


def test_the_path_loader_finder_finds_each_way() -> None:
    source = (
        "importlib.util.spec_from_file_location('m', 'm.py')\n"
        "runpy.run_path('m.py')\n"
        "SourceFileLoader('m', 'm.py').load_module()\n"
        "exec(open('m.py').read())\n"
        "exec('print(1)')\n"
    )
    assert sorted(loads_by_path(ast.parse(source))) == [1, 2, 3, 4]


def test_only_the_command_line_imports_the_commands() -> None:
    def outside(path: Path) -> bool:
        return path.parts[:2] != ("wbs", "commands") and path != Path("wbs/cli.py")

    assert crossings(outside, within("wbs.commands")) == []


def test_infra_holds_no_python_and_nothing_imports_it() -> None:
    # infra/ is the admin's template and self-hosting files; the code that deploys them is
    # wbs/deploy/, so no arrow can run from infra/ back up into wbs/.
    assert [path for path, _ in parsed() if path.parts[0] == "infra"] == []
    assert crossings(lambda path: True, within("infra")) == []


def test_the_functions_import_nothing_from_the_inspector_s_package() -> None:
    assert crossings(under("functions"), within("wbs")) == []


def test_no_file_is_loaded_by_its_path() -> None:
    found = [f"{path}:{n}" for path, tree in parsed() for n in loads_by_path(tree)]
    assert found == []
