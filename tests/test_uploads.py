"""The upload protocol (docs/spec/upload-v1.md): grants, parts sent straight to storage,
create-only completion, and every refusal, on the local host (the real WSGI app under
waitress) and on S3 (moto).

moto takes a PUT to a presigned URL in-process but checks no signature, so on S3 the signed
length and key are shown by recomputing the SigV4 signature as S3 does, and a part of the
wrong size that moto accepted is shown to be refused at completion."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from moto import mock_aws
from requests.structures import CaseInsensitiveDict

from functions import app as api
from functions import host, log, mailbox_token
from functions.attachment_size import stored_size
from functions.config import Settings
from functions.errors import AlreadyExists
from functions.headers import SECURITY_HEADERS
from functions.storage import S3Storage, Storage
from functions.uploads import Limits, LocalUploads, S3Uploads, UploadError, Uploads
from functions.uploads.grants import MAX_OBJECT_BYTES, MIB, plan
from functions.uploads.local import load_secret
from functions.uploads.s3 import upload_client
from tests.support.api import (
    BAD_AUTHORIZATIONS,
    bearer,
    envelope_json,
    get_event,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from tests.support.host import serving

INSPECTOR = identity(1)
PART = 5 * MIB  # the smallest part S3 (and so moto) takes
LIMITS = Limits(part_bytes=PART)
SMALL = stored_size(0, 1024)  # the smallest attachment: one chunk of padding
# Three parts: two whole, one of about 1.5 MiB (attachment-shaped: 1 KiB chunks).
SIZE = stored_size(11_600 * 1024 - 1, 1024)
BUCKET = "wbs-test-uploads"
REGION = "ap-southeast-3"
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FILE_ID = "0123456789ABCDEF"
OTHER_ID = "FEDCBA9876543210"


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class System:
    """One storage, its uploads, and a way to send a part to a granted URL."""

    kind: str
    storage: Storage
    uploads: Uploads
    clock: Clock
    send: Callable[[str, bytes], Answer]  # (granted URL, body) -> answer
    port: int = 0  # the local host's


# --- the two systems -------------------------------------------------------------------------


def _local(tmp_path: Path) -> Iterator[System]:
    settings = Settings(
        storage_url=f"local:{tmp_path / 'storage'}",
        keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
        upload_limits=LIMITS,
    )
    server = host.make_server(None, settings, port=0)
    stack = contextlib.ExitStack()
    stack.enter_context(serving(server))
    uploads = api._wiring.uploads
    assert uploads is not None and isinstance(uploads.backend, LocalUploads)
    clock = Clock()
    uploads.clock = uploads.backend.clock = clock

    def send(url: str, data: bytes, headers: dict[str, str] | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        try:
            conn.request("PUT", url, body=data, headers=headers or {})
            response = conn.getresponse()
            return Answer(
                response.status,
                json.loads(response.read()),
                CaseInsensitiveDict(response.getheaders()),
            )
        finally:
            conn.close()

    with stack:
        yield System("local", uploads.storage, uploads, clock, send, server.effective_port)
    api.configure()


def _s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[System]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        storage = S3Storage(BUCKET, "wbs/prod")
        clock = Clock(datetime.now(UTC))  # S3 signs with the real time
        uploads = Uploads(
            storage, S3Uploads(BUCKET, storage.prefix, upload_client()), LIMITS, clock
        )
        api.configure(
            storage=storage,
            keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
            uploads=uploads,
        )

        def send(url: str, data: bytes) -> Answer:
            # The deployment's route: /attachments/* to the bucket, origin path the prefix.
            response = requests.put(bucket_url(url), data=data, timeout=30)
            return Answer(response.status_code, {}, CaseInsensitiveDict(response.headers))

        yield System("s3", storage, uploads, clock, send)
    api.configure()


@pytest.fixture(params=["local", "s3"])
def system(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[System]:
    yield from _local(tmp_path) if request.param == "local" else _s3(tmp_path, monkeypatch)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[System]:
    yield from _local(tmp_path)


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[System]:
    yield from _s3(tmp_path, monkeypatch)


def bucket_url(url: str) -> str:
    return f"https://{BUCKET}.s3.{REGION}.amazonaws.com/wbs/prod{url}"


# --- the API, as the page calls it ------------------------------------------------------------


def call(path: str, body: Any, token: bytes | None, raw: str | None = None) -> Answer:
    text = raw if raw is not None else json.dumps(body)
    event = post_event(text, authorization=None if token is None else bearer(token), path=path)
    response = api.lambda_handler(event, LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]), response["headers"])


def open_case() -> tuple[bytes, str]:
    """A report sent through the API: the case uploads go to."""
    token = new_token()
    report = sealed(b"report", [INSPECTOR.public_key], mailbox_token.report_id(token))
    event = post_event(envelope_json(report), authorization=bearer(token))
    assert api.lambda_handler(event, LambdaContext())["statusCode"] == 201
    return token, report.id


def grant(token: bytes, files: list[tuple[str, int]]) -> Answer:
    return call("/api/uploads", {"files": [{"id": i, "size": s} for i, s in files]}, token)


def complete(token: bytes, file: dict[str, Any], etags: list[str]) -> Answer:
    parts = [{"number": n, "etag": e} for n, e in enumerate(etags, start=1)]
    body = {"id": file["id"], "upload": file["upload"], "parts": parts}
    return call("/api/uploads/complete", body, token)


def send_all(system: System, file: dict[str, Any], data: bytes) -> list[str]:
    etags = []
    offset = 0
    for part in file["parts"]:
        answer = system.send(part["url"], data[offset : offset + part["size"]])
        assert answer.status == 200, answer
        etags.append(answer.headers["ETag"])
        offset += part["size"]
    return etags


def snapshot(storage: Storage) -> dict[str, bytes]:
    return {i.key: storage.get(i.key) for i in storage.list()}


def assert_error(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.body.get("error")) == (status, code), answer
    assert set(answer.body) == {"error", "message"}
    assert answer.body["message"].endswith(".")
    assert answer.headers.get("Cache-Control") == "no-store"


# --- the whole protocol on both stores ---------------------------------------------------------


def test_a_file_is_granted_uploaded_in_parts_and_completed(system: System) -> None:
    # Given a case and a file of three parts
    token, case = open_case()
    data = os.urandom(SIZE)
    # When the page asks for a grant
    granted = grant(token, [(FILE_ID, SIZE)])
    # Then it gets one URL a part, on the page's own origin, under the case's prefix
    assert granted.status == 201, granted
    assert granted.body["part_size"] == PART
    (file,) = granted.body["files"]
    assert file["id"] == FILE_ID
    assert [(p["number"], p["size"]) for p in file["parts"]] == [
        (1, PART),
        (2, PART),
        (3, SIZE - 2 * PART),
    ]
    assert all(p["url"].startswith(f"/attachments/{case}/{FILE_ID}?") for p in file["parts"])
    # And a grant record and the reservation it was counted by, but no object yet
    assert [i.key for i in system.storage.list("uploads/")] == [
        f"uploads/{case}/{FILE_ID}.json",
        f"uploads/{case}/slots/1.json",
    ]
    assert list(system.storage.list("attachments/")) == []
    # When every part is sent and the file completed
    etags = send_all(system, file, data)
    done = complete(token, file, etags)
    # Then the object is the parts joined in order
    assert (done.status, done.body) == (201, {"id": FILE_ID, "size": SIZE})
    assert system.storage.get(f"attachments/{case}/{FILE_ID}") == data
    # And nothing else is visible in storage: no part, no upload state
    keys = [i.key for i in system.storage.list()]
    assert sorted(k.split("/")[0] for k in keys) == [
        "attachments",
        "mailboxes",
        "reports",
        "uploads",  # the grant record
        "uploads",  # and its reservation
    ]


def test_completing_twice_is_409_and_the_object_is_unchanged(system: System) -> None:
    # Given a completed file
    token, _case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etags = send_all(system, file, data)
    assert complete(token, file, etags).status == 201
    before = snapshot(system.storage)
    # When it is completed again (S3 alone would answer a replay with success)
    again = complete(token, file, etags)
    # Then it is refused and nothing changes
    assert_error(again, 409, "file_exists")
    assert snapshot(system.storage) == before


def test_a_failed_part_is_sent_again_without_resending_the_others(system: System) -> None:
    # Given a file whose second part failed on the way (its answer never came)
    token, case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    first, second, third = file["parts"]
    etag_1 = system.send(first["url"], data[:PART]).headers["ETag"]
    system.send(second["url"], os.urandom(PART))  # wrong bytes: a broken first attempt
    # When only the failed part is sent again, then the last one
    etag_2 = system.send(second["url"], data[PART : 2 * PART]).headers["ETag"]
    etag_3 = system.send(third["url"], data[2 * PART :]).headers["ETag"]
    # Then the first part's ETag from before still completes the file
    assert complete(token, file, [etag_1, etag_2, etag_3]).status == 201
    assert system.storage.get(f"attachments/{case}/{FILE_ID}") == data


def test_renew_gives_fresh_urls_for_the_same_parts(system: System) -> None:
    # Given a grant that has expired after the first part was sent
    token, case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etag_1 = system.send(file["parts"][0]["url"], data[:PART]).headers["ETag"]
    system.clock.now += timedelta(hours=2)
    # When the page asks to renew it
    renewed = call("/api/uploads/renew", {"id": FILE_ID, "upload": file["upload"]}, token)
    # Then it gets the same parts of the same upload, with new URLs that work
    assert renewed.status == 200, renewed
    (again,) = renewed.body["files"]
    assert again["upload"] == file["upload"]
    assert [(p["number"], p["size"]) for p in again["parts"]] == [
        (p["number"], p["size"]) for p in file["parts"]
    ]
    assert renewed.body["expires"] > grant_expiry(file)
    rest = send_all(system, {"parts": again["parts"][1:]}, data[PART:])
    assert complete(token, file, [etag_1, *rest]).status == 201
    assert system.storage.get(f"attachments/{case}/{FILE_ID}") == data


def grant_expiry(file: dict[str, Any]) -> str:
    query = dict(parse_qsl(urlsplit(file["parts"][0]["url"]).query))
    if "expires" in query:
        return datetime.fromtimestamp(int(query["expires"]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expiry = signed + timedelta(seconds=int(query["X-Amz-Expires"]))
    return expiry.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_ended_upload_can_be_neither_renewed_nor_completed(system: System) -> None:
    token, _ = open_case()
    (file,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    (etag,) = send_all(system, file, os.urandom(SMALL))
    system.clock.now += timedelta(days=1)
    before = snapshot(system.storage)
    renew = call("/api/uploads/renew", {"id": FILE_ID, "upload": file["upload"]}, token)
    assert_error(renew, 410, "upload_expired")
    assert_error(complete(token, file, [etag]), 410, "upload_expired")
    assert snapshot(system.storage) == before


# --- limits --------------------------------------------------------------------------------------


def ids(count: int, start: int = 0) -> list[str]:
    return [f"{n:016d}" for n in range(start, start + count)]


def test_too_many_files_are_refused(system: System) -> None:
    # Given a case that holds 19 granted files
    token, _ = open_case()
    assert grant(token, [(i, SMALL) for i in ids(19)]).status == 201
    before = snapshot(system.storage)
    # When two more are asked for, then one
    two = grant(token, [(i, SMALL) for i in ids(2, 19)])
    one = grant(token, [(ids(1, 19)[0], SMALL)])
    # Then the two are refused, with nothing written, and the twentieth is granted
    assert_error(two, 403, "too_many_files")
    assert one.status == 201
    assert_error(grant(token, [(ids(1, 30)[0], SMALL)]), 403, "too_many_files")
    assert len(snapshot(system.storage)) == len(before) + 2  # its record and reservation


def test_too_many_bytes_are_refused(system: System) -> None:
    # Given a case with three of the largest files granted, one a request
    token, _ = open_case()
    for file_id in ids(3):
        assert grant(token, [(file_id, MAX_OBJECT_BYTES)]).status == 201
    before = snapshot(system.storage)
    # When a fourth is asked for, over the case's 20 GiB
    answer = grant(token, [(ids(1, 3)[0], MAX_OBJECT_BYTES)])
    # Then it is refused and nothing is written
    assert_error(answer, 403, "too_many_bytes")
    assert snapshot(system.storage) == before


def room(token: bytes) -> dict[str, int]:
    """The case's ``uploads_left``, as the mailbox tells the status page."""
    event = get_event("/api/mailbox", bearer(token))
    answer = json.loads(api.lambda_handler(event, LambdaContext())["body"])
    return dict(answer["uploads_left"])


def test_the_mailbox_tells_what_the_case_can_still_take(system: System) -> None:
    # Given a new case: it can take the whole limits
    token, _ = open_case()
    assert room(token) == {"files": LIMITS.max_files, "bytes": LIMITS.max_case_bytes}
    # When two files are granted, then the case is full of bytes
    assert grant(token, [(i, SMALL) for i in ids(2)]).status == 201
    # Then the mailbox counts them as the grants do
    left = room(token)
    assert left == {"files": LIMITS.max_files - 2, "bytes": LIMITS.max_case_bytes - 2 * SMALL}
    for file_id in ids(3, 2):
        assert grant(token, [(file_id, MAX_OBJECT_BYTES)]).status == 201
    full = room(token)
    assert full == {"files": LIMITS.max_files - 5, "bytes": left["bytes"] - 3 * MAX_OBJECT_BYTES}
    # And a file larger than the bytes left is refused, as the room said
    assert 0 < full["bytes"] < MAX_OBJECT_BYTES
    assert_error(grant(token, [(ids(1, 5)[0], MAX_OBJECT_BYTES)]), 403, "too_many_bytes")


def test_a_file_id_already_granted_is_refused(system: System) -> None:
    token, _ = open_case()
    assert grant(token, [(FILE_ID, SMALL)]).status == 201
    before = snapshot(system.storage)
    assert_error(grant(token, [(OTHER_ID, SMALL), (FILE_ID, SMALL)]), 409, "file_id_taken")
    assert snapshot(system.storage) == before


def test_one_answer_lists_at_most_1200_parts(system: System) -> None:
    token, _ = open_case()
    answer = grant(token, [(FILE_ID, MAX_OBJECT_BYTES), (OTHER_ID, MAX_OBJECT_BYTES)])
    assert_error(answer, 413, "too_many_parts")
    assert list(system.storage.list("uploads/")) == []


# --- who may ask, and what -------------------------------------------------------------------

ROUTES = ["/api/uploads", "/api/uploads/renew", "/api/uploads/complete"]


@pytest.mark.parametrize("path", ROUTES)
def test_unknown_and_bad_tokens_are_refused(system: System, path: str) -> None:
    _token, _ = open_case()
    before = snapshot(system.storage)
    body = {"files": [{"id": FILE_ID, "size": SMALL}]}
    assert_error(call(path, body, new_token()), 404, "unknown_code")
    for authorization in BAD_AUTHORIZATIONS.values():
        event = post_event(json.dumps(body), authorization=authorization, path=path)
        response = api.lambda_handler(event, LambdaContext())
        assert (response["statusCode"], json.loads(response["body"])["error"]) == (401, "bad_token")
    assert snapshot(system.storage) == before


def test_another_cases_upload_cannot_be_renewed_or_completed(system: System) -> None:
    # Given case A's upload
    token_a, _ = open_case()
    token_b, _ = open_case()
    (file,) = grant(token_a, [(FILE_ID, SMALL)]).body["files"]
    etags = send_all(system, file, os.urandom(SMALL))
    before = snapshot(system.storage)
    # When case B's token renews or completes it
    renew = call("/api/uploads/renew", {"id": FILE_ID, "upload": file["upload"]}, token_b)
    # Then B's case has no such upload, and nothing is written
    assert_error(renew, 404, "unknown_upload")
    assert_error(complete(token_b, file, etags), 404, "unknown_upload")
    assert snapshot(system.storage) == before


GOOD_FILE = {"id": FILE_ID, "size": SMALL}
BAD_GRANT_BODIES: dict[str, Any] = {
    "no files member": {},
    "files not a list": {"files": GOOD_FILE},
    "no file": {"files": []},
    "extra member": {"files": [GOOD_FILE], "note": "x"},
    "file not an object": {"files": [FILE_ID]},
    "file without size": {"files": [{"id": FILE_ID}]},
    "file with a name": {"files": [{**GOOD_FILE, "name": "photo.jpg"}]},
    "size as string": {"files": [{"id": FILE_ID, "size": str(SMALL)}]},
    "size as float": {"files": [{"id": FILE_ID, "size": float(SMALL)}]},
    "size as bool": {"files": [{"id": FILE_ID, "size": True}]},
    "size zero": {"files": [{"id": FILE_ID, "size": 0}]},
    "size negative": {"files": [{"id": FILE_ID, "size": -SMALL}]},
    "size not an attachment": {"files": [{"id": FILE_ID, "size": SMALL + 1}]},
    "lower-case id": {"files": [{"id": FILE_ID.lower(), "size": SMALL}]},
    "short id": {"files": [{"id": FILE_ID[:-1], "size": SMALL}]},
    "path-like id": {"files": [{"id": "../../reports/x", "size": SMALL}]},
    "id as number": {"files": [{"id": 1234567890123456, "size": SMALL}]},
    "same id twice": {"files": [GOOD_FILE, GOOD_FILE]},
    "array": [GOOD_FILE],
    "null": None,
}
BAD_RAW_BODIES = {
    "malformed JSON": '{"files": [',
    "duplicate member": '{"files": [], "files": []}',
    "NaN size": '{"files": [{"id": "0123456789ABCDEF", "size": NaN}]}',
    "empty body": "",
}


def test_malformed_grant_requests_are_400(system: System) -> None:
    # Given a case
    token, _ = open_case()
    before = snapshot(system.storage)
    bodies = {name: json.dumps(body) for name, body in BAD_GRANT_BODIES.items()}
    for name, body in {**bodies, **BAD_RAW_BODIES}.items():
        # When a grant is asked for with a malformed body
        answer = call("/api/uploads", None, token, raw=body)
        # Then it is refused as a bad request
        assert (answer.status, answer.body.get("error")) == (400, "bad_request"), name
        assert_error(answer, 400, "bad_request")
    # And nothing was written
    assert snapshot(system.storage) == before


def test_a_file_over_the_largest_size_is_413(system: System) -> None:
    token, _ = open_case()
    size = stored_size(6 * 1024 * MIB, 1024 * 1024)
    assert_error(grant(token, [(FILE_ID, size)]), 413, "too_large")
    assert list(system.storage.list("uploads/")) == []


def test_a_grant_request_must_be_json(system: System) -> None:
    token, _ = open_case()
    event = post_event(
        json.dumps({"files": [GOOD_FILE]}), "text/plain", authorization=bearer(token)
    )
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/api/uploads"
    response = api.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 415


def bad_completions(file: dict[str, Any], etags: list[str]) -> dict[str, Any]:
    parts = [{"number": n, "etag": e} for n, e in enumerate(etags, start=1)]
    ref = {"id": file["id"], "upload": file["upload"]}
    return {
        "no parts": {**ref, "parts": []},
        "parts missing the last": {**ref, "parts": parts[:-1]},
        "parts out of order": {**ref, "parts": [parts[1], parts[0], *parts[2:]]},
        "part number as string": {**ref, "parts": [{**parts[0], "number": "1"}, *parts[1:]]},
        "part without etag": {**ref, "parts": [{"number": 1}, *parts[1:]]},
        "etag with a newline": {**ref, "parts": [{"number": 1, "etag": "a\nb"}, *parts[1:]]},
        "etag too long": {**ref, "parts": [{"number": 1, "etag": "a" * 200}, *parts[1:]]},
        "extra member": {**ref, "parts": parts, "size": SIZE},
        "no upload": {"id": file["id"], "parts": parts},
        "upload as number": {**ref, "upload": 7, "parts": parts},
        "bad file id": {**ref, "id": "x", "parts": parts},
    }


def test_malformed_completions_are_400_and_write_nothing(system: System) -> None:
    token, _case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etags = send_all(system, file, data)
    before = snapshot(system.storage)
    for name, body in bad_completions(file, etags).items():
        answer = call("/api/uploads/complete", body, token)
        assert_error(answer, 400, "bad_request"), name
    # A well-formed completion naming a part that was not stored
    wrong = [etags[0], etags[2], etags[1]]
    assert_error(complete(token, file, wrong), 400, "bad_parts")
    assert snapshot(system.storage) == before
    # And the upload is still open: the right ETags complete it
    assert complete(token, file, etags).status == 201


def test_a_missing_part_cannot_be_completed(system: System) -> None:
    token, _ = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etags = send_all(system, {"parts": file["parts"][:2]}, data)
    before = snapshot(system.storage)
    assert_error(complete(token, file, [*etags, etags[0]]), 400, "bad_parts")
    assert snapshot(system.storage) == before


# --- the local host's part URLs -----------------------------------------------------------------


def test_a_part_over_or_under_its_size_is_refused_before_it_is_read(local: System) -> None:
    # Given a granted file
    token, _case = open_case()
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    url = file["parts"][0]["url"]
    # When a part is sent one byte longer, one byte shorter, or with no length
    longer = local.send(url, os.urandom(PART + 1))
    shorter = local.send(url, os.urandom(PART - 1))
    # Then both are refused in JSON with the security headers, and no part is stored
    for answer in (longer, shorter):
        assert_error(answer, 400, "wrong_length")
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
    assert part_files(local) == []


def part_files(system: System) -> list[str]:
    backend = system.uploads.backend
    assert isinstance(backend, LocalUploads)
    return sorted(p.name for p in backend.area.rglob("*") if p.name != "grant.json" and p.is_file())


def tampered(url: str, **changes: str | None) -> str:
    path, _, query = url.partition("?")
    fields = dict(parse_qsl(query))
    path = changes.pop("path", None) or path
    for name, value in changes.items():
        if value is None:
            del fields[name]
        else:
            fields[name] = value
    return f"{path}?{urlencode(fields)}"


def test_a_tampered_url_is_refused(local: System) -> None:
    # Given two cases, A with a granted file
    token, case = open_case()
    _, other = open_case()
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    url, size = file["parts"][0]["url"], file["parts"][0]["size"]
    last = file["parts"][-1]
    data = os.urandom(size)
    forged = {
        "another case": tampered(url, path=f"/attachments/{other}/{FILE_ID}"),
        "another file": tampered(url, path=f"/attachments/{case}/{OTHER_ID}"),
        "outside attachments": tampered(url, path=f"/attachments/{case}/../reports/{case}"),
        "another part": tampered(url, part="2"),
        "another size": tampered(last["url"], size=str(size)),
        "later expiry": tampered(url, expires=str(int(START.timestamp()) + 86_400)),
        "another upload": tampered(url, upload="0" * 32),
        "flipped grant": tampered(url, grant=("0" if url[-1] != "0" else "1") * 64),
        "no grant": tampered(url, grant=None),
        "grant twice": url + "&grant=" + dict(parse_qsl(url.partition("?")[2]))["grant"],
        "leading zero": tampered(url, part="01"),
        "no query": url.partition("?")[0],
    }
    for name, forgery in forged.items():
        # When a part is sent to a URL changed in any way
        answer = local.send(forgery, data)
        # Then it is refused, and nothing is stored anywhere
        assert answer.status in (403, 404), name
        assert answer.body["error"] in ("bad_grant", "not_found"), name
    assert part_files(local) == []
    assert list(local.storage.list(f"attachments/{other}")) == []


def test_an_expired_grant_is_refused(local: System) -> None:
    token, _ = open_case()
    (file,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    local.clock.now += timedelta(hours=1)
    assert_error(local.send(file["parts"][0]["url"], os.urandom(SMALL)), 403, "grant_expired")
    assert part_files(local) == []


def test_a_part_after_completion_is_refused(local: System) -> None:
    token, case = open_case()
    data = os.urandom(SMALL)
    (file,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    etags = send_all(local, file, data)
    assert complete(token, file, etags).status == 201
    answer = local.send(file["parts"][0]["url"], os.urandom(SMALL))
    assert_error(answer, 404, "unknown_upload")
    assert local.storage.get(f"attachments/{case}/{FILE_ID}") == data


def test_only_put_is_answered_on_attachments(local: System) -> None:
    token, _case = open_case()
    (file,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    url = file["parts"][0]["url"]
    conn = http.client.HTTPConnection("127.0.0.1", local.port, timeout=10)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert (response.status, body["error"], response.headers["Allow"]) == (
        405,
        "method_not_allowed",
        "PUT",
    )


def test_a_cut_connection_stores_nothing_and_the_part_is_sent_again(local: System) -> None:
    # Given a granted file whose first part's connection is cut halfway
    token, case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    first = file["parts"][0]
    with socket.create_connection(("127.0.0.1", local.port), timeout=10) as sock:
        head = f"PUT {first['url']} HTTP/1.1\r\nHost: x\r\nContent-Length: {PART}\r\n\r\n"
        sock.sendall(head.encode() + data[: PART // 2])
    # Then no part was stored
    assert part_files(local) == []
    # And sending the parts again completes the file
    assert complete(token, file, send_all(local, file, data)).status == 201
    assert local.storage.get(f"attachments/{case}/{FILE_ID}") == data


def test_a_body_shorter_than_declared_is_refused(tmp_path: Path) -> None:
    # Given the host's WSGI app under a server that passes on a body shorter than declared
    # (waitress itself waits for the whole body)
    backend = LocalUploads(tmp_path / "storage", b"k" * 32, Clock())
    key = f"attachments/{FILE_ID}/{OTHER_ID}"
    upload = backend.start(key, SMALL, PART, START + timedelta(days=1))
    (url,) = backend.urls(key, upload, plan(SMALL, PART), START, START + timedelta(hours=1))
    path, _, query = url.partition("?")
    app = host._Host(None, backend)
    seen: list[str] = []

    def put(body: bytes) -> dict[str, Any]:
        environ = {
            "REQUEST_METHOD": "PUT",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(SMALL),
            "wsgi.input": io.BytesIO(body),
        }
        answer = b"".join(app(environ, lambda status, headers: seen.append(status)))
        return dict(json.loads(answer))

    # When a part arrives short
    answer = put(os.urandom(SMALL - 10))
    # Then it is refused and nothing is kept; the whole part is then taken
    assert (seen[-1], answer["error"]) == ("400 Bad Request", "short_body")
    assert [p.name for p in (backend.area / upload).iterdir()] == ["grant.json"]
    assert put(os.urandom(SMALL))["etag"].startswith('"') and seen[-1] == "200 OK"


def test_the_host_logs_nothing_about_a_part(
    local: System, caplog: pytest.LogCaptureFixture
) -> None:
    token, case = open_case()
    (file,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    url = file["parts"][0]["url"]
    stream = io.StringIO()
    handler = log.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    caplog.set_level(logging.DEBUG)
    try:
        local.send(url, os.urandom(SMALL))
        local.send(tampered(url, part="2"), os.urandom(SMALL))
        local.send(url, os.urandom(SMALL + 1))
    finally:
        handler.setStream(previous)
    written = stream.getvalue() + caplog.text
    grant_hex = dict(parse_qsl(url.partition("?")[2]))["grant"]
    for secret in (case, FILE_ID, grant_hex, file["upload"]):
        assert secret not in written


def test_parts_live_where_no_listing_shows_them(local: System) -> None:
    token, _ = open_case()
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    send_all(local, {"parts": file["parts"][:1]}, os.urandom(PART))
    assert len(part_files(local)) == 1
    assert all(not k.startswith(".") for k in snapshot(local.storage))
    assert [i.key.split("/")[0] for i in local.storage.list()].count("attachments") == 0


def test_the_api_keeps_its_1_mib_limit_under_the_raised_part_limit(local: System) -> None:
    token, _ = open_case()
    conn = http.client.HTTPConnection("127.0.0.1", local.port, timeout=10)
    try:
        body = b'{"files": "' + b"A" * (2 * MIB) + b'"}'
        headers = {"Content-Type": "application/json", "Authorization": bearer(token)}
        conn.request("POST", "/api/uploads", body=body, headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    assert (response.status, answer["error"]) == (413, "too_large")


# --- the local sweep --------------------------------------------------------------------------


def test_sweep_removes_ended_uploads_and_nothing_else(local: System) -> None:
    # Given an upload from yesterday, one from now, and a completed file
    token, _case = open_case()
    (old,) = grant(token, [(FILE_ID, SMALL)]).body["files"]
    send_all(local, old, os.urandom(SMALL))
    local.clock.now += timedelta(days=1, minutes=1)
    (new,) = grant(token, [(OTHER_ID, SMALL)]).body["files"]  # a grant sweeps, too
    done_id = "1111111111111111"
    data = os.urandom(SMALL)
    (done,) = grant(token, [(done_id, SMALL)]).body["files"]
    assert complete(token, done, send_all(local, done, data)).status == 201
    backend = local.uploads.backend
    assert isinstance(backend, LocalUploads)
    before = snapshot(local.storage)
    # When the sweep runs (a grant runs it too: the old upload is already gone)
    removed = backend.sweep(local.clock.now)
    # Then only the ended upload's folder is gone; storage and the live upload are untouched
    assert removed == 0 and old["upload"] != new["upload"]
    assert sorted(p.name for p in backend.area.iterdir()) == [new["upload"]]
    assert snapshot(local.storage) == before
    assert complete(token, new, send_all(local, new, data)).status == 201
    # And a day later the sweep removes what is left open, and nothing else
    assert grant(token, [("2222222222222222", SMALL)]).status == 201
    local.clock.now += timedelta(days=2)
    after = snapshot(local.storage)
    assert backend.sweep(local.clock.now) == 1
    assert list(backend.area.iterdir()) == []
    assert snapshot(local.storage) == after


# --- S3: what moto cannot check, shown otherwise ----------------------------------------------


def signature_holds(url: str, length: int, path: str | None = None) -> bool:
    """Recompute the URL's SigV4 signature as S3 does for a PUT of ``length`` bytes (to
    ``path`` instead of the URL's own, if given) and compare it with the one it carries."""
    full = urlsplit(bucket_url(url))
    pairs = parse_qsl(full.query, keep_blank_values=True)
    fields = dict(pairs)
    unsigned = urlencode([(k, v) for k, v in pairs if k != "X-Amz-Signature"])
    request = AWSRequest(
        method="PUT",
        url=f"{full.scheme}://{full.netloc}{path or full.path}?{unsigned}",
        headers={"Content-Length": str(length)},
    )
    request.context["timestamp"] = fields["X-Amz-Date"]
    credentials = boto3.Session().get_credentials()
    auth = S3SigV4QueryAuth(credentials, "s3", REGION, expires=int(fields["X-Amz-Expires"]))
    computed = auth.signature(
        auth.string_to_sign(request, auth.canonical_request(request)), request
    )
    return bool(computed == fields["X-Amz-Signature"])


def test_s3_part_urls_sign_the_exact_length_and_the_key(s3: System) -> None:
    # Given a grant on S3
    token, case = open_case()
    _, other = open_case()
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    for part in file["parts"]:
        query = dict(parse_qsl(urlsplit(part["url"]).query))
        # Then each URL is SigV4 with content-length among its signed headers
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        assert query["X-Amz-SignedHeaders"] == "content-length;host"
        assert query["partNumber"] == str(part["number"])
        assert int(query["X-Amz-Expires"]) <= LIMITS.grant_seconds
        # And its signature holds for exactly the granted length, and no other
        assert signature_holds(part["url"], part["size"])
        assert not signature_holds(part["url"], part["size"] + 1)
        assert not signature_holds(part["url"], part["size"] - 1)
        # And for the granted key only: not another case's, not outside attachments/
        for path in (
            f"/wbs/prod/attachments/{other}/{FILE_ID}",
            f"/wbs/prod/attachments/{case}/{OTHER_ID}",
            f"/wbs/prod/reports/{case}.json",
        ):
            assert not signature_holds(part["url"], part["size"], path)


def test_s3_a_part_of_the_wrong_size_is_refused_at_completion(s3: System) -> None:
    # Given parts sent with one byte too many (S3 refuses them by signature; moto takes them)
    token, _case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etags = send_all(s3, file, data)
    last = file["parts"][-1]
    etags[-1] = s3.send(last["url"], data[2 * PART :] + b"!").headers["ETag"]
    # When the file is completed with it
    answer = complete(token, file, etags)
    # Then the parts are checked against the grant, and nothing is written
    assert_error(answer, 400, "bad_parts")
    assert list(s3.storage.list("attachments/")) == []


def test_s3_completion_is_create_only_in_the_store_itself(s3: System) -> None:
    # Given a granted upload whose object appears by another way before completion
    token, case = open_case()
    data = os.urandom(SIZE)
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    etags = send_all(s3, file, data)
    key = f"attachments/{case}/{FILE_ID}"
    s3.storage.put_new(key, b"first")
    # When the backend completes it without the API's own check
    parts = plan(SIZE, PART)
    with pytest.raises(AlreadyExists):
        s3.uploads.backend.complete(key, file["upload"], parts, etags)
    # Then S3 (moto honours If-None-Match on CompleteMultipartUpload) kept the first object
    assert s3.storage.get(key) == b"first"


def test_s3_incomplete_uploads_are_not_listed(s3: System) -> None:
    token, _ = open_case()
    (file,) = grant(token, [(FILE_ID, SIZE)]).body["files"]
    send_all(s3, {"parts": file["parts"][:1]}, os.urandom(PART))
    assert list(s3.storage.list("attachments/")) == []


# --- the host's secret ------------------------------------------------------------------------


def test_the_upload_secret_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = load_secret(None, home)
    assert load_secret(None, home) == first and len(first) == 32
    assert (home / "upload-secret").stat().st_mode & 0o777 == 0o600
    assert load_secret("x" * 40, home) == b"x" * 40
    with pytest.raises(ValueError, match="at least"):
        load_secret("short", home)
    assert load_secret(None, None) != load_secret(None, None)


def test_a_grant_from_another_host_secret_is_refused(tmp_path: Path) -> None:
    clock = Clock()
    root = tmp_path / "storage"
    ours = LocalUploads(root, b"a" * 32, clock)
    theirs = LocalUploads(root, b"b" * 32, clock)
    key = f"attachments/{FILE_ID}/{OTHER_ID}"
    upload = ours.start(key, SMALL, PART, START + timedelta(days=1))
    (url,) = theirs.urls(key, upload, plan(SMALL, PART), START, START + timedelta(hours=1))
    path, _, query = url.partition("?")
    with pytest.raises(UploadError) as caught:
        ours.receive(path, query, str(SMALL), io.BytesIO(os.urandom(SMALL)))
    assert caught.value.code == "bad_grant"
    assert [p.name for p in (ours.area / upload).iterdir()] == ["grant.json"]


def test_the_served_host_sweeps_ended_uploads_and_survives_disk_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an upload area whose first sweep hits a disk error
    calls: list[datetime] = []

    class Area:
        def sweep(self, now: datetime) -> int:
            calls.append(now)
            if len(calls) == 1:
                raise OSError("disk full")
            return 0

    class Stop(Exception):
        pass

    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise Stop

    monkeypatch.setattr(host.time, "sleep", nap)
    # When the host's sweeper runs
    with pytest.raises(Stop):
        host.sweep_forever(Area(), every=7)  # type: ignore[arg-type]
    # Then it swept, kept going after the error, and waited between sweeps
    assert len(calls) == 2 and naps == [7, 7]
