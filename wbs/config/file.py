"""Reading the config file: once, into its top-level table."""

from __future__ import annotations

import tomllib
from pathlib import Path

from wbs.config.errors import ConfigFileError
from wbs.config.fields import Table

HINT = "see the comments in the project's site/config.toml"


def read_file(path: Path) -> Table:
    """The top level of the config file ``path``. The one reader of the file for the build,
    ``wbs`` and the deployment, so a file is valid TOML for all of them or for none."""
    try:
        return Table(path, "", tomllib.loads(path.read_text(encoding="utf-8")), HINT)
    except FileNotFoundError:
        raise ConfigFileError(
            f"no config file at {path}", hint="--config PATH (or WBS_CONFIG), or leave both unset"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: is not valid TOML ({exc})", hint=HINT) from None
