"""The per-case limits under concurrency (docs/spec/upload-v1.md §3.1, docs/spec/mailbox-v1.md
§6): ten grant requests, or ten follow-ups, sent at the same moment to one case, as ten Lambda
instances would take them, against storage that answers every call after 20 to 50 ms, as S3
does, so that a check and the write after it are far apart. On a local folder and on S3
(moto); the limits are set low so that most requests must be refused.

After every thread has its answer, each limit holds, every accepted request's objects exist,
and every refusal is a 4xx with a JSON reason."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws
from moto.core.models import botocore_stubber

from functions import app as api
from functions import mailbox, mailbox_token
from functions.attachment_size import stored_size
from functions.storage import LocalStorage, S3Storage, Storage, layout
from functions.uploads import Limits, LocalUploads, S3Uploads, Uploads
from functions.uploads.grants import MIB
from tests.support.api import (
    bearer,
    envelope_json,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from tests.support.faults import Slow
from tests.support.parallel import per_thread_requests, together

INSPECTOR = identity(1)
REPORTER = identity(3)
REQUESTS = 10
BUCKET = "wbs-test-limits"
REGION = "ap-southeast-3"
PART = 5 * MIB


def size(kib: int) -> int:
    """The stored size of an evidence file of ``kib`` KiB in 1 KiB chunks."""
    return stored_size(kib * 1024, 1024)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


@dataclass
class World:
    storage: Storage  # the store itself, without the delays
    limits: Limits

    def call(self, path: str, body: str, token: bytes) -> Answer:
        event = post_event(body, authorization=bearer(token), path=path)
        response = api.lambda_handler(event, LambdaContext())
        return Answer(response["statusCode"], json.loads(response["body"]))

    def open_case(self) -> tuple[bytes, str]:
        token = new_token()
        report = sealed(b"report", [INSPECTOR.public_key], mailbox_token.report_id(token))
        assert self.call("/api/reports", envelope_json(report), token).status == 201
        return token, report.id

    def configure(self, slow: Storage, uploads: Uploads, keyring: Path) -> None:
        api.configure(storage=slow, keyring_path=keyring, uploads=uploads)


# --- the two stores, behind the same delays -----------------------------------------------


def _local(tmp_path: Path, limits: Limits) -> Iterator[World]:
    store = LocalStorage(tmp_path / "storage")
    slow = Slow(store)
    backend = LocalUploads(store.root, b"limits-race-grant-secret-0123456789")
    world = World(store, limits)
    world.configure(slow, Uploads(slow, backend, limits), _keyring(tmp_path))
    yield world


# moto checks If-None-Match and then stores, two steps that a thread switch can split; S3 does
# both at once. moto serves the clients below one request at a time, as S3 applies a
# conditional write; the delays, outside it, still let requests overlap.
MOTO = threading.Lock()


def _one_at_a_time(client: Any) -> Any:
    def send(request: Any, event_name: str, **kwargs: Any) -> Any:
        with MOTO:
            return botocore_stubber(event_name, request, **kwargs)

    client.meta.events.unregister("before-send", botocore_stubber)
    client.meta.events.register("before-send", send)
    return client


def _s3(tmp_path: Path, limits: Limits, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        store = S3Storage(BUCKET, "wbs", client=_one_at_a_time(boto3.client("s3")))
        slow = Slow(store)
        backend = S3Uploads(BUCKET, store.prefix, _one_at_a_time(boto3.client("s3")))
        world = World(store, limits)
        world.configure(slow, Uploads(slow, backend, limits), _keyring(tmp_path))
        yield world


def _keyring(tmp_path: Path) -> Path:
    return write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])


@contextlib.contextmanager
def world_of(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limits: Limits
) -> Iterator[World]:
    per_thread_requests(monkeypatch)
    worlds = _local(tmp_path, limits) if kind == "local" else _s3(tmp_path, limits, monkeypatch)
    try:
        yield next(worlds)
    finally:
        worlds.close()
        api.configure()


STORES = pytest.mark.parametrize("kind", ["local", "s3"])


# --- grants --------------------------------------------------------------------------------


def file_id(n: int) -> str:
    return f"{n:016X}".replace("I", "J")


def grant_body(files: list[tuple[str, int]]) -> str:
    return json.dumps({"files": [{"id": i, "size": s} for i, s in files]})


def records(storage: Storage, case: str) -> dict[str, dict[str, Any]]:
    """The grant records of a case, by file id."""
    prefix = layout.upload_records(case)
    found = {}
    for info in storage.list(prefix):
        name = info.key.removeprefix(prefix)
        if "/" not in name:
            found[name.removesuffix(".json")] = json.loads(storage.get(info.key))
    return found


# (max files, max case bytes, the files of each of the ten requests)
SCENARIOS = {
    "files": (3, 10**9, [[size(1)] for _ in range(REQUESTS)]),
    "bytes": (20, size(300) * 2 + size(100), [[size(100 * (1 + n % 3))] for n in range(REQUESTS)]),
    "two files a request": (5, 10**9, [[size(1), size(2)] for _ in range(REQUESTS)]),
}


@STORES
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_ten_grant_requests_at_once_keep_the_limits(
    kind: str, scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    max_files, max_bytes, sizes = SCENARIOS[scenario]
    limits = Limits(part_bytes=PART, max_files=max_files, max_case_bytes=max_bytes)
    with world_of(kind, tmp_path, monkeypatch, limits) as world:
        # Given a case, and ten grant requests for files of their own
        token, case = world.open_case()
        asked = [
            [(file_id(100 * n + k), s) for k, s in enumerate(files)]
            for n, files in enumerate(sizes)
        ]
        # When all ten are sent at the same moment
        answers = together(
            [lambda f=f: world.call("/api/uploads", grant_body(f), token) for f in asked]
        )
        # Then every answer is a grant or a refusal that names the limit
        granted = [f for f, a in zip(asked, answers, strict=True) if a.status == 201]
        for answer in answers:
            assert answer.status == 201 or (
                answer.status == 403
                and answer.body["error"] in ("too_many_files", "too_many_bytes")
                and answer.body["message"]
            ), answer
        # and every granted file has its record, of its size and with the upload it was given
        stored = records(world.storage, case)
        for files, answer in zip(asked, answers, strict=True):
            if answer.status == 201:
                for (fid, fsize), given in zip(files, answer.body["files"], strict=True):
                    assert stored[fid]["size"] == fsize
                    assert stored[fid]["upload"] == given["upload"]
        # and nothing else was granted: the limits hold
        assert sorted(stored) == sorted(fid for files in granted for fid, _ in files)
        assert 1 <= len(stored) <= max_files
        assert sum(r["size"] for r in stored.values()) <= max_bytes


@STORES
def test_the_same_grant_request_ten_times_at_once_is_one_grant(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = Limits(part_bytes=PART, max_files=3, max_case_bytes=10**9)
    with world_of(kind, tmp_path, monkeypatch, limits) as world:
        # Given a case, and one grant request sent ten times at once (a page's retries)
        token, case = world.open_case()
        body = grant_body([(file_id(1), size(1))])
        answers = together([lambda: world.call("/api/uploads", body, token)] * REQUESTS)
        # Then each answer is that grant, with the one upload stored in its record
        (record,) = records(world.storage, case).values()
        assert {(a.status, a.body["files"][0]["upload"]) for a in answers} == {
            (201, record["upload"])
        }
        # and the case still has room for the rest of its files
        rest = [(file_id(n), size(1)) for n in (2, 3)]
        assert world.call("/api/uploads", grant_body(rest), token).status == 201


# --- follow-ups ----------------------------------------------------------------------------

MOST_FOLLOWUPS = 3


def reporter_messages(storage: Storage, case: str) -> list[str]:
    return [k for k in mailbox.keys(storage, case) if layout.sender(k) == "reporter"]


def followup(case: str) -> str:
    pks = [INSPECTOR.public_key, REPORTER.public_key]
    return envelope_json(sealed(b"follow-up", pks, case, "followup"))


@STORES
def test_ten_followups_at_once_keep_the_cap(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailbox, "MAX_REPORTER_MESSAGES", MOST_FOLLOWUPS)
    with world_of(kind, tmp_path, monkeypatch, Limits(part_bytes=PART)) as world:
        # Given a case whose mailbox takes three follow-ups, and ten sent at the same moment
        token, case = world.open_case()
        bodies = [followup(case) for _ in range(REQUESTS)]
        answers = together([lambda b=b: world.call("/api/mailbox", b, token) for b in bodies])
        # Then each is stored or refused as a full mailbox
        accepted = [a for a in answers if a.status == 201]
        for answer in answers:
            assert answer.status == 201 or (
                answer.status == 403 and answer.body["error"] == "mailbox_full"
            ), answer
        # and the mailbox holds exactly the accepted ones, no more than three
        stored = reporter_messages(world.storage, case)
        assert 1 <= len(stored) == len(accepted) <= MOST_FOLLOWUPS
        envelopes = {
            json.dumps(mailbox.parse(k, world.storage.get(k)).envelope.to_json()) for k in stored
        }
        posted = {
            json.dumps(json.loads(b))
            for b, a in zip(bodies, answers, strict=True)
            if a.status == 201
        }
        assert envelopes == posted


@STORES
def test_the_same_followup_ten_times_at_once_is_stored_once(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailbox, "MAX_REPORTER_MESSAGES", MOST_FOLLOWUPS)
    with world_of(kind, tmp_path, monkeypatch, Limits(part_bytes=PART)) as world:
        # Given a case, and one follow-up sent ten times at once (a page's retries)
        token, case = world.open_case()
        body = followup(case)
        answers = together([lambda: world.call("/api/mailbox", body, token)] * REQUESTS)
        # Then every answer is the one stored message
        assert len({(a.status, a.body["sent"]) for a in answers}) == 1
        assert answers[0].status == 201
        assert len(reporter_messages(world.storage, case)) == 1
        # and it took one place of three: two more follow-ups fit
        assert [world.call("/api/mailbox", followup(case), token).status for _ in range(3)] == [
            201,
            201,
            403,
        ]
