"""A missing mailbox on AWS answers as on the local host (issue 16, item 2).

S3 answers a read of a missing key 403 AccessDenied, not 404, to a caller it does not count
as allowed to list that key; the functions' role lists exactly the prefixes it reads
(infra/template.yaml, checked by tests/infra/test_template.py), and the storage does not
rest on how S3 weighs that grant: a 403 on a read is followed by a listing of the one key
(functions/storage/s3.py). moto enforces no IAM, so S3's own 403 answer is injected into
the reads (tests/support/faults.py, through botocore's parser) while moto answers the rest:

- the key is not listed: the reporter's wrong receipt code gets the local host's very 404;
- the key is listed, or the listing is refused too: a real permission error, answered 503
  and logged for the admin by its kind alone (no key, no report id).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from functions import app as api
from functions import mailbox_token
from functions.storage import LocalStorage, S3Storage, Storage, layout
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
from tests.support.faults import S3Faults

BUCKET = "wbs-data-test"
REGION = "ap-southeast-3"
INSPECTOR = identity(1)


class Answer(NamedTuple):
    status: int
    body: dict[str, Any]


def read_mailbox(token: bytes) -> Answer:
    response = api.lambda_handler(get_event("/api/mailbox", bearer(token)), LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]))


def open_case() -> tuple[bytes, str]:
    token = new_token()
    case = mailbox_token.report_id(token)
    report = envelope_json(sealed(b"laporan", [INSPECTOR.public_key], case))
    event = post_event(report, authorization=bearer(token))
    response = api.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 201, response
    return token, case


def serve(storage: Storage, keyring: Path) -> None:
    api.configure(storage=storage, keyring_path=keyring)


@pytest.fixture
def keyring(tmp_path: Path) -> Path:
    return write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])


@pytest.fixture
def local_answer(tmp_path: Path, keyring: Path) -> Iterator[Answer]:
    """What the local host answers for a receipt code of no report."""
    serve(LocalStorage(tmp_path / "storage"), keyring)
    yield read_mailbox(new_token())
    api.configure()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, keyring: Path) -> Iterator[S3Faults]:
    """The API on moto's S3 as on Lambda (no endpoint, no prefix), S3's answers injectable."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("WBS_POW_DIFFICULTY", "0")
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        storage = S3Storage(BUCKET)  # the production client: its config and addressing
        faults = S3Faults()
        faults.attach(storage._client.meta.events)
        serve(storage, keyring)
        yield faults
        api.configure()


def test_a_missing_mailbox_read_refused_403_answers_the_local_hosts_404(
    local_answer: Answer, s3: S3Faults
) -> None:
    # Given S3 refusing the read of the mailbox's verifier (403 AccessDenied), as it does for
    # a missing key when it does not count the role as allowed to list it
    token = new_token()
    verifier = layout.verifier(mailbox_token.report_id(token))
    s3.inject("access_denied", "GetObject", verifier)
    # When the reporter reads the mailbox with a receipt code of no report
    with api_logs() as logs:
        answer = read_mailbox(token)
    # Then S3 did refuse the read, the storage listed that one key and found nothing
    assert s3.failed == [("access_denied", "GetObject", verifier)]
    assert ("ListObjectsV2", "") in s3.seen  # a listing names the bucket, not a key
    # And the answer is the local host's, word for word: "wrong code", not "try again"
    assert answer == local_answer
    assert answer.status == 404
    # And nothing was logged as a failure
    assert "storage refused access" not in logs.getvalue()


def test_a_refused_read_of_a_stored_mailbox_is_503_and_told_to_the_admin(
    local_answer: Answer, s3: S3Faults
) -> None:
    # Given a stored case, and the role missing its read of mailboxes/ (S3: 403)
    token, case = open_case()
    assert read_mailbox(token).status == 200
    s3.inject("access_denied", "GetObject", layout.mailbox(case), times=10)
    # When the reporter reads the mailbox with the right code
    with api_logs() as logs:
        answer = read_mailbox(token)
    # Then the reporter is told to try again, not that the code is wrong
    assert answer.status == 503
    assert answer.body["error"] == "storage_unavailable"
    # And the admin sees the refusal in the log, by its kind alone
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert {"message": "storage refused access", "error_type": "Denied"}.items() <= lines[0].items()
    assert case not in logs.getvalue()
    assert bearer(token) not in logs.getvalue()


def test_a_refused_read_and_a_refused_listing_are_503_not_a_wrong_code(
    s3: S3Faults,
) -> None:
    # Given a role that may neither read nor list mailboxes/ (both 403)
    token = new_token()
    s3.inject("access_denied", "GetObject", "mailboxes/", times=10)
    s3.inject("access_denied", "ListObjectsV2", "", times=10)
    # When a reporter reads a mailbox
    with api_logs() as logs:
        answer = read_mailbox(token)
    # Then nothing says the code is wrong: the store could not tell, the admin is told
    assert (answer.status, answer.body["error"]) == (503, "storage_unavailable")
    assert "storage refused access" in logs.getvalue()
    assert mailbox_token.report_id(token) not in logs.getvalue()
