"""The build's own refusals (a config file's mistakes are wbs.config.ConfigFileError)."""

from __future__ import annotations

from functions.errors import WbsError


class BuildError(WbsError, ValueError):
    """The site cannot be built from these inputs; nothing was written."""
