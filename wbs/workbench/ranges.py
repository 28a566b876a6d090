"""HTTP range requests for evidence files (RFC 9110 §14): one range of bytes, so that a
browser can seek in a long recording without fetching it whole.

Only a single range is answered. A ``Range`` header that is malformed, names another unit,
or asks for more than one range is ignored, as RFC 9110 allows: the whole file is answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

# bytes=FIRST-[LAST] or bytes=-SUFFIX; the unit is case-insensitive, the rest is digits.
_SPEC = re.compile(r"(?i:bytes)=(?:([0-9]+)-([0-9]*)|-([0-9]+))", re.ASCII)
# A number longer than this is larger than any file: no need to parse it whole.
_MAX_DIGITS = 18
CHUNK = 1024 * 1024  # bytes per piece of an answered range


class Range(NamedTuple):
    """Bytes ``first`` to ``last`` (both included, as in the header) of ``total``."""

    first: int
    last: int
    total: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.total}"

    def of(self, data: bytes, chunk: int = CHUNK) -> Iterator[bytes]:
        """This range of ``data``, in pieces of at most ``chunk`` bytes (no whole copy)."""
        for start in range(self.first, self.last + 1, chunk):
            yield data[start : min(start + chunk, self.last + 1)]


class Unsatisfiable(NamedTuple):
    """A well-formed range that lies outside the file: answered 416."""

    total: int

    @property
    def content_range(self) -> str:
        return f"bytes */{self.total}"


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def parse(header: str, total: int) -> Range | Unsatisfiable | None:
    """The range ``header`` asks for in a file of ``total`` bytes; None when the header is
    absent, malformed or asks for several ranges (answer the whole file)."""
    found = _SPEC.fullmatch(header.strip())
    if found is None:
        return None
    first, last, suffix = found.groups()
    if suffix is not None:
        length = _number(suffix)
        if length == 0 or total == 0:
            return Unsatisfiable(total)
        return Range(max(total - length, 0), total - 1, total)
    start = _number(first)
    if last and _number(last) < start:
        return None  # invalid: ignored, not unsatisfiable
    if start >= total:
        return Unsatisfiable(total)
    end = min(_number(last), total - 1) if last else total - 1
    return Range(start, end, total)
