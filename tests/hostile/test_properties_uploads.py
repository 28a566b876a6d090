"""Properties of the upload parsers (functions/uploads/): the grant, renew and complete
bodies, the grant records, ``plan``, the sizes an attachment can have, and the local host's
part URLs. Any input gives an answer or an UploadError, and a refusal writes nothing."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from functions.attachment_size import CHUNK_SIZES, HEADER_BYTES, is_attachment_size, stored_size
from functions.errors import AlreadyExists
from functions.storage.layout import upload_record, upload_slot
from functions.uploads import Limits, LocalUploads, UploadError, Uploads
from functions.uploads.grants import MAX_OBJECT_BYTES, MAX_PARTS, MIB, Part, Record, plan
from tests.hostile.strategies import (
    MemoryStorage,
    any_text,
    ids,
    json_values,
    mutated_tree,
    profile,
)
from wbs import attachments, config

pytestmark = pytest.mark.slow  # hypothesis: a hundred examples a property

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CASE = "7K3M9QXA2B4C6D8E"
LIMITS = Limits(part_bytes=5 * MIB, max_files=5)
SMALL = stored_size(0, 1024)


class Backend:
    """The upload protocol's store, doing nothing but remember: the grants' own checks are
    what is tested."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.completed: list[str] = []

    def start(
        self,
        key: str,
        size: int,
        part_bytes: int,
        expires: datetime,
        desks: Collection[str] = frozenset(),
    ) -> str:
        self.started.append(key)
        return f"{len(self.started):032x}"

    def urls(
        self, key: str, upload: str, parts: Sequence[Part], now: datetime, expires: datetime
    ) -> list[str]:
        return [f"/{key}?part={p.number}" for p in parts]

    def complete(self, key: str, upload: str, parts: Sequence[Part], etags: Sequence[str]) -> None:
        if etags != [f'"{n}"' for n in range(1, len(parts) + 1)]:
            raise UploadError(HTTPStatus.BAD_REQUEST, "bad_parts", "Not those parts.")
        self.completed.append(key)

    def sweep(self, now: datetime) -> int:
        return 0


def uploads() -> tuple[Uploads, MemoryStorage, Backend]:
    storage, backend = MemoryStorage(), Backend()
    return Uploads(storage, backend, LIMITS, clock=lambda: NOW), storage, backend


def granted(ups: Uploads, file_id: str = "0123456789ABCDEF", size: int = SMALL) -> dict[str, Any]:
    (file,) = ups.grant(CASE, {"files": [{"id": file_id, "size": size}]})["files"]
    return dict(file)


file_entries = st.fixed_dictionaries(
    {
        "id": ids | any_text,
        "size": st.sampled_from([SMALL, stored_size(5000, 1024), MAX_OBJECT_BYTES])
        | st.integers()
        | json_values,
    }
)
grant_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"files": st.lists(file_entries, max_size=4)}),
    st.fixed_dictionaries({"files": st.lists(file_entries, max_size=2)}).flatmap(mutated_tree),
)


@profile(200)
@given(grant_bodies)
def test_a_grant_request_is_granted_whole_or_refused_with_nothing_written(body: Any) -> None:
    ups, storage, backend = uploads()
    try:
        answer = ups.grant(CASE, body)
    except UploadError as exc:
        assert 400 <= exc.status < 500 and exc.message.endswith(".")
        assert storage.objects == {} and backend.started == []
        return
    # Granted: one record and one upload a file, each as asked
    asked = {f["id"]: f["size"] for f in body["files"]}
    assert [f["id"] for f in answer["files"]] == list(asked)
    assert sorted(storage.objects) == sorted(
        [upload_slot(CASE, 1), *(upload_record(CASE, i) for i in asked)]
    )
    for file in answer["files"]:
        assert is_attachment_size(asked[file["id"]])
        assert sum(p["size"] for p in file["parts"]) == asked[file["id"]]


ref_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"id": ids | any_text, "upload": any_text | json_values}),
    st.fixed_dictionaries(
        {
            "id": st.just("0123456789ABCDEF"),
            "upload": st.just(f"{1:032x}"),
            "parts": st.lists(
                st.fixed_dictionaries(
                    {"number": st.integers(0, 3) | json_values, "etag": any_text}
                ),
                max_size=3,
            ),
        }
    ).flatmap(lambda b: st.just(b) | mutated_tree(b)),
)


@profile(120)
@given(ref_bodies)
def test_renew_and_complete_answer_or_refuse_with_nothing_written(body: Any) -> None:
    ups, storage, backend = uploads()
    granted(ups)
    before = dict(storage.objects)
    for step in (ups.renew, ups.complete):
        try:
            step(CASE, body)
        except UploadError as exc:
            assert 400 <= exc.status < 500 and exc.message.endswith(".")
    assert storage.objects == before
    assert backend.completed in ([], [f"attachments/{CASE}/0123456789ABCDEF"])


numbers = st.integers() | st.booleans() | json_values
records = st.fixed_dictionaries(
    {
        "created": any_text,
        "expires": st.just("2026-03-02T08:00:00Z") | any_text,
        "part_size": numbers,
        "size": numbers,
        "upload": any_text | json_values,
    }
)


@profile(200)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.builds(lambda v: json.dumps(v).encode(), json_values | records),
    )
)
def test_a_stored_record_reads_or_counts_as_the_largest_file(data: bytes) -> None:
    ups, storage, _ = uploads()
    storage.put_new(upload_record(CASE, "0123456789ABCDEF"), data)
    record = ups._record(CASE, "0123456789ABCDEF")
    if record is not None:
        assert type(record.size) is int and record.size > 0
        assert type(record.part_size) is int and record.part_size > 0
        assert record.size <= record.part_size * MAX_PARTS  # its plan stays small
    # Whatever it holds, the case's room is counted without raising
    room = ups.room(CASE)
    assert room["files"] == LIMITS.max_files - 1


@profile()
@given(
    st.integers(5 * MIB, 5 * 1024 * MIB),
    st.integers(1, 1200),
    st.text(st.sampled_from("0123456789abcdef"), min_size=1, max_size=40),
)
def test_a_record_reads_back_as_written(part_size: int, parts: int, upload: str) -> None:
    size = part_size * parts - parts  # as a grant writes it: at most 1,200 parts
    ups, storage, _ = uploads()
    record = Record("2026-03-01T08:00:00Z", NOW + timedelta(days=1), part_size, size, upload)
    storage.put_new(upload_record(CASE, "0123456789ABCDEF"), record.to_json())
    assert ups._record(CASE, "0123456789ABCDEF") == record


@profile(200)
@given(st.integers(1, 10**13), st.integers(1, 10**10))
def test_plan_cuts_an_object_into_whole_parts_and_a_rest(size: int, part_bytes: int) -> None:
    assume(size // part_bytes <= 20_000)
    parts = plan(size, part_bytes)
    assert [p.number for p in parts] == list(range(1, len(parts) + 1))
    assert len(parts) == math.ceil(size / part_bytes)
    assert sum(p.size for p in parts) == size
    assert all(p.size == part_bytes for p in parts[:-1])
    assert 0 < parts[-1].size <= part_bytes


@profile(200)
@given(st.integers(0, 2**40), st.sampled_from(CHUNK_SIZES))
def test_every_attachment_has_an_attachment_size(size: int, chunk: int) -> None:
    stored = stored_size(size, chunk)
    assert is_attachment_size(stored)
    assert stored == HEADER_BYTES + (size // chunk + 1) * (chunk + 17)


@profile(200)
@given(st.integers(-(2**20), 2**41))
def test_an_attachment_size_is_a_header_and_whole_chunks(size: int) -> None:
    sealed_chunks = [
        (size - HEADER_BYTES) // (c + 17)
        for c in CHUNK_SIZES
        if size > HEADER_BYTES and (size - HEADER_BYTES) % (c + 17) == 0
    ]
    assert is_attachment_size(size) == any(n >= 1 for n in sealed_chunks)


@profile()
@given(st.integers(5 * MIB, 5 * 1024 * MIB), st.integers(1, 10**12))
def test_the_largest_file_fits_whatever_chunks_its_writer_chose(
    part_bytes: int, max_object: int
) -> None:
    try:
        limits = Limits(part_bytes=part_bytes, max_object_bytes=max_object)
    except ValueError:
        return
    largest = limits.max_file_bytes
    assert all(stored_size(largest, c) <= limits.max_object_bytes for c in CHUNK_SIZES)
    assert any(stored_size(largest + 1, c) > limits.max_object_bytes for c in CHUNK_SIZES)
    assert len(plan(limits.max_object_bytes, part_bytes)) <= 1200


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config")


@profile()
@given(st.integers(1, 6 * 1024**3) | st.integers(1, 100 * MIB))
def test_a_file_of_the_configured_size_fits_as_the_page_writes_it(
    config_dir: Path, size: int
) -> None:
    path = config_dir / "config.toml"
    path.write_text(f"[uploads]\nmax_file_size = {size}\n")
    try:
        limits = config.upload_limits(path, {})
    except config.ConfigFileError:
        return  # more than 1,200 parts of the part size hold
    # The page may take a file of the configured size, and so may the server, in the page's
    # 1 MiB chunks as in a test vector's 1 KiB ones
    assert limits.max_file_bytes >= size
    for chunk in (CHUNK_SIZES[0], attachments.CHUNK):
        assert stored_size(size, chunk) <= limits.max_object_bytes


# --- the local host's part URLs --------------------------------------------------------------


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> LocalUploads:
    backend = LocalUploads(tmp_path_factory.mktemp("parts"), b"s" * 32, clock=lambda: NOW)
    return backend


queries = st.one_of(
    any_text,
    st.lists(
        st.tuples(
            st.sampled_from(["upload", "part", "size", "expires", "grant", "x"]),
            any_text | st.integers(0, 2**70).map(str),
        ),
        max_size=7,
    ).map(
        lambda pairs: "&".join(
            f"{quote(k)}={quote(v, safe='', errors='surrogatepass')}" for k, v in pairs
        )
    ),
)


@profile(200)
@given(any_text | ids.map(lambda i: f"/attachments/{CASE}/{i}"), queries, st.none() | any_text)
def test_a_part_url_not_signed_here_is_refused_before_the_body(
    local: LocalUploads, path: str, query: str, length: str | None
) -> None:
    body = io.BytesIO(b"never read")
    with pytest.raises(UploadError) as refused:
        local.receive(path, query, length, body)
    assert refused.value.code == "bad_grant" and body.tell() == 0


@profile()
@given(st.data())
def test_a_signed_url_verifies_and_any_change_to_it_does_not(
    local: LocalUploads, data: st.DataObject
) -> None:
    key = f"attachments/{CASE}/{data.draw(ids)}"
    upload = data.draw(st.text(st.sampled_from("0123456789abcdef"), min_size=32, max_size=32))
    part = Part(data.draw(st.integers(1, 10_000)), data.draw(st.integers(1, 10**10)))
    expires = NOW + timedelta(seconds=data.draw(st.integers(1, 10**6)))
    (url,) = local.urls(key, upload, [part], NOW, expires)
    path, _, query = url.partition("?")
    grant = local._verify(path, query)
    assert (grant.key, grant.upload, grant.part, grant.size) == (key, upload, *part)
    # One character changed, added or removed anywhere in the URL
    at = data.draw(st.integers(0, len(url) - 1))
    change = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    char = data.draw(st.characters(exclude_categories=()) | st.sampled_from("0123456789abcdef&="))
    changed = {
        "replace": url[:at] + char + url[at + 1 :],
        "insert": url[:at] + char + url[at:],
        "delete": url[:at] + url[at + 1 :],
    }[change]
    assume(changed != url)
    path, _, query = changed.partition("?")
    try:
        again = local._verify(path, query)
    except UploadError as exc:
        assert exc.code == "bad_grant"
        return
    assert again == grant  # only a spelling of the very same grant (say, %61 for a) passes


def test_a_grant_record_written_twice_is_refused(tmp_path: Path) -> None:
    # The records are create-only: a second grant of the same id never overwrites one
    ups, storage, _ = uploads()
    granted(ups)
    with pytest.raises(AlreadyExists):
        storage.put_new(upload_record(CASE, "0123456789ABCDEF"), b"{}")
    with pytest.raises(UploadError) as taken:
        ups.grant(CASE, {"files": [{"id": "0123456789ABCDEF", "size": stored_size(2000, 1024)}]})
    assert taken.value.code == "file_id_taken"


def test_limits_too_small_for_an_empty_file_in_the_pages_chunks_are_refused() -> None:
    # The page writes 1 MiB chunks: below one such chunk and a header, no file could be sent
    smallest = stored_size(0, attachments.CHUNK)
    fits = Limits(max_object_bytes=smallest).max_file_bytes
    assert all(stored_size(fits, chunk) <= smallest for chunk in CHUNK_SIZES)
    with pytest.raises(ValueError, match="empty file"):
        Limits(max_object_bytes=smallest - 1)
