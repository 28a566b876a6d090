"""The [uploads] table of the institution's config file (wbs/config/uploads.py): sizes with units,
every field checked by name, and a WBS_UPLOAD_* variable over the file on one server."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.attachment_size import stored_size
from functions.uploads import Limits
from functions.uploads.grants import GIB, MIB
from wbs import config


def limits(tmp_path: Path, table: str, environ: dict[str, str] | None = None) -> Limits:
    path = tmp_path / "config.toml"
    path.write_text(table)
    return config.upload_limits(path, environ or {})


def test_no_table_means_the_defaults(tmp_path: Path) -> None:
    assert limits(tmp_path, "[institution]\nname = 'X'\n") == Limits()


def test_the_project_config_gives_the_defaults_it_documents() -> None:
    assert config.upload_limits(None, {}) == Limits()


def test_sizes_with_units_and_whole_bytes(tmp_path: Path) -> None:
    got = limits(
        tmp_path,
        "[uploads]\nmax_file_size = '600 MiB'\nmax_case_size = 3221225472\n"
        "part_size = '16 MiB'\nmax_files = 5\ngrant_minutes = 30\n",
    )
    assert got == Limits(
        part_bytes=16 * MIB,
        max_object_bytes=stored_size(600 * MIB, 1024),
        max_files=5,
        max_case_bytes=3 * GIB,
        grant_seconds=1800,
    )
    assert got.max_file_bytes >= 600 * MIB
    assert stored_size(got.max_file_bytes + 1, 1024) > got.max_object_bytes


def test_a_variable_overrides_the_file(tmp_path: Path) -> None:
    got = limits(tmp_path, "[uploads]\nmax_files = 5\n", {"WBS_UPLOAD_MAX_FILES": "2"})
    assert got.max_files == 2
    assert Limits.from_env(got.to_env()) == got


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("[uploads]\nmax_file_size = '5 GB'\n", "uploads.max_file_size"),
        ("[uploads]\nmax_file_size = 0\n", "uploads.max_file_size"),
        ("[uploads]\nmax_case_size = '-1 GiB'\n", "uploads.max_case_size"),
        ("[uploads]\nmax_files = true\n", "uploads.max_files"),
        ("[uploads]\nmax_files = 0\n", "uploads.max_files"),
        ("[uploads]\ngrant_minutes = 0\n", "uploads.grant_minutes"),
        ("[uploads]\ngrant_minutes = 1441\n", "uploads: a grant lasts"),
        ("[uploads]\npart_size = '4 MiB'\n", "uploads: the part size"),
        ("[uploads]\nmax_file_size = '100 GiB'\n", "uploads: an object must fit"),
        ("[uploads]\nsize = 1\n", "unknown field 'size'"),
        ("uploads = 5\n", "uploads must be a table"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(tmp_path: Path, table: str, named: str) -> None:
    with pytest.raises(config.ConfigFileError, match=named) as refused:
        limits(tmp_path, table)
    assert refused.value.hint


def test_a_bad_variable_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigFileError, match="WBS_UPLOAD_MAX_FILES"):
        limits(tmp_path, "", {"WBS_UPLOAD_MAX_FILES": "many"})
