"""``[uploads]``: the limits on evidence uploads (functions/uploads)::

    [uploads]
    max_file_size = "5 GiB"    # one evidence file, before encryption: bytes, or N KiB|MiB|GiB
    max_files = 20             # per report, its follow-ups' files included
    max_case_size = "20 GiB"   # all of one report's files, encrypted
    part_size = "8 MiB"        # one upload request: 5 MiB to 5 GiB
    grant_minutes = 60         # how long the URL of a part lasts

Without the table, or without a field, ``functions.uploads.Limits``'s defaults apply.
"""

from __future__ import annotations

from functions.attachment_size import CHUNK_SIZES, stored_size
from functions.uploads import Limits
from wbs.config.fields import Table

FIELDS = frozenset({"max_file_size", "max_files", "max_case_size", "part_size", "grant_minutes"})
HINT = "see the [uploads] example in site/config.toml"


def parse(top: Table) -> Limits:
    """The file's limits (the WBS_UPLOAD_* variables are the caller's to apply)."""
    table = top.table("uploads", FIELDS, HINT)
    if table is None:
        return Limits()
    values: dict[str, int] = {}
    if "max_file_size" in table.values:
        size = table.size("max_file_size")
        # The object of a file of that size, in whichever chunks take the most room
        values["max_object_bytes"] = max(stored_size(size, chunk) for chunk in CHUNK_SIZES)
    if "max_case_size" in table.values:
        values["max_case_bytes"] = table.size("max_case_size")
    if "part_size" in table.values:
        values["part_bytes"] = table.size("part_size")
    if "max_files" in table.values:
        values["max_files"] = table.whole("max_files", 1, 10_000)
    if "grant_minutes" in table.values:
        values["grant_seconds"] = table.whole("grant_minutes", 1, 10_080) * 60
    try:
        return Limits(**values)
    except ValueError as exc:
        raise table.error("", f": {exc}") from None
