"""S3 Object Lock, per object (docs/aws.md, "Object Lock"), on moto's S3, which implements
most of it: a bucket made with Object Lock and no default retention, as the template makes it.

Everything the function writes through the API (a report and its verifier, a follow-up, a
grant's reservation and record, a completed evidence file) and what the inspector's tool
writes get the retention, mode and end (now + days); a spent proof's marker gets none. A
locked version cannot be deleted (compliance), or only with the bypass (governance). A
completion whose retention fails is answered 503, and sent again it ends locked."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions import app as api
from functions import mailbox, mailbox_token
from functions.attachment_size import stored_size
from functions.config import ConfigError, Settings, open_storage
from functions.proofs import Proofs
from functions.storage import S3Storage, layout
from functions.storage import lock as object_lock
from functions.storage.lock import ObjectLock
from functions.uploads import Limits, S3Uploads, Uploads
from functions.uploads.grants import MIB
from functions.uploads.s3 import upload_client
from tests.support.api import (
    bearer,
    envelope_json,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from tests.support.pow import with_proof

BUCKET = "wbs-test-locked"
REGION = "ap-southeast-3"
PREFIX = "wbs/prod"
DAYS = 30
INSPECTOR = identity(1)
REPORTER = identity(3)
SMALL = stored_size(0, 1024)
FILE_ID = "0123456789ABCDEF"


@dataclass
class Locked:
    client: Any  # the admin's view of the bucket, past the interface
    storage: S3Storage
    uploads: Uploads
    lock: ObjectLock | None
    sent: list[AWSPreparedRequest] = field(repr=False)  # every request the clients sent

    def retention(self, key: str) -> dict[str, Any] | None:
        """The object's retention, or None when it has none: as HeadObject shows it (moto
        5.2.5 answers GetObjectRetention with a 500, not implemented)."""
        head = self.client.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")
        if "ObjectLockMode" not in head:
            assert "ObjectLockRetainUntilDate" not in head
            return None
        return {"Mode": head["ObjectLockMode"], "Until": head["ObjectLockRetainUntilDate"]}

    def stored(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return [o["Key"].removeprefix(f"{PREFIX}/") for o in listed]


def _system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock: ObjectLock | None):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": REGION},
            ObjectLockEnabledForBucket=lock is not None,
        )
        sent: list[AWSPreparedRequest] = []
        storage_client = boto3.client("s3", region_name=REGION)
        storage_client.meta.events.register(
            "before-send.s3.*", lambda request, **_: sent.append(request)
        )
        storage = S3Storage(BUCKET, PREFIX, client=storage_client, lock=lock)
        uploads_client = upload_client()
        uploads_client.meta.events.register(
            "before-send.s3.*", lambda request, **_: sent.append(request)
        )
        backend = S3Uploads(BUCKET, storage.prefix, uploads_client, lock)
        uploads = Uploads(storage, backend, Limits(part_bytes=5 * MIB))
        api.configure(
            storage=storage,
            keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
            uploads=uploads,
            proofs=Proofs(storage, lambda: b"k" * 32, 4),
        )
        yield Locked(client, storage, uploads, lock, sent)
    api.configure()


@pytest.fixture(params=["GOVERNANCE", "COMPLIANCE"])
def locked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Locked]:
    yield from _system(tmp_path, monkeypatch, ObjectLock(request.param, DAYS))


@pytest.fixture
def unlocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Locked]:
    yield from _system(tmp_path, monkeypatch, None)


def call(path: str, body: Any, token: bytes, proof: str | None = None) -> tuple[int, Any]:
    event = post_event(json.dumps(body), authorization=bearer(token), path=path)
    if proof is not None:
        event = with_proof(event, proof)
    answer = api.lambda_handler(event, LambdaContext())
    return answer["statusCode"], json.loads(answer["body"])


def open_case() -> tuple[bytes, str]:
    """A report, then a follow-up, through the API, each with its proof of work."""
    token = new_token()
    case = mailbox_token.report_id(token)
    report = sealed(b"report", [INSPECTOR.public_key], case)
    event = with_proof(post_event(envelope_json(report), authorization=bearer(token)), "report")
    assert api.lambda_handler(event, LambdaContext())["statusCode"] == 201
    followup = sealed(b"more", [INSPECTOR.public_key, REPORTER.public_key], case, "followup")
    status, _ = call("/api/mailbox", json.loads(envelope_json(followup)), token, "followup")
    assert status == 201
    return token, case


def upload_file(token: bytes) -> dict[str, Any]:
    """Grant one small file and send its part; the completion's body."""
    status, granted = call("/api/uploads", {"files": [{"id": FILE_ID, "size": SMALL}]}, token)
    assert status == 201, granted
    (file,) = granted["files"]
    (part,) = file["parts"]
    url = f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{PREFIX}{part['url']}"
    answer = requests.put(url, data=os.urandom(SMALL), timeout=30)
    assert answer.status_code == 200
    etag = answer.headers["ETag"]
    return {"id": FILE_ID, "upload": file["upload"], "parts": [{"number": 1, "etag": etag}]}


def header(request: AWSPreparedRequest, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else value


def assert_locked(system: Locked, key: str, written: datetime) -> None:
    assert system.lock is not None
    retention = system.retention(key)
    assert retention is not None, f"{key} has no retention"
    assert retention["Mode"] == system.lock.mode, key
    until = retention["Until"].astimezone(UTC)
    assert abs(until - (written + timedelta(days=DAYS))) < timedelta(minutes=1), (key, until)


# --- what the function writes ----------------------------------------------------------------


def test_everything_the_api_writes_is_locked_but_the_spent_proofs(locked: Locked) -> None:
    # Given a bucket with Object Lock and a function told its mode and days
    now = datetime.now(UTC)
    # When a report, a follow-up and an evidence file come through the API
    token, case = open_case()
    status, body = call("/api/uploads/complete", upload_file(token), token)
    assert status == 201, body
    # Then every object of the case has the retention: mode, and now + days
    keys = locked.stored()
    proofs = [k for k in keys if k.startswith(layout.PROOFS)]
    case_keys = [k for k in keys if k not in proofs]
    assert layout.report(case) in case_keys
    assert layout.verifier(case) in case_keys
    assert layout.attachment(case, FILE_ID) in case_keys
    assert layout.upload_record(case, FILE_ID) in case_keys
    assert any(k.startswith(layout.mailbox(case)) and "-reporter-" in k for k in case_keys)
    assert any(k.startswith(layout.upload_slots(case)) for k in case_keys)
    for key in case_keys:
        assert_locked(locked, key, now)
    # And the two spent proofs' markers (the report's, the follow-up's) have none
    assert len(proofs) == 2
    for key in proofs:
        assert locked.retention(key) is None, key


def test_a_locked_write_carries_a_checksum_and_the_evidence_parts_none(locked: Locked) -> None:
    # Given the storage's and the uploads' clients, watched
    token, _ = open_case()
    done = upload_file(token)
    assert call("/api/uploads/complete", done, token)[0] == 201
    puts = [r for r in locked.sent if r.method == "PUT" and "uploadId" not in r.url]
    # Then each locked PutObject carries its lock and a checksum of its body, which S3 asks
    locking = [r for r in puts if "x-amz-object-lock-mode" in r.headers]
    assert locking
    for request in locking:
        assert header(request, "x-amz-object-lock-mode") == locked.lock.mode  # type: ignore[union-attr]
        assert "x-amz-object-lock-retain-until-date" in request.headers
        key = unquote(urlsplit(request.url).path).removeprefix("/")
        stored = locked.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        digest = base64.b64encode(hashlib.sha256(stored).digest()).decode()
        assert header(request, "x-amz-checksum-sha256") == digest
        assert header(request, "x-amz-sdk-checksum-algorithm") == "SHA256"
    # And the upload was opened without a lock, so that its presigned parts need no checksum
    opened = [r for r in locked.sent if r.method == "POST" and "uploads" in r.url]
    assert opened
    assert not any("x-amz-object-lock-mode" in r.headers for r in opened)
    # And its retention was given after the completion, in a request of its own
    retention = [r for r in puts if "retention" in r.url]
    assert len(retention) == 1 and "attachments/" in retention[0].url
    assert {"Content-MD5", "x-amz-checksum-crc32"} & set(retention[0].headers)


def test_a_locked_version_cannot_be_deleted(locked: Locked) -> None:
    # Given a stored report
    _, case = open_case()
    key = f"{PREFIX}/{layout.report(case)}"
    version = locked.client.head_object(Bucket=BUCKET, Key=key)["VersionId"]
    # When the account's admin deletes its version
    with pytest.raises(ClientError) as caught:
        locked.client.delete_object(Bucket=BUCKET, Key=key, VersionId=version)
    # Then S3 refuses, and the report is still there
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert locked.client.head_object(Bucket=BUCKET, Key=key, VersionId=version)
    # And only governance mode lets a bypass through
    assert locked.lock is not None
    if locked.lock.mode == "COMPLIANCE":
        with pytest.raises(ClientError):
            locked.client.delete_object(
                Bucket=BUCKET, Key=key, VersionId=version, BypassGovernanceRetention=True
            )
        assert locked.client.head_object(Bucket=BUCKET, Key=key, VersionId=version)
    else:
        locked.client.delete_object(
            Bucket=BUCKET, Key=key, VersionId=version, BypassGovernanceRetention=True
        )
        with pytest.raises(ClientError):
            locked.client.head_object(Bucket=BUCKET, Key=key, VersionId=version)


def test_without_a_lock_nothing_is_locked(unlocked: Locked) -> None:
    # Given a bucket without Object Lock and a function without a lock setting
    token, _ = open_case()
    assert call("/api/uploads/complete", upload_file(token), token)[0] == 201
    # Then no object has a retention, and no request asked for one
    assert unlocked.stored()
    for key in unlocked.stored():
        assert unlocked.retention(key) is None, key
    assert not any("x-amz-object-lock-mode" in r.headers for r in unlocked.sent)
    assert not any("retention" in r.url for r in unlocked.sent)
    with pytest.raises(ClientError) as caught:
        unlocked.client.get_object_lock_configuration(Bucket=BUCKET)
    assert caught.value.response["Error"]["Code"] == "ObjectLockConfigurationNotFoundError"


# --- a completion whose retention fails --------------------------------------------------------


def test_a_completion_whose_retention_fails_is_503_and_the_retry_locks_it(
    locked: Locked, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an evidence file whose retention request fails, once S3 joined its parts
    token, case = open_case()
    done = upload_file(token)
    backend = locked.uploads.backend
    assert isinstance(backend, S3Uploads)
    client = backend._client
    real = client.put_object_retention

    def failing(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError"}}, "PutObjectRetention")

    monkeypatch.setattr(client, "put_object_retention", failing)
    # When the page completes it
    status, body = call("/api/uploads/complete", done, token)
    # Then it hears to try again, not that the file is stored; the object is there, unlocked
    assert (status, body["error"]) == (503, "storage_unavailable")
    key = layout.attachment(case, FILE_ID)
    assert key in locked.stored()
    assert locked.retention(key) is None
    # When the page sends the completion again while the retention still fails
    status, body = call("/api/uploads/complete", done, token)
    # Then it hears 503 again, never "stored"
    assert (status, body["error"]) == (503, "storage_unavailable")
    # When it sends it again once S3 answers
    monkeypatch.setattr(client, "put_object_retention", real)
    now = datetime.now(UTC)
    status, body = call("/api/uploads/complete", done, token)
    # Then it hears the file is stored (the page's "done"), and now it is locked
    assert (status, body["error"]) == (409, "file_exists")
    assert_locked(locked, key, now)
    # And a completion sent once more still ends there, the lock only lengthened
    status, body = call("/api/uploads/complete", done, token)
    assert (status, body["error"]) == (409, "file_exists")
    assert_locked(locked, key, now)


# --- the inspector's tool -------------------------------------------------------------------


def test_the_tool_writes_with_the_lock_of_wbs_object_lock(
    locked: Locked, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert locked.lock is not None
    # Given an inspector's environment naming the bucket and its lock, as wbs deploy prints
    monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}/{PREFIX}")
    monkeypatch.setenv(object_lock.VARIABLE, locked.lock.to_env())
    _, case = open_case()
    # When the tool opens the storage as every command does (wbs/commands/options.py,
    # Settings.from_env) and writes a reply, as `wbs inbox reply` does
    store = Settings.from_env().open_storage()
    now = datetime.now(UTC)
    sent = sealed(b"reply", [REPORTER.public_key, INSPECTOR.public_key], case, "reply")
    message = mailbox.post(store, case, "inspectorate", sent, now)
    # Then the reply is locked as the function's writes are
    assert_locked(locked, message.key, now)


# --- the setting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("GOVERNANCE:365", ObjectLock("GOVERNANCE", 365)),
        ("COMPLIANCE:1", ObjectLock("COMPLIANCE", 1)),
        ("COMPLIANCE:36500", ObjectLock("COMPLIANCE", 36500)),
    ],
)
def test_the_setting_is_mode_and_days(text: str, expected: ObjectLock | None) -> None:
    assert object_lock.parse(text) == expected
    if expected is not None:
        assert expected.to_env() == text


@pytest.mark.parametrize(
    "text",
    ["governance:365", "GOVERNANCE", "GOVERNANCE:", "GOVERNANCE:0", "COMPLIANCE:36501",
     "LEGAL:30", "GOVERNANCE:+3", "GOVERNANCE:٣", " GOVERNANCE:3"],
)  # fmt: skip
def test_a_bad_setting_is_a_clear_error(text: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WBS_OBJECT_LOCK must be GOVERNANCE:<days>"):
        Settings.from_env({"WBS_OBJECT_LOCK": text, "WBS_HOME": str(tmp_path)})


def test_a_lock_on_a_local_store_is_refused(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"WBS_OBJECT_LOCK": "GOVERNANCE:30", "WBS_STORAGE": f"local:{tmp_path / 's'}"}
    )
    assert settings.object_lock == ObjectLock("GOVERNANCE", 30)
    with pytest.raises(ConfigError, match="Object Lock is S3's") as caught:
        settings.open_storage()
    assert "unset WBS_OBJECT_LOCK" in (caught.value.hint or "")
    assert not (tmp_path / "s").exists()
    assert open_storage(f"local:{tmp_path / 's'}").list() is not None


def test_proofs_markers_are_the_only_unlocked_prefix() -> None:
    assert [p for p in layout.PREFIXES if not object_lock.applies(p + "x")] == [layout.PROOFS]
