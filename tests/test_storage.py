"""One storage suite, run against the local folder and against S3 (moto): both must behave
alike, above all in refusing to overwrite and in refusing keys that could escape."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.errors import AlreadyExists, Denied, InvalidKey, NotFound, StorageError
from functions.storage import LocalStorage, S3Storage, Storage
from functions.storage.tags import TagError

BUCKET = "wbs-test-reports"
REGION = "ap-southeast-3"
BAD_KEYS = [
    "../x",
    "reports/../../x",
    "/etc/passwd",
    "reports//x.json",
    "reports/x.json/",
    "reports\\x.json",
    "..\\x",
    "reports/x\x00.json",
    "./x",
    ".hidden",
    "reports/.x",
    "a..b",
    "reports/x y.json",
    "reports/é.json",
    "",
    "x" * 513,
]


@dataclass
class Backend:
    storage: Storage
    raw_keys: Callable[[], list[str]]  # everything stored, seen past the interface
    broken: Storage  # the same kind of store, unable to work


def _local(tmp_path: Path) -> Iterator[Backend]:
    root = tmp_path / "storage"
    (tmp_path / "not-a-folder").write_text("a file where the store's folder should be")

    def raw_keys() -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    yield Backend(LocalStorage(root), raw_keys, LocalStorage(tmp_path / "not-a-folder" / "x"))


def _s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )

        def raw_keys() -> list[str]:
            return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

        yield Backend(S3Storage(BUCKET, "wbs/prod"), raw_keys, S3Storage("no-such-bucket"))


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    yield from _local(tmp_path) if request.param == "local" else _s3(monkeypatch)


def test_put_then_get(backend: Backend) -> None:
    backend.storage.put_new("reports/0123456789ABCDEF.json", b'{"a":1}')
    assert backend.storage.get("reports/0123456789ABCDEF.json") == b'{"a":1}'


def test_empty_object(backend: Backend) -> None:
    backend.storage.put_new("empty", b"")
    assert backend.storage.get("empty") == b""


def test_refuses_to_overwrite(backend: Backend) -> None:
    # Given a stored object
    backend.storage.put_new("reports/A.json", b"original")
    # When a second write to the same key is attempted
    with pytest.raises(AlreadyExists):
        backend.storage.put_new("reports/A.json", b"replacement")
    # Then the object is unchanged, and nothing else was written
    assert backend.storage.get("reports/A.json") == b"original"
    assert len(backend.raw_keys()) == 1


def test_already_exists_is_also_a_file_exists_error(backend: Backend) -> None:
    backend.storage.put_new("k", b"1")
    with pytest.raises(FileExistsError):
        backend.storage.put_new("k", b"2")


def test_get_missing(backend: Backend) -> None:
    with pytest.raises(NotFound):
        backend.storage.get("reports/missing.json")


def test_stream_reads_an_object_in_pieces(backend: Backend) -> None:
    # Given a stored object larger than one read
    data = bytes(range(256)) * 40
    backend.storage.put_new("attachments/0123456789ABCDEF/file", data)
    # When it is read as a stream, 1000 bytes at a time
    stream = backend.storage.stream("attachments/0123456789ABCDEF/file")
    pieces = []
    while piece := stream.read(1000):
        pieces.append(piece)
    stream.close()
    # Then the pieces are the object, in order
    assert b"".join(pieces) == data
    assert max(len(p) for p in pieces) == 1000


def test_stream_missing_or_bad_key(backend: Backend) -> None:
    with pytest.raises(NotFound):
        backend.storage.stream("attachments/missing")
    with pytest.raises(InvalidKey):
        backend.storage.stream("../x")


def test_list_sorted_with_sizes_and_utc_times(backend: Backend) -> None:
    for key, data in [("reports/B.json", b"bb"), ("reports/A.json", b"a"), ("other/C", b"ccc")]:
        backend.storage.put_new(key, data)
    infos = list(backend.storage.list())
    assert [(i.key, i.size) for i in infos] == [
        ("other/C", 3),
        ("reports/A.json", 1),
        ("reports/B.json", 2),
    ]
    assert all(i.modified.utcoffset() is not None and i.modified.tzinfo == UTC for i in infos)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("reports/", ["reports/A.json", "reports/B.json"]),
        ("reports", ["reports/A.json", "reports/B.json", "reportsX"]),
        ("reports/A", ["reports/A.json"]),
        ("nothing/", []),
        ("", ["reports/A.json", "reports/B.json", "reportsX"]),
    ],
)
def test_list_by_prefix(backend: Backend, prefix: str, expected: list[str]) -> None:
    for key in ("reports/B.json", "reports/A.json", "reportsX"):
        backend.storage.put_new(key, b"x")
    assert [i.key for i in backend.storage.list(prefix)] == expected


def test_list_of_an_empty_store(backend: Backend) -> None:
    assert list(backend.storage.list("reports/")) == []


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_are_refused_and_nothing_is_written(backend: Backend, key: str) -> None:
    with pytest.raises(InvalidKey):
        backend.storage.put_new(key, b"payload")
    with pytest.raises(InvalidKey):
        backend.storage.get(key)
    assert backend.raw_keys() == []


def test_invalid_key_is_also_a_value_error(backend: Backend) -> None:
    with pytest.raises(ValueError):
        backend.storage.put_new("../x", b"")


@pytest.mark.parametrize("prefix", ["../", "/etc", "a//", "..\\"])
def test_invalid_list_prefix(backend: Backend, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        backend.storage.list(prefix)


def test_backend_failure_is_a_storage_error(backend: Backend) -> None:
    with pytest.raises(StorageError) as caught:
        backend.broken.put_new("reports/A.json", b"x")
    assert not isinstance(caught.value, AlreadyExists)
    with pytest.raises(StorageError):
        list(backend.broken.list())


# What only one of the two stores can show.


def test_local_modes_and_no_leftovers(tmp_path: Path) -> None:
    root = tmp_path / "home" / "storage"
    store = LocalStorage(root)
    store.put_new("reports/A.json", b"x")
    with pytest.raises(AlreadyExists):
        store.put_new("reports/A.json", b"y")
    assert stat.S_IMODE((root / "reports" / "A.json").stat().st_mode) == 0o600
    for folder in (tmp_path / "home", root, root / "reports"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert os.listdir(root / "reports") == ["A.json"]  # no temporary file left behind


def test_local_listing_skips_foreign_files(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put_new("reports/A.json", b"x")
    (tmp_path / "reports" / ".tmp-crash").write_bytes(b"half")
    (tmp_path / "reports" / "not a key").write_bytes(b"?")
    assert [i.key for i in store.list()] == ["reports/A.json"]


@pytest.fixture
def s3_backend(monkeypatch: pytest.MonkeyPatch):
    yield from _s3(monkeypatch)


def test_s3_objects_live_under_the_prefix(s3_backend: Backend) -> None:
    backend = s3_backend
    backend.storage.put_new("reports/A.json", b"x")
    assert backend.raw_keys() == ["wbs/prod/reports/A.json"]
    assert [i.key for i in backend.storage.list()] == ["reports/A.json"]


# The wbs-desks tag (docs/aws.md, "Inspectors' access, per desk").


@pytest.mark.parametrize("desks", [["Jabar"], ["a/b"], ["*"], [c * 48 for c in "abcdef"]], ids=repr)
def test_a_set_of_desks_no_tag_can_name_is_refused_and_nothing_is_written(
    backend: Backend, desks: list[str]
) -> None:
    # Both stores refuse it, so that a test on the folder finds what S3 would refuse
    with pytest.raises(TagError):
        backend.storage.put_new("reports/A.json", b"x", desks=desks)
    assert backend.raw_keys() == []


def test_s3_tags_a_new_object_with_its_desks_and_nothing_else(s3_backend: Backend) -> None:
    store = s3_backend.storage
    store.put_new("reports/A.json", b"x", desks=["kab-bandung", "inspektorat"])
    store.put_new("proofs/B", b"")
    client = boto3.client("s3", region_name=REGION)

    def tags(key: str) -> list[dict[str, str]]:
        return client.get_object_tagging(Bucket=BUCKET, Key=f"wbs/prod/{key}")["TagSet"]

    assert tags("reports/A.json") == [{"Key": "wbs-desks", "Value": "/inspektorat/kab-bandung/"}]
    assert tags("proofs/B") == []
    # A create-only write of a taken key changes neither the object nor its tag
    with pytest.raises(AlreadyExists):
        store.put_new("reports/A.json", b"y", desks=["pimpinan"])
    assert store.get("reports/A.json") == b"x"
    assert tags("reports/A.json") == [{"Key": "wbs-desks", "Value": "/inspektorat/kab-bandung/"}]


def test_s3_says_which_objects_it_refuses_to_read(s3_backend: Backend) -> None:
    # A 403 (another desk's case, on AWS) is Denied, apart from any other failure
    store = s3_backend.storage
    store.put_new("reports/A.json", b"x")
    assert isinstance(store, S3Storage)

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied"}}, "GetObject")

    store._client.get_object = refuse  # type: ignore[method-assign]
    with pytest.raises(Denied) as caught:
        store.get("reports/A.json")
    assert isinstance(caught.value, StorageError) and isinstance(caught.value, PermissionError)
