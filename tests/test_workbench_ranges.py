"""The Range header of evidence files (wbs/workbench/ranges.py): one range answered, an
out-of-file range refused, anything else ignored (RFC 9110 §14)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wbs.workbench.ranges import Range, Unsatisfiable, parse


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", Range(0, 99, 1000)),
        ("bytes=0-0", Range(0, 0, 1000)),
        ("bytes=990-", Range(990, 999, 1000)),
        ("bytes=0-", Range(0, 999, 1000)),
        ("bytes=-10", Range(990, 999, 1000)),
        ("bytes=-5000", Range(0, 999, 1000)),  # a suffix longer than the file: all of it
        ("bytes=900-5000", Range(900, 999, 1000)),  # a last byte past the end: to the end
        ("BYTES=1-2", Range(1, 2, 1000)),  # the unit is case-insensitive
        (" bytes=1-2 ", Range(1, 2, 1000)),
        ("bytes=1-" + "9" * 40, Range(1, 999, 1000)),
        ("bytes=1000-", Unsatisfiable(1000)),
        ("bytes=1000-1001", Unsatisfiable(1000)),
        ("bytes=" + "9" * 40 + "-", Unsatisfiable(1000)),
        ("bytes=-0", Unsatisfiable(1000)),
    ],
)
def test_one_range_is_answered_and_one_outside_the_file_is_refused(
    header: str, expected: Range | Unsatisfiable
) -> None:
    assert parse(header, 1000) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes=0-1,5-6",  # several ranges: answered whole
        "bytes=0-1, 5-6",
        "bytes=5-1",  # last before first: invalid
        "bytes=-",
        "bytes=",
        "bytes 0-1",
        "items=0-1",
        "bytes=a-b",
        "bytes=0x1-2",
        "bytes=+1-2",
        "bytes=1 -2",
        "bytes=\u0661-\u0662",  # other digits than ASCII
        "byte\u017f=1-2",  # a long s, which a Unicode case-insensitive match would take for s
    ],
)
def test_a_malformed_or_multiple_range_is_ignored(header: str) -> None:
    assert parse(header, 1000) is None


def test_an_empty_file_satisfies_no_range() -> None:
    assert parse("bytes=0-", 0) == Unsatisfiable(0)
    assert parse("bytes=-1", 0) == Unsatisfiable(0)
    assert parse("bytes=0-0", 0) == Unsatisfiable(0)


def test_the_headers_of_an_answer() -> None:
    assert Range(0, 99, 1000).content_range == "bytes 0-99/1000"
    assert Range(0, 99, 1000).length == 100
    assert Unsatisfiable(1000).content_range == "bytes */1000"


@given(
    data=st.binary(max_size=300),
    first=st.integers(min_value=0, max_value=400),
    last=st.none() | st.integers(min_value=0, max_value=400),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_any_range_answers_exactly_its_bytes(
    data: bytes, first: int, last: int | None, chunk: int
) -> None:
    header = f"bytes={first}-{'' if last is None else last}"
    found = parse(header, len(data))
    if last is not None and last < first:
        assert found is None
    elif first >= len(data):
        assert found == Unsatisfiable(len(data))
    else:
        assert isinstance(found, Range)
        end = len(data) - 1 if last is None else min(last, len(data) - 1)
        pieces = list(found.of(data, chunk))
        assert b"".join(pieces) == data[first : end + 1]
        assert found.length == len(data[first : end + 1])
        assert all(0 < len(piece) <= chunk for piece in pieces)
        assert found.content_range == f"bytes {first}-{end}/{len(data)}"


@given(data=st.binary(max_size=300), suffix=st.integers(min_value=1, max_value=400))
def test_any_suffix_answers_the_file_s_last_bytes(data: bytes, suffix: int) -> None:
    found = parse(f"bytes=-{suffix}", len(data))
    if not data:
        assert found == Unsatisfiable(0)
    else:
        assert isinstance(found, Range)
        assert b"".join(found.of(data)) == data[-suffix:]
