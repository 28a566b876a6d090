"""The one error of the config file: it names the file and the dotted field at fault."""

from __future__ import annotations

from functions.errors import WbsError


class ConfigFileError(WbsError, ValueError):
    """The config file cannot be read, or a value in it is not valid.

    The message starts with the file, then the dotted field (``site/config.toml:
    uploads.part_size must be ...``); ``field`` holds that dotted name, or None when the
    file as a whole is at fault (missing, not TOML) or a variable overrides it."""

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field
