"""`wbs backup` (docs/backup.md, docs/spec/backup-v1.md): the restore drill on a local folder
and on S3 (moto) — back up, lose the store, restore, `wbs inbox sync` finds everything — and
what a backup refuses: a wrong passphrase, a file cut short or changed, an overwrite."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import nacl.pwhash.argon2id as argon2id
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws

from functions.errors import Denied, NotFound, StorageError
from functions.storage import LocalStorage, S3Storage, layout
from tests.support import reporter as reporter_keys
from tests.support.faults import no_backoff
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    desk_keys,
    payload,
    post_followup,
    put,
    upload,
    wbs,
)
from tests.support.membership import DESK, Institution
from wbs import keyfile, notes
from wbs.backup import BackupError, archive, stores
from wbs.backup.archive import CHUNK, HEADER, Reader
from wbs.cli import cli
from wbs.crypto import Identity

BACKUP_PASSPHRASE = "lemari arsip di lantai tiga"
ENV = "WBS_BACKUP_PASSPHRASE"
FILE_A, FILE_B = "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4"
REPLY = f"Mohon kirim foto kuitansinya {CANARY}"
FOLLOWUP = f"tindak lanjut pelapor {CANARY}"
BUCKET, REGION, PREFIX = "wbs-test-backup", "ap-southeast-3", "wbs/prod"
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def backup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast key derivation (the file records its parameters) and the backup's passphrase."""
    monkeypatch.setattr(archive, "OPSLIMIT", argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(archive, "MEMLIMIT", argon2id.MEMLIMIT_MIN)
    monkeypatch.setenv(ENV, BACKUP_PASSPHRASE)


def backup(*args: str, typed: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["backup", *args], input=typed, prog_name="wbs")


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, hidden ones included."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def sync(home: Path) -> dict[str, bytes]:
    """`wbs inbox sync`, then what the cache holds."""
    result = wbs("inbox", "sync", passphrase=None)
    assert result.exit_code == 0, result.output
    return files_of(home / "cache")


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("wbs: error:")]


def fill(
    store: LocalStorage, inspector: Identity, patch: pytest.MonkeyPatch, big: int = 300_000
) -> dict[str, bytes]:
    """A case with two evidence files (one over several backup chunks), the reporter's
    follow-up, the inspector's reply and note, the audit trail, a second case, the desk's
    grants: a store as the service leaves it. Return its objects."""
    reporter = keyfile.generate()
    manifest = [
        upload(store, FIRST, FILE_A, "foto kuitansi.jpg", os.urandom(big), "image/jpeg"),
        upload(store, FIRST, FILE_B, "catatan.txt", f"bukti {CANARY}".encode(), "text/plain"),
    ]
    put(store, FIRST, inspector, payload(
        attachments=manifest,
        reporter_public_key=base64.b64encode(reporter.public_key).decode(),
        reporter_signing_key=reporter_keys.case_key_text(FIRST),
    ))  # fmt: skip
    put(store, SECOND, inspector)
    sent = datetime.datetime(2024, 3, 2, 8, 0, tzinfo=UTC)
    post_followup(store, FIRST, FOLLOWUP, sent, desk_keys())
    here = Institution(Institution.here().path, store)
    notes.write(store, FIRST, f"catatan internal {CANARY}", inspector, here.audience(FIRST), sent)
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    with patch.context() as typed:
        typed.setenv("WBS_PASSPHRASE", PASSPHRASE)
        replied = wbs("inbox", "reply", FIRST, "--file", "-", passphrase=None, more=REPLY + "\n")
    assert replied.exit_code == 0, replied.output
    return {info.key: store.get(info.key) for info in store.list()}


def test_drill_on_a_local_store_restores_everything_sync_finds(
    tmp_path: Path, home: Path, inspector: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store in use, synced by an inspector, and a backup of it
    store = Institution.here().store
    stored = fill(store, inspector, monkeypatch)
    assert {k.split("/")[0] for k in stored} >= {
        "reports", "attachments", "mailboxes", "notes", "desks"
    }  # fmt: skip
    cached = sync(home)
    target = tmp_path / "safe" / "wbs.backup"
    made = backup("create", "--to", str(target))
    assert made.exit_code == 0, made.output
    assert f"backed up {len(stored)} objects" in made.stdout
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    # When the store and the inspector's cache are lost, and the backup restored
    shutil.rmtree(store.root)
    shutil.rmtree(home / "cache")
    restored = backup("restore", str(target))
    # Then every object is back, byte for byte, and a sync into a fresh cache finds it all
    assert restored.exit_code == 0, restored.output
    assert f"restored {len(stored)} objects" in restored.stdout
    assert {info.key: store.get(info.key) for info in store.list()} == stored
    assert sync(home) == cached
    shown = wbs("inbox", "show", FIRST)
    assert shown.exit_code == 0, shown.output
    assert REPLY in shown.stdout and FOLLOWUP in shown.stdout
    exported = wbs("inbox", "export", FIRST, "--to", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "catatan.txt").read_bytes() == f"bukti {CANARY}".encode()
    # And a second restore changes nothing
    again = backup("restore", str(target))
    assert again.exit_code == 0, again.output
    assert f"restored 0 objects (0 bytes) into local:{store.root}; {len(stored)} already" in (
        again.stdout
    )


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    no_backoff(monkeypatch)
    with mock_aws():
        admin = boto3.client("s3", region_name=REGION)
        admin.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield admin


def in_bucket(admin: Any) -> dict[str, tuple[bytes, list[dict[str, str]]]]:
    """Every object of the bucket with its tags, seen past the storage interface."""
    found = {}
    for page in admin.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            body = admin.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            tags = admin.get_object_tagging(Bucket=BUCKET, Key=obj["Key"])["TagSet"]
            found[obj["Key"]] = (body, tags)
    return found


def test_drill_on_s3_restores_objects_and_their_desk_tags(
    tmp_path: Path,
    home: Path,
    inspector: Identity,
    bucket: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the service's bucket: case objects tagged with their desk, one file large
    # enough for a multipart upload when restored
    monkeypatch.setattr(stores, "PART", 5 * 1024 * 1024)
    local = fill(Institution.here().store, inspector, monkeypatch, big=6 * 1024 * 1024)
    shutil.rmtree(home / "cache")  # the local store's
    s3 = S3Storage(BUCKET, PREFIX)
    for key, data in local.items():
        s3.put_new(key, data, desks=() if key.startswith(layout.DESKS) else (DESK,))
    bucket.put_object(Bucket=BUCKET, Key="elsewhere/readme.txt", Body=b"not the system's")
    monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}/{PREFIX}")
    cached = sync(home)
    before = in_bucket(bucket)
    target = tmp_path / "wbs.backup"
    made = backup("create", "--to", str(target))
    assert made.exit_code == 0, made.output
    assert f"backed up {len(local)} objects" in made.stdout
    # When every object of the system is deleted, and the backup restored
    for key in before:
        if key.startswith(PREFIX):
            bucket.delete_object(Bucket=BUCKET, Key=key)
    restored = backup("restore", str(target))
    # Then each is back with its bytes and its wbs-desks tag; a fresh sync finds them all
    assert restored.exit_code == 0, restored.output
    assert in_bucket(bucket) == before
    tagged = [t for body, t in before.values() if t]
    assert tagged and all(t == [{"Key": "wbs-desks", "Value": f"/{DESK}/"}] for t in tagged)
    assert not bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    shutil.rmtree(home / "cache")
    assert sync(home) == cached
    # And the manifest lists every object with its size, SHA-256 and tags
    listed = backup("verify", str(target), "--list")
    assert listed.exit_code == 0, listed.output
    assert f"attachments/{FIRST}/{FILE_B}\t" in listed.stdout
    assert f"wbs-desks=/{DESK}/" in listed.stdout
    assert f"intact: {len(local)} objects" in listed.stdout
    # And restored into a folder, which keeps no tags, it says so
    moved = backup("restore", str(target), "--storage", f"local:{tmp_path / 'moved'}")
    assert moved.exit_code == 0, moved.output
    assert files_of(tmp_path / "moved") == local
    assert f"wbs: note: {len(tagged)} objects had S3 tags, which a folder does not keep" in (
        moved.stderr
    )


@pytest.fixture
def small(tmp_path: Path, home: Path) -> tuple[LocalStorage, Path, dict[str, bytes]]:
    """A store of a few objects (one over several chunks), and its backup."""
    store = LocalStorage(tmp_path / "store")
    objects = {
        f"reports/{FIRST}.json": b'{"received": "x"}',
        f"attachments/{FIRST}/{FILE_A}": os.urandom(5 * CHUNK),
        f"mailboxes/{FIRST}/verifier.json": b"{}",
        f"proofs/{'a' * 64}": b"",
    }
    for key, data in objects.items():
        store.put_new(key, data)
    target = tmp_path / "wbs.backup"
    assert backup("create", "--to", str(target)).exit_code == 0
    return store, target, objects


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    first = HEADER.size + CHUNK + archive.ABYTES
    changed = {
        "cut at a chunk's end": data[:first],
        "cut inside a chunk": data[: first + 100],
        "cut to its header": data[: HEADER.size],
        "last byte changed": data[:-1] + bytes([data[-1] ^ 1]),
        "a middle chunk changed": data[: first + 7]
        + bytes([data[first + 7] ^ 1])
        + data[first + 8 :],
        "its salt changed": data[:30] + bytes([data[30] ^ 1]) + data[31:],
        "bytes appended": data + b"\x00" * 40,
        "not a backup": b"PK\x03\x04" + data[4:],
    }[how]
    path.write_bytes(changed)


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("wrong passphrase", "wrong passphrase, or the file is damaged"),
        ("cut at a chunk's end", "is cut short: it ends before its last chunk"),
        ("cut inside a chunk", "is damaged or cut short: chunk 2 fails authentication"),
        ("cut to its header", "is cut short: it ends before its last chunk"),
        ("last byte changed", "is damaged or cut short: chunk 6 fails authentication"),
        ("a middle chunk changed", "is damaged or cut short: chunk 2 fails authentication"),
        ("its salt changed", "wrong passphrase, or the file is damaged"),
        ("bytes appended", "is damaged or cut short: chunk 6 fails authentication"),
        ("not a backup", "is not a wbs backup (format 1)"),
    ],
)
def test_a_bad_backup_or_passphrase_is_refused_before_anything_is_written(
    small: tuple[LocalStorage, Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    said: str,
) -> None:
    # Given a store that lost two objects, and a backup that cannot be trusted as it is
    store, target, _ = small
    for key in (f"reports/{FIRST}.json", f"mailboxes/{FIRST}/verifier.json"):
        store._path(key).unlink()
    if how == "wrong passphrase":
        monkeypatch.setenv(ENV, "lemari arsip di lantai dua")
    else:
        damage(target, how)
    left = files_of(store.root)
    for command in (["verify", str(target)], ["restore", str(target)]):
        # When it is checked or restored
        result = backup(*command)
        # Then it is refused in one line, and nothing was written (not even the objects
        # the file holds before the damage)
        assert result.exit_code == 1, result.output
        assert errors(result) == [f"wbs: error: {target.name} {said}"] or errors(result) == [
            f"wbs: error: cannot open {target.name}: {said}"
        ], result.stderr
        assert result.stderr.count("\nhint: ") >= 1
        assert files_of(store.root) == left


def test_restore_never_replaces_an_object_and_names_those_that_differ(
    small: tuple[LocalStorage, Path, dict[str, bytes]],
) -> None:
    # Given a store where one object was lost and another holds other bytes than backed up
    store, target, objects = small
    report, verifier = f"reports/{FIRST}.json", f"mailboxes/{FIRST}/verifier.json"
    store._path(report).unlink()
    store._path(verifier).unlink()
    store.put_new(verifier, b'{"other": true}')
    # When the backup is restored
    result = backup("restore", str(target))
    # Then the lost one is back, the other is left as it is and named, and the command fails
    assert result.exit_code == 1
    assert "restored 1 object (17 bytes)" in result.stdout
    assert "2 already there and the same; 1 stored otherwise (left alone)" in result.stdout
    assert f"wbs: note: {verifier} is stored with other bytes or tags: left alone" in (
        result.stderr
    )
    assert errors(result) == ["wbs: error: 1 stored object differs from the backup"]
    assert store.get(report) == objects[report]
    assert store.get(verifier) == b'{"other": true}'


def test_an_interrupted_restore_resumes_with_nothing_twice(
    small: tuple[LocalStorage, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an empty store whose writes fail from the third on
    store, target, objects = small
    shutil.rmtree(store.root)
    real, calls = stores.LocalStore.create, []

    def failing(self: stores.LocalStore, key: str, *args: Any) -> None:
        calls.append(key)
        if len(calls) >= 3:
            raise StorageError("disk full")
        real(self, key, *args)

    monkeypatch.setattr(stores.LocalStore, "create", failing)
    # When a restore is cut off
    cut = backup("restore", str(target))
    assert cut.exit_code == 1
    assert errors(cut) == ["wbs: error: restore stopped after 2 restored objects: disk full"]
    assert "wbs backup restore" in cut.stderr
    assert len(files_of(store.root)) == 2  # whole objects only, no temporary file left
    # Then the next one does the rest
    monkeypatch.setattr(stores.LocalStore, "create", real)
    resumed = backup("restore", str(target))
    assert resumed.exit_code == 0, resumed.output
    assert "restored 2 objects" in resumed.stdout and "2 already there" in resumed.stdout
    assert {info.key: store.get(info.key) for info in store.list()} == objects


def test_the_file_shows_no_key_size_or_secret_and_holds_only_the_layout(
    tmp_path: Path, home: Path, inspector: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store in use, with a private key and a stray file left in its folder by mistake
    store = Institution.here().store
    stored = fill(store, inspector, monkeypatch)
    key_file = next((home / "keys").glob("*.key"))
    (store.root / "stray").mkdir()
    shutil.copy(key_file, store.root / "stray" / "inspektur.key")
    (store.root / ".uploads").mkdir(exist_ok=True)
    (store.root / ".uploads" / "secret").write_bytes(b"the host's upload secret")
    target = tmp_path / "wbs.backup"
    # When it is backed up
    made = backup("create", "--to", str(target))
    assert made.exit_code == 0, made.output
    assert "1 object outside the system's folders left out" in made.stderr
    # Then the file shows no object key, id or desk, and no object's bytes
    raw = target.read_bytes()
    for clear in [*stored, FIRST, SECOND, FILE_A, DESK, "wbs-desks", "reports/", "json"]:
        assert clear.encode() not in raw, clear
    assert all(data[:64] not in raw for data in stored.values() if len(data) >= 64)
    # And even opened, it holds the layout's objects only: no private key, no stray file
    with target.open("rb") as source:
        reader = Reader(source, BACKUP_PASSPHRASE, "wbs.backup")
        keys = [entry.key for entry in reader.objects()]
    assert keys == sorted(stored)
    plain = _plaintext(target)
    secret = keyfile.unlock(key_file, PASSPHRASE)
    for needle in (
        key_file.read_bytes(),
        bytes(secret.private_key),
        base64.b64encode(bytes(secret.private_key)),
        b"the host's upload secret",
    ):
        assert needle not in plain


def _plaintext(path: Path) -> bytes:
    with path.open("rb") as source:
        reader = Reader(source, BACKUP_PASSPHRASE, path.name)
        parts = []
        while True:
            try:
                parts.append(reader._take(CHUNK))
            except BackupError:  # past the last chunk
                return b"".join(parts)


def test_create_asks_the_passphrase_twice_and_never_replaces_a_file(
    small: tuple[LocalStorage, Path, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, target, objects = small
    monkeypatch.delenv(ENV)
    before = target.read_bytes()
    # A file that exists is never replaced
    taken = backup("create", "--to", str(target), typed=f"{BACKUP_PASSPHRASE}\n" * 2)
    assert taken.exit_code == 1
    assert errors(taken) == [f"wbs: error: {target} already exists"]
    assert target.read_bytes() == before
    # A short passphrase is refused, and no file is written
    short = backup("create", "--to", str(tmp_path / "b"), typed="pendek\npendek\n")
    assert errors(short) == ["wbs: error: the passphrase is shorter than 12 characters"]
    assert not (tmp_path / "b").exists()
    # Typed twice, it opens the file
    made = backup("create", "--to", str(tmp_path / "c"), typed=f"{BACKUP_PASSPHRASE}\n" * 2)
    assert made.exit_code == 0, made.output
    assert "Repeat the passphrase" in made.stderr
    checked = backup("verify", str(tmp_path / "c"), typed=f"{BACKUP_PASSPHRASE}\n")
    assert checked.exit_code == 0, checked.output
    assert f"intact: {len(objects)} objects" in checked.stdout


def crafted(path: Path, records: list[tuple[dict[str, object], bytes]], end: bool = True) -> None:
    """A file encrypted as a writer would, holding ``records`` (each followed by its bytes)."""
    with path.open("wb") as out:
        writer = archive.Writer(out, BACKUP_PASSPHRASE)
        writer.record({"type": "backup", "format": 1, "created": "2026-12-06T00:00:00Z",
                       "source": "local:/x"})  # fmt: skip
        for fields, data in records:
            writer.record(fields)
            writer.write(data)
        if end:
            writer.record({"type": "end", "objects": 1, "bytes": 2})
        writer.close()


def obj(key: str, data: bytes = b"ab", **more: object) -> tuple[dict[str, object], bytes]:
    fields: dict[str, object] = {"type": "object", "key": key, "size": len(data), "tags": {}}
    return fields | more, data + hashlib.sha256(data).digest()


REPORT = f"reports/{FIRST}.json"


@pytest.mark.parametrize(
    ("records", "end", "said"),
    [
        ([obj(REPORT)], True, None),  # the well-formed case the others change
        ([(obj(REPORT)[0], b"ab" + bytes(32))], True, f"object {REPORT} does not match its"),
        ([obj(REPORT), obj(REPORT)], True, f"object {REPORT} is out of order or repeated"),
        ([obj("keys/secret.key")], True, "an object's key is not a stored object's"),
        ([obj(f"reports/../{FIRST}.json")], True, "an object's key is not a stored object's"),
        ([obj(REPORT, size=-1)], True, f"object {REPORT} has no valid size"),
        ([obj(REPORT, tags={"k": 1})], True, f"object {REPORT} has tags S3 cannot keep"),
        ([obj(REPORT, type="note")], True, "a record is neither an object nor the end"),
        ([obj(REPORT)], False, "its records run past its last chunk"),
        ([obj(REPORT), obj(f"reports/{SECOND}.json")], True, "its end record does not count"),
    ],
)
def test_a_reader_refuses_what_the_spec_says_it_must(
    tmp_path: Path, records: list[tuple[dict[str, object], bytes]], end: bool, said: str | None
) -> None:
    # Given a file whose every chunk authenticates, but whose records break a rule
    path = tmp_path / "crafted.backup"
    crafted(path, records, end)
    result = backup("verify", str(path))
    if said is None:
        assert result.exit_code == 0, result.output
        assert "intact: 1 object (2 bytes)" in result.stdout
    else:
        assert result.exit_code == 1
        (line,) = errors(result)
        assert line.startswith(f"wbs: error: crafted.backup is damaged: {said}"), line


@pytest.mark.parametrize("failure", ["gone", "denied"])
def test_an_object_gone_is_left_out_and_one_refused_stops_the_backup(
    small: tuple[LocalStorage, Path, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    # Given a store where a spent proof expires after the listing, or whose credentials
    # may not read a case (an inspector's per-desk role on S3)
    _, _, objects = small
    real = stores.LocalStore.open
    proof = next(k for k in objects if k.startswith("proofs/"))

    def opening(self: stores.LocalStore, key: str) -> Any:
        if key == proof:
            raise NotFound(f"no object {key}") if failure == "gone" else Denied("AccessDenied")
        return real(self, key)

    monkeypatch.setattr(stores.LocalStore, "open", opening)
    target = tmp_path / "again.backup"
    # When it is backed up
    result = backup("create", "--to", str(target))
    if failure == "gone":
        # Then the proof is left out, the rest is backed up
        assert result.exit_code == 0, result.output
        assert f"backed up {len(objects) - 1} objects" in result.stdout
        assert "1 object went between the listing and its read" in result.stderr
        assert proof not in backup("verify", str(target), "--list").stdout
    else:
        # Then it stops in one line, and no file is left
        assert errors(result) == [f"wbs: error: the storage refuses {proof} to these credentials"]
        assert not target.exists() and os.listdir(tmp_path).count("again.backup") == 0
        assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]
