"""Storage faults during submission, follow-ups, uploads and the inspector's sync (issue 6,
part 4): the reporter gets a clear, retryable answer, a retry stores exactly one copy, and an
interrupted sync resumes with nothing lost and nothing twice.

Three tiers, each fault injected below the code under test (tests/support/faults.py):

1. The stores themselves: S3 (moto) answering with throttling, server errors and timeouts,
   before or *after* a write landed, and the local folder's disk failing (ENOSPC, EIO) before
   or after the new name was linked.
2. The API, called as Lambda calls it, on a store that fails at each step (a wrapper over the
   local folder and over S3): every failure is ``503 storage_unavailable`` with
   ``Retry-After``, and the same request sent again completes the work once.
3. The local host's part PUT and completion on a failing disk, S3's completion under faults,
   and ``wbs inbox sync`` cut off after some objects, then run again.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws
from requests.structures import CaseInsensitiveDict

from functions import app as api
from functions import host, mailbox, mailbox_token
from functions.attachment_size import stored_size
from functions.config import Settings
from functions.errors import AlreadyExists, NotFound, StorageError
from functions.headers import SECURITY_HEADERS
from functions.storage import LocalStorage, S3Storage, Storage, layout
from functions.uploads import Limits, LocalUploads, S3Uploads, Uploads
from functions.uploads.grants import MIB
from functions.uploads.s3 import upload_client
from tests.support import reporter
from tests.support.api import (
    api_logs,
    bearer,
    envelope_json,
    get_event,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from tests.support.faults import (
    EIO,
    ENOSPC,
    S3_AFTER,
    S3_BEFORE,
    S3_BODY,
    DiskFaults,
    Faulty,
    S3Faults,
    no_backoff,
)
from tests.support.host import serving
from tests.support.inbox import use_private_home, wbs

pytestmark = pytest.mark.slow  # fault injection: each failure at each step, in process and on HTTP

INSPECTOR = identity(1)
REPORTER = identity(3)
BUCKET = "wbs-test-faults"
REGION = "ap-southeast-3"
PREFIX = "wbs/prod"
LIMITS = Limits(part_bytes=5 * MIB)  # the smallest part S3 (and so moto) takes
SMALL = stored_size(1000, 1024)  # an evidence file of one part
FILE_ID = "0123456789ABCDEF"


@pytest.fixture(autouse=True)
def _no_proof_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WBS_POW_DIFFICULTY", "0")


@contextlib.contextmanager
def moto_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with one bucket; botocore retries without their sleeps."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    no_backoff(monkeypatch)
    with mock_aws():
        admin = boto3.client("s3", region_name=REGION)
        admin.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield admin


def raw_keys(admin: Any) -> list[str]:
    """Every object in the bucket, seen past the storage interface."""
    return [o["Key"] for o in admin.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def files_under(root: Path) -> list[str]:
    """Every file under ``root``, hidden ones included (temporary files, parts)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --- 1. the stores under their own faults ------------------------------------------------------


@dataclass
class S3Store:
    storage: S3Storage
    faults: S3Faults
    admin: Any


@pytest.fixture
def s3_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Store]:
    with moto_bucket(monkeypatch) as admin:
        storage = S3Storage(BUCKET, PREFIX)  # the production client: its timeouts and retries
        faults = S3Faults()
        faults.attach(storage._client.meta.events)
        yield S3Store(storage, faults, admin)


@pytest.mark.parametrize("kind", S3_BEFORE)
def test_s3_a_write_that_keeps_failing_is_a_storage_error_and_writes_nothing(
    s3_store: S3Store, kind: str
) -> None:
    # Given S3 failing every attempt of a write, botocore's retries included
    s3_store.faults.inject(kind, "PutObject", times=99)
    # When a report is written
    with pytest.raises(StorageError) as caught:
        s3_store.storage.put_new("reports/A.json", b"report")
    # Then the caller hears a storage failure, not "taken" or "missing", and nothing is stored
    assert type(caught.value) is StorageError
    assert [op for op, _ in s3_store.faults.seen].count("PutObject") > 1  # botocore retried
    assert raw_keys(s3_store.admin) == []
    # And once S3 recovers, the same write stores one copy
    s3_store.faults.rules.clear()
    s3_store.storage.put_new("reports/A.json", b"report")
    assert raw_keys(s3_store.admin) == [f"{PREFIX}/reports/A.json"]


@pytest.mark.parametrize("kind", S3_BEFORE)
def test_s3_one_failure_is_retried_by_botocore(s3_store: S3Store, kind: str) -> None:
    s3_store.faults.inject(kind, "PutObject")
    s3_store.storage.put_new("mailboxes/A/verifier.json", b"v")
    assert s3_store.storage.get("mailboxes/A/verifier.json") == b"v"
    assert s3_store.faults.seen.count(("PutObject", f"{PREFIX}/mailboxes/A/verifier.json")) == 2


@pytest.mark.parametrize("kind", S3_AFTER)
def test_s3_a_write_whose_answer_was_lost_succeeds_once(s3_store: S3Store, kind: str) -> None:
    # Given a PutObject that S3 stored, but whose answer the function never got: botocore
    # sends it again, and S3 refuses the repeat (If-None-Match: *, 412)
    s3_store.faults.inject(kind, "PutObject")
    key = "mailboxes/A/20260101T000000000000Z-reporter-0a1b2c3d.json"
    # When the message is written
    s3_store.storage.put_new(key, b"message")
    # Then the write succeeds: the object there is this very write, not someone else's
    assert s3_store.storage.get(key) == b"message"
    assert raw_keys(s3_store.admin) == [f"{PREFIX}/{key}"]


def test_s3_a_retried_write_that_finds_another_object_is_refused(s3_store: S3Store) -> None:
    # Given an object, and a second write to its key whose first attempt timed out
    s3_store.storage.put_new("reports/A.json", b"first")
    s3_store.faults.inject("read_timeout", "PutObject")
    # Then the retry's 412 still means "taken": the other bytes are not this write's
    with pytest.raises(AlreadyExists):
        s3_store.storage.put_new("reports/A.json", b"second")
    assert s3_store.storage.get("reports/A.json") == b"first"


def test_s3_a_lost_answer_on_a_key_the_function_cannot_read_is_taken(
    s3_store: S3Store,
) -> None:
    # Given a write that landed and whose answer was lost, on a key the function may not
    # read back (the deployed role has no s3:GetObject on reports/)
    s3_store.faults.inject("landed_read_timeout", "PutObject")
    s3_store.faults.inject("access_denied", "GetObject")
    # Then it is "taken", as before (the API's report write counts that as stored: the
    # verifier has already matched), and there is one copy
    with pytest.raises(AlreadyExists):
        s3_store.storage.put_new("reports/A.json", b"report")
    assert raw_keys(s3_store.admin) == [f"{PREFIX}/reports/A.json"]


def test_s3_a_lost_answer_that_cannot_be_checked_is_retryable(s3_store: S3Store) -> None:
    # Given a write that landed and whose answer was lost, and S3 too busy to read it back
    s3_store.faults.inject("landed_read_timeout", "PutObject")
    s3_store.faults.inject("slow_down", "GetObject", times=99)
    key = "mailboxes/A/20260101T000000000000Z-reporter-0a1b2c3d.json"
    # Then the caller hears "try again", neither "taken" (a new name, a second copy) nor "done"
    with pytest.raises(StorageError) as caught:
        s3_store.storage.put_new(key, b"message")
    assert type(caught.value) is StorageError
    assert raw_keys(s3_store.admin) == [f"{PREFIX}/{key}"]


def test_s3_a_retried_write_refused_as_in_flight_is_retryable(s3_store: S3Store) -> None:
    # Given a write whose first attempt timed out and whose retry S3 refuses because a
    # conditional write to the key is still in flight, perhaps the first attempt itself
    s3_store.faults.inject("read_timeout", "PutObject")
    s3_store.faults.inject("conflict", "PutObject")
    # Then, nothing being there yet to compare, the caller hears "try again", not "taken"
    with pytest.raises(StorageError) as caught:
        s3_store.storage.put_new("uploads/A/F.json", b"record")
    assert type(caught.value) is StorageError
    s3_store.storage.put_new("uploads/A/F.json", b"record")
    assert s3_store.storage.get("uploads/A/F.json") == b"record"


@pytest.mark.parametrize("kind", [*S3_BEFORE, *S3_BODY])
def test_s3_a_read_that_fails_is_a_storage_error_never_missing(
    s3_store: S3Store, kind: str
) -> None:
    s3_store.storage.put_new("reports/A.json", b"x" * 4096)
    s3_store.faults.inject(kind, "GetObject", times=99)
    with pytest.raises(StorageError) as caught:
        s3_store.storage.get("reports/A.json")
    assert not isinstance(caught.value, NotFound)


@pytest.mark.parametrize("kind", S3_BEFORE)
def test_s3_a_listing_that_fails_is_a_storage_error(s3_store: S3Store, kind: str) -> None:
    s3_store.faults.inject(kind, "ListObjectsV2", times=99)
    with pytest.raises(StorageError):
        list(s3_store.storage.list("reports/"))


@pytest.mark.parametrize("error", [ENOSPC, EIO])
def test_local_a_failing_disk_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int
) -> None:
    # Given a disk that fails while the new object is flushed
    root = tmp_path / "storage"
    store = LocalStorage(root)
    DiskFaults(monkeypatch).inject(error, "file", root)
    # When a report is written, the caller hears a storage failure
    with pytest.raises(StorageError) as caught:
        store.put_new("reports/A.json", b"report")
    assert type(caught.value) is StorageError
    # And nothing is left: no object, no temporary file
    assert files_under(root) == []
    # And the same write, once the disk works, stores one copy
    store.put_new("reports/A.json", b"report")
    assert files_under(root) == ["reports/A.json"]


def test_local_a_failure_after_the_link_leaves_the_whole_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a disk that fails flushing the folder, after the object's name was linked
    root = tmp_path / "storage"
    store = LocalStorage(root)
    DiskFaults(monkeypatch).inject(EIO, "folder", root)
    with pytest.raises(StorageError):
        store.put_new("reports/A.json", b"report")
    # Then the object is there whole (never half), and the same write again finds it taken
    assert store.get("reports/A.json") == b"report"
    with pytest.raises(AlreadyExists):
        store.put_new("reports/A.json", b"report")
    assert files_under(root) == ["reports/A.json"]


# --- 2. the API on a store failing at each step ------------------------------------------------


@dataclass
class ApiSystem:
    kind: str
    store: Faulty
    inner: Storage
    uploads: Uploads
    s3: S3Faults | None  # S3's own faults, on S3
    disk: DiskFaults
    root: Path | None  # the local folder


def _local_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiSystem]:
    inner = LocalStorage(tmp_path / "storage")
    store = Faulty(inner)
    uploads = Uploads(store, LocalUploads(inner.root, b"k" * 32), LIMITS)
    api.configure(
        storage=store,
        keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
        uploads=uploads,
    )
    yield ApiSystem("local", store, inner, uploads, None, DiskFaults(monkeypatch), inner.root)
    api.configure()


def _s3_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiSystem]:
    with moto_bucket(monkeypatch):
        inner = S3Storage(BUCKET, PREFIX)
        store = Faulty(inner)
        client = upload_client()
        faults = S3Faults()  # on both clients: the store's and the uploads'
        faults.attach(inner._client.meta.events)
        faults.attach(client.meta.events)
        uploads = Uploads(store, S3Uploads(BUCKET, inner.prefix, client), LIMITS)
        api.configure(
            storage=store,
            keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
            uploads=uploads,
        )
        yield ApiSystem("s3", store, inner, uploads, faults, DiskFaults(monkeypatch), None)
        api.configure()


@pytest.fixture(params=["local", "s3"])
def system(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiSystem]:
    make = _local_api if request.param == "local" else _s3_api
    yield from make(tmp_path, monkeypatch)


@pytest.fixture
def s3_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiSystem]:
    yield from _s3_api(tmp_path, monkeypatch)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


def call(path: str, body: str, token: bytes) -> Answer:
    event = post_event(body, authorization=bearer(token), path=path)
    response = api.lambda_handler(event, LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]), response["headers"])


def assert_retryable(answer: Answer) -> None:
    """What the page needs to tell the reporter to try again: 503, a JSON reason, when."""
    assert (answer.status, answer.body.get("error")) == (503, "storage_unavailable"), answer
    assert set(answer.body) == {"error", "message"}
    assert "again" in answer.body["message"]
    assert answer.headers["Retry-After"].isdigit()
    assert answer.headers["Cache-Control"] == "no-store"


def snapshot(store: Storage) -> dict[str, bytes]:
    return {i.key: store.get(i.key) for i in store.list() if not i.key.startswith("reports/")}


def report_body(token: bytes, text: bytes = b"laporan") -> str:
    return envelope_json(sealed(text, [INSPECTOR.public_key], mailbox_token.report_id(token)))


def open_case(system: ApiSystem) -> tuple[bytes, str]:
    token = new_token()
    answer = call("/api/reports", report_body(token), token)
    assert answer.status == 201, answer
    return token, answer.body["id"]


# The steps of a submission, and whether the step's write landed before the failure.
REPORT_STEPS = [
    ("put_new", "mailboxes/", False),  # the verifier: not written
    ("put_new", "mailboxes/", True),  # the verifier written, its answer lost
    ("put_new", "reports/", False),  # verifier written, the report not
    ("put_new", "reports/", True),  # both written, the report's answer lost
]


@pytest.mark.parametrize(("operation", "key", "after"), REPORT_STEPS)
def test_a_report_retried_after_a_storage_failure_is_stored_exactly_once(
    system: ApiSystem, operation: str, key: str, after: bool
) -> None:
    # Given a store that fails once at this step of a submission
    token = new_token()
    body = report_body(token)
    system.store.fail(operation, key, after=after)
    # When the report is sent, the reporter hears to try again
    assert_retryable(call("/api/reports", body, token))
    assert system.store.failed
    # When the browser sends the same report with the same code again
    answer = call("/api/reports", body, token)
    # Then it is stored, exactly once, with its verifier
    assert answer.status == 201, answer
    case = answer.body["id"]
    keys = sorted(i.key for i in system.inner.list())
    assert keys == [f"mailboxes/{case}/verifier.json", f"reports/{case}.json"]
    # And both records agree on one receipt time: the first attempt's
    verifier = json.loads(system.inner.get(f"mailboxes/{case}/verifier.json"))
    stored = json.loads(system.inner.get(f"reports/{case}.json"))
    assert verifier["received"] == stored["received"] == answer.body["received"]
    assert stored["envelope"] == json.loads(body)
    # And sending it yet again changes nothing
    assert call("/api/reports", body, token).body == answer.body
    assert sorted(i.key for i in system.inner.list()) == keys


def test_a_failed_verifier_check_is_retryable_not_taken(system: ApiSystem) -> None:
    # Given a report whose verifier was written but whose report write failed
    token = new_token()
    body = report_body(token)
    system.store.fail("put_new", "reports/")
    assert_retryable(call("/api/reports", body, token))
    # When the retry cannot read the verifier back
    system.store.fail("get", "mailboxes/")
    # Then the answer is "try again", never "this code is taken"
    assert_retryable(call("/api/reports", body, token))
    assert call("/api/reports", body, token).status == 201


def test_another_report_under_a_half_used_code_is_refused(system: ApiSystem) -> None:
    # Given a code whose verifier was written but whose report was not
    token = new_token()
    system.store.fail("put_new", "reports/")
    assert_retryable(call("/api/reports", report_body(token), token))
    before = snapshot(system.inner)
    # When another report (say, re-sealed after an edit) is sent under the same code
    answer = call("/api/reports", report_body(token, b"laporan yang diubah"), token)
    # Then the code is taken, and nothing is written; the page draws a new code
    assert (answer.status, answer.body["error"]) == (409, "id_taken")
    assert snapshot(system.inner) == before
    other = new_token()
    assert call("/api/reports", report_body(other, b"laporan yang diubah"), other).status == 201


@pytest.mark.parametrize(("operation", "key"), [("list", "mailboxes/"), ("put_new", "mailboxes/")])
def test_a_followup_that_failed_is_stored_once_when_sent_again(
    system: ApiSystem, operation: str, key: str
) -> None:
    token, case = open_case(system)
    body = envelope_json(
        sealed(b"tambahan", [INSPECTOR.public_key, REPORTER.public_key], case, "followup")
    )
    system.store.fail(operation, key)
    assert_retryable(call("/api/mailbox", body, token))
    assert call("/api/mailbox", body, token).status == 201
    assert len(mailbox.keys(system.inner, case)) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_shares_that_cannot_be_listed_are_retryable_never_left_out(
    system: ApiSystem, method: str
) -> None:
    # Given a case, and a store that cannot list the desks it was shared with just now
    token, case = open_case(system)
    body = envelope_json(
        sealed(b"tambahan", [INSPECTOR.public_key, REPORTER.public_key], case, "followup")
    )
    before = snapshot(system.inner)
    system.store.fail("list", layout.shares(case))
    # Then the mailbox says "try again", rather than name fewer desks or check fewer (a
    # follow-up would then miss a desk the case was shared with); nothing is written
    if method == "GET":
        response = api.lambda_handler(get_event("/api/mailbox", bearer(token)), LambdaContext())
        answer = Answer(response["statusCode"], json.loads(response["body"]), response["headers"])
    else:
        answer = call("/api/mailbox", body, token)
    assert_retryable(answer)
    assert system.store.failed == [("list", layout.shares(case))]
    assert snapshot(system.inner) == before
    # And the same request again succeeds
    assert call("/api/mailbox", body, token).status == 201


def test_a_followup_whose_answer_was_lost_is_stored_once_when_sent_again(
    system: ApiSystem,
) -> None:
    token, case = open_case(system)
    body = envelope_json(
        sealed(b"tambahan", [INSPECTOR.public_key, REPORTER.public_key], case, "followup")
    )
    system.store.fail("put_new", "mailboxes/", after=True)
    assert_retryable(call("/api/mailbox", body, token))
    assert call("/api/mailbox", body, token).status == 201
    assert len(mailbox.keys(system.inner, case)) == 1


@pytest.mark.parametrize("kind", S3_AFTER)
def test_s3_a_followup_whose_answer_botocore_lost_is_stored_once(
    s3_system: ApiSystem, kind: str
) -> None:
    # Given a follow-up whose PutObject S3 stored, but whose answer was lost: botocore sends
    # it again, and S3 answers the repeat 412
    system = s3_system
    assert system.s3 is not None
    token, case = open_case(system)
    body = envelope_json(
        sealed(b"tambahan", [INSPECTOR.public_key, REPORTER.public_key], case, "followup")
    )
    system.s3.inject(kind, "PutObject", f"{PREFIX}/mailboxes/{case}/")
    # When the reporter sends it, it is stored once, under one name
    assert call("/api/mailbox", body, token).status == 201
    assert ("PutObject", kind) in {(op, k) for k, op, _ in system.s3.failed}
    assert len(mailbox.keys(system.inner, case)) == 1


@pytest.mark.parametrize("kind", S3_AFTER)
def test_s3_a_report_whose_answers_botocore_lost_is_stored_once(
    s3_system: ApiSystem, kind: str
) -> None:
    # Given both writes of a submission landing in S3 with their answers lost, and reports/
    # unreadable to the function, as its deployed role has it
    system = s3_system
    assert system.s3 is not None
    system.s3.inject(kind, "PutObject", f"{PREFIX}/mailboxes/")
    system.s3.inject(kind, "PutObject", f"{PREFIX}/reports/")
    system.s3.inject("access_denied", "GetObject", f"{PREFIX}/reports/", times=99)
    token = new_token()
    # When the report is sent once, it is stored once and answered 201
    answer = call("/api/reports", report_body(token), token)
    assert answer.status == 201, answer
    case = answer.body["id"]
    assert [k for k, _, _ in system.s3.failed].count(kind) == 2
    assert ("access_denied", "GetObject") in {(k, op) for k, op, _ in system.s3.failed}
    keys = sorted(i.key for i in system.inner.list())
    assert keys == [f"mailboxes/{case}/verifier.json", f"reports/{case}.json"]


@pytest.mark.parametrize("kind", S3_AFTER)
def test_s3_a_grant_whose_record_answer_botocore_lost_is_granted(
    s3_system: ApiSystem, kind: str
) -> None:
    system = s3_system
    assert system.s3 is not None
    token, case = open_case(system)
    system.s3.inject(kind, "PutObject", f"{PREFIX}/uploads/")
    granted = call("/api/uploads", grant_body(), token)
    assert granted.status == 201, granted
    assert [i.key for i in system.inner.list("uploads/")] == granted_keys(case)


@pytest.fixture
def local_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiSystem]:
    yield from _local_api(tmp_path, monkeypatch)


@pytest.mark.parametrize("step", ["mailbox", "grant"])
def test_an_io_error_no_store_named_is_still_a_retryable_503(
    local_system: ApiSystem, step: str
) -> None:
    # Given a disk that fails reading metadata (listing a mailbox) or a folder's names (the
    # sweep of ended uploads that every grant runs first)
    system = local_system
    token, case = open_case(system)
    assert system.root is not None
    with api_logs() as logs:
        if step == "mailbox":
            system.disk.inject(EIO, "stat", system.root / "mailboxes" / case)
            answer = Answer(**_get("/api/mailbox", token))
        else:
            (system.root / ".uploads").mkdir()
            system.disk.inject(EIO, "listdir", system.root / ".uploads")
            answer = call("/api/uploads", grant_body(), token)
    # Then the reporter hears to try again, as for any storage failure, not "a bug"
    assert system.disk.failed
    assert_retryable(answer)
    # And the log names the failure by type and place, never the path (it holds the case)
    (line,) = [json.loads(x) for x in logs.getvalue().splitlines() if "storage failure" in x]
    assert line["level"] == "ERROR" and line["error_type"] == "OSError"
    assert case not in logs.getvalue() and str(system.root) not in logs.getvalue()


def _get(path: str, token: bytes) -> dict[str, Any]:
    event = get_event(path, bearer(token))
    response = api.lambda_handler(event, LambdaContext())
    return {
        "status": response["statusCode"],
        "body": json.loads(response["body"]),
        "headers": response["headers"],
    }


def grant_body(file_id: str = FILE_ID, size: int = SMALL) -> str:
    return json.dumps({"files": [{"id": file_id, "size": size}]})


def send_part(system: ApiSystem, url: str, data: bytes) -> str:
    """What the page does with a part URL on S3 (the local host's PUT has its own tests)."""
    response = requests.put(
        f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{PREFIX}{url}", data=data, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.headers["ETag"])


def send_file(system: ApiSystem, granted: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Send a one-part file to its grant; return the completion request."""
    (file,) = granted["files"]
    (part,) = file["parts"]
    if system.kind == "s3":
        etag = send_part(system, part["url"], data)
    else:
        assert isinstance(system.uploads.backend, LocalUploads)
        path, _, query = part["url"].partition("?")
        etag = system.uploads.backend.receive(path, query, str(len(data)), _Body(data))
    return {"id": file["id"], "upload": file["upload"], "parts": [{"number": 1, "etag": etag}]}


def complete(token: bytes, done: dict[str, Any]) -> Answer:
    return call("/api/uploads/complete", json.dumps(done), token)


def upload_whole(system: ApiSystem, token: bytes, granted: dict[str, Any], data: bytes) -> Answer:
    return complete(token, send_file(system, granted, data))


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def read(self, size: int, /) -> bytes:
        piece, self._data = self._data[:size], self._data[size:]
        return bytes(piece)

    def close(self) -> None:
        pass


GRANT_STEPS = [
    ("get", "mailboxes/", False, 0),  # the case's verifier
    ("list", "uploads/", False, 0),  # the case's grant records, for the limits
    ("list", "uploads/", False, 1),  # the case's reservations, for the limits
    ("put_new", "uploads/", False, 0),  # the reservation: not written
    ("put_new", "uploads/", True, 0),  # the reservation written, its answer lost
    ("put_new", "uploads/", False, 1),  # the grant record: not written
    ("put_new", "uploads/", True, 1),  # the grant record written, its answer lost
]


def granted_keys(case: str) -> list[str]:
    """What one granted file leaves under uploads/: its record and its reservation."""
    return [f"uploads/{case}/{FILE_ID}.json", f"uploads/{case}/slots/1.json"]


@pytest.mark.parametrize(("operation", "key", "after", "skip"), GRANT_STEPS)
def test_a_grant_that_failed_is_granted_when_asked_again(
    system: ApiSystem, operation: str, key: str, after: bool, skip: int
) -> None:
    # Given a case, and a store that fails once while a file is granted
    token, case = open_case(system)
    system.store.fail(operation, key, after=after, skip=skip)
    # When the page asks for the grant, it hears to try again (it does, with backoff)
    assert_retryable(call("/api/uploads", grant_body(), token))
    # When it asks again for the same file
    granted = call("/api/uploads", grant_body(), token)
    # Then the file is granted, with one record and one reservation, and its upload completes
    assert granted.status == 201, granted
    assert [i.key for i in system.inner.list("uploads/")] == granted_keys(case)
    data = os.urandom(SMALL)
    done = upload_whole(system, token, granted.body, data)
    assert (done.status, done.body) == (201, {"id": FILE_ID, "size": SMALL})
    assert system.inner.get(f"attachments/{case}/{FILE_ID}") == data
    # And the case counts the file once
    assert system.uploads.room(case)["files"] == LIMITS.max_files - 1


def test_a_grant_asked_again_after_its_file_is_stored_is_refused(system: ApiSystem) -> None:
    token, _ = open_case(system)
    granted = call("/api/uploads", grant_body(), token)
    assert upload_whole(system, token, granted.body, os.urandom(SMALL)).status == 201
    again = call("/api/uploads", grant_body(), token)
    assert (again.status, again.body["error"]) == (409, "file_id_taken")
    other_size = call("/api/uploads", grant_body(size=stored_size(5000, 1024)), token)
    assert other_size.status == 409


@pytest.mark.parametrize(("operation", "key"), [("get", "uploads/"), ("list", "attachments/")])
def test_a_completion_that_failed_completes_when_sent_again(
    system: ApiSystem, operation: str, key: str
) -> None:
    token, case = open_case(system)
    granted = call("/api/uploads", grant_body(), token)
    data = os.urandom(SMALL)
    done = send_file(system, granted.body, data)
    system.store.fail(operation, key)
    assert_retryable(complete(token, done))
    answer = complete(token, done)
    assert answer.status == 201, answer
    assert system.inner.get(f"attachments/{case}/{FILE_ID}") == data


def test_a_renewal_that_failed_is_retryable_never_unknown(system: ApiSystem) -> None:
    token, _ = open_case(system)
    (file,) = call("/api/uploads", grant_body(), token).body["files"]
    ref = json.dumps({"id": FILE_ID, "upload": file["upload"]})
    system.store.fail("get", "uploads/")
    assert_retryable(call("/api/uploads/renew", ref, token))
    assert call("/api/uploads/renew", ref, token).status == 200


@pytest.mark.parametrize("kind", ["slow_down", "read_timeout", "landed_read_timeout"])
def test_s3_completion_under_faults_stores_the_file_once(s3_system: ApiSystem, kind: str) -> None:
    # Given S3 failing every attempt of a completion (or storing it and losing the answer)
    system = s3_system
    assert system.s3 is not None
    token, case = open_case(system)
    granted = call("/api/uploads", grant_body(), token)
    data = os.urandom(SMALL)
    landed = kind.startswith("landed")
    system.s3.inject(kind, "CompleteMultipartUpload", times=1 if landed else 99)
    done = send_file(system, granted.body, data)
    first = complete(token, done)
    # Then the page hears to try again, or that the file is stored
    if landed:
        assert (first.status, first.body.get("error")) in ((201, None), (409, "file_exists"))
    else:
        assert_retryable(first)
    system.s3.rules.clear()
    # And the retry completes it, or finds it stored; the object is the data, once
    again = complete(token, done)
    assert (again.status, again.body.get("error")) in ((201, None), (409, "file_exists"))
    assert system.inner.get(f"attachments/{case}/{FILE_ID}") == data
    assert [i.key for i in system.inner.list("attachments/")] == [f"attachments/{case}/{FILE_ID}"]


# --- 3a. the local host over HTTP, on a failing disk --------------------------------------------


@dataclass
class Host:
    port: int
    root: Path
    disk: DiskFaults

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, CaseInsensitiveDict[str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, CaseInsensitiveDict(response.getheaders()), response.read()
        finally:
            conn.close()

    def api(self, path: str, body: str, token: bytes) -> Answer:
        sent = {"Content-Type": "application/json", "Authorization": bearer(token)}
        sent |= reporter.headers(path, bearer(token), body)
        status, headers, data = self.request("POST", path, body.encode(), sent)
        return Answer(status, json.loads(data), headers)


@pytest.fixture
def local_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    """The real local host (waitress) on a free port, its storage a folder on a disk that
    fails when told."""
    root = tmp_path / "storage"
    settings = Settings(
        storage_url=f"local:{root}",
        keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
        upload_limits=LIMITS,
    )
    server = host.make_server(None, settings, port=0)
    with serving(server):
        yield Host(server.effective_port, root, DiskFaults(monkeypatch))
    api.configure()


def assert_http_retryable(answer: Answer) -> None:
    assert_retryable(answer)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value


@pytest.mark.parametrize(
    ("error", "what", "skip"),
    [
        (ENOSPC, "file", 0),  # the verifier not written
        (EIO, "folder", 0),  # the verifier linked, then the disk failed
        (ENOSPC, "file", 1),  # the report not written
        (EIO, "folder", 1),  # the report linked, then the disk failed
    ],
)
def test_host_a_report_on_a_failing_disk_is_stored_once_when_sent_again(
    local_host: Host, error: int, what: str, skip: int
) -> None:
    token = new_token()
    body = report_body(token)
    local_host.disk.inject(error, what, local_host.root, skip=skip)
    assert_http_retryable(local_host.api("/api/reports", body, token))
    answer = local_host.api("/api/reports", body, token)
    assert answer.status == 201, answer
    case = answer.body["id"]
    expected = [f"mailboxes/{case}/verifier.json", f"reports/{case}.json"]
    assert files_under(local_host.root) == expected


def test_host_a_part_on_a_full_disk_is_refused_and_taken_when_sent_again(local_host: Host) -> None:
    # Given a granted file and a disk that is full when its part arrives
    token = new_token()
    assert local_host.api("/api/reports", report_body(token), token).status == 201
    case = mailbox_token.report_id(token)
    granted = local_host.api("/api/uploads", grant_body(), token)
    (file,) = granted.body["files"]
    (part,) = file["parts"]
    upload = local_host.root / ".uploads" / file["upload"]
    local_host.disk.inject(ENOSPC, "file", upload)
    data = os.urandom(SMALL)
    # When the page sends the part, it hears to send it again (its worker does, with backoff)
    status, headers, raw = local_host.request(
        "PUT", part["url"], data, {"Content-Length": str(len(data))}
    )
    assert_http_retryable(Answer(status, json.loads(raw), headers))
    # And nothing of the part is kept: the upload holds its state alone
    assert files_under(upload) == ["grant.json"]
    # When the part is sent again, it is taken, and the file completes whole
    status, headers, raw = local_host.request(
        "PUT", part["url"], data, {"Content-Length": str(len(data))}
    )
    assert status == 200, raw
    done = {
        "id": FILE_ID,
        "upload": file["upload"],
        "parts": [{"number": 1, "etag": headers["ETag"]}],
    }
    answer = local_host.api("/api/uploads/complete", json.dumps(done), token)
    assert answer.status == 201, answer
    assert (local_host.root / "attachments" / case / FILE_ID).read_bytes() == data


@pytest.mark.parametrize(("error", "what"), [(ENOSPC, "file"), (EIO, "folder")])
def test_host_a_completion_on_a_failing_disk_ends_with_the_file_stored_once(
    local_host: Host, error: int, what: str
) -> None:
    token = new_token()
    assert local_host.api("/api/reports", report_body(token), token).status == 201
    case = mailbox_token.report_id(token)
    (file,) = local_host.api("/api/uploads", grant_body(), token).body["files"]
    data = os.urandom(SMALL)
    status, headers, _ = local_host.request(
        "PUT", file["parts"][0]["url"], data, {"Content-Length": str(len(data))}
    )
    assert status == 200
    done = {
        "id": FILE_ID,
        "upload": file["upload"],
        "parts": [{"number": 1, "etag": headers["ETag"]}],
    }
    folder = local_host.root / "attachments" / case
    local_host.disk.inject(error, what, folder)
    # When the completion fails on the disk, the page hears to try again
    assert_http_retryable(local_host.api("/api/uploads/complete", json.dumps(done), token))
    # Then the completion sent again stores the file, or finds it stored (the page's "done")
    again = local_host.api("/api/uploads/complete", json.dumps(done), token)
    expected = (201, None) if what == "file" else (409, "file_exists")
    assert (again.status, again.body.get("error")) == expected, again
    # And the object is whole, once, with no temporary file beside it
    assert files_under(folder) == [FILE_ID]
    assert (folder / FILE_ID).read_bytes() == data


# --- 3b. the inspector's sync, cut off and run again ---------------------------------------------

REPORTS = 6
MESSAGES = 4


def fill(store: Storage) -> dict[str, bytes]:
    """Six reports, and two follow-ups in each of two cases, stored as the API stores them;
    return what a complete sync must copy (key -> bytes)."""
    cases = []
    for n in range(REPORTS):
        token = bytes([n + 1]) * 32
        case = mailbox_token.report_id(token)
        report = sealed(b"laporan %d" % n, [INSPECTOR.public_key], case)
        stored = {"received": "2026-03-01T02:30:00Z", "envelope": report.to_json()}
        store.put_new(f"reports/{case}.json", json.dumps(stored).encode())
        cases.append(case)
    for case in cases[:2]:
        for n in range(MESSAGES // 2):
            sent = sealed(b"tambahan %d" % n, [INSPECTOR.public_key], case, "followup")
            mailbox.post(store, case, "reporter", sent, datetime(2026, 3, 2, 8, n, tzinfo=UTC))
    wanted = [i.key for i in store.list() if i.key.startswith("reports/")]
    wanted += [k for c in sorted(cases) for k in mailbox.keys(store, c)]
    return {key: store.get(key) for key in wanted}


def cached(home: Path) -> dict[str, bytes]:
    """Every file of the cache (hidden ones included), by storage key."""
    (root,) = (home / "cache").iterdir()
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_resumes(home: Path, expected: dict[str, bytes], fetched: int, result: Any) -> None:
    """After a sync that stopped at object ``fetched``: the cache holds exactly the objects
    copied before, whole; the next sync copies the rest, once; the one after, nothing."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("wbs: error: ")
    assert "wbs inbox sync again" in result.output
    order = sorted(k for k in expected if k.startswith("reports/")) + sorted(
        k for k in expected if k.startswith("mailboxes/")
    )
    assert f"sync stopped after {fetched} new objects" in result.output
    assert cached(home) == {k: expected[k] for k in order[:fetched]}
    again = wbs("inbox", "sync", passphrase=None)
    assert again.exit_code == 0, again.output
    reports_left = REPORTS - min(fetched, REPORTS)
    messages_left = MESSAGES - max(0, fetched - REPORTS)
    assert f"{reports_left} new report" in again.stdout
    assert f"{messages_left} new message" in again.stdout
    assert f"({REPORTS} in the cache)" in again.stdout
    assert f"({MESSAGES} in the cache)" in again.stdout
    assert cached(home) == expected
    last = wbs("inbox", "sync", passphrase=None)
    assert "0 new reports" in last.stdout and "0 new messages" in last.stdout
    assert cached(home) == expected


@pytest.mark.parametrize("fetched", [3, REPORTS + 1])  # cut among the reports, the messages
@pytest.mark.parametrize(
    ("kind", "times"),
    [
        ("slow_down", 99),  # throttled past botocore's retries
        ("read_timeout", 99),
        ("truncated", 1),  # the body ends early
        ("socket_timeout", 1),  # the socket times out halfway through the body
        ("interrupt", 1),  # Ctrl-C
    ],
)
def test_sync_from_s3_cut_off_resumes_with_nothing_lost_or_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, times: int, fetched: int
) -> None:
    home = use_private_home(tmp_path, monkeypatch)
    with moto_bucket(monkeypatch):
        expected = fill(S3Storage(BUCKET, PREFIX))
        monkeypatch.setenv("WBS_STORAGE", f"s3://{BUCKET}/{PREFIX}")
        boto3.setup_default_session(region_name=REGION)
        faults = S3Faults()
        faults.attach(boto3.DEFAULT_SESSION.events)  # the clients `wbs` makes
        faults.inject(kind, "GetObject", times=times, skip=fetched)
        # When the sync is cut off at one object
        result = wbs("inbox", "sync", passphrase=None)
        # Then it says so, and keeps exactly what it copied before; once S3 recovers, the
        # next sync resumes
        assert faults.failed
        faults.rules.clear()
        assert_resumes(home, expected, fetched, result)


@pytest.mark.parametrize("fetched", [3, REPORTS + 1])
@pytest.mark.parametrize("error", [ENOSPC, EIO, 0])  # 0: Ctrl-C while a file is written
def test_sync_onto_a_failing_disk_resumes_with_nothing_lost_or_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int, fetched: int
) -> None:
    home = use_private_home(tmp_path, monkeypatch)
    expected = fill(LocalStorage(tmp_path / "store"))
    disk = DiskFaults(monkeypatch)
    disk.inject(error, "file", home / "cache", skip=fetched)
    result = wbs("inbox", "sync", passphrase=None)
    assert disk.failed
    assert_resumes(home, expected, fetched, result)


def test_sync_ignores_what_a_killed_sync_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sync killed (SIGKILL) halfway through writing a report into the cache
    home = use_private_home(tmp_path, monkeypatch)
    expected = fill(LocalStorage(tmp_path / "store"))
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    (root,) = (home / "cache").iterdir()
    first = sorted(k for k in expected if k.startswith("reports/"))[0]
    (root / first).unlink()
    (root / "reports" / ".fetch-killed").write_bytes(expected[first][:100])
    # When the inspector syncs again
    result = wbs("inbox", "sync", passphrase=None)
    # Then the missing report is fetched whole, and the half-written file is no report
    assert result.exit_code == 0 and "1 new report (6 in the cache)" in result.stdout
    assert cached(home) == expected | {"reports/.fetch-killed": expected[first][:100]}
