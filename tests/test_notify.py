"""The notices of a new report and of a reporter's follow-up (functions/notify/), through the
API as Lambda calls it.

SNS and an SQS queue subscribed to the topic run in moto: what the queue receives is what
an inspector's mailbox would. The message is fixed, a failure to publish never costs the
reporter the stored report, and without WBS_NOTIFY_TOPIC nothing is published."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from functions import app as api
from functions import mailbox_token, notify
from functions.storage import LocalStorage
from tests.support.api import (
    api_logs,
    bearer,
    envelope_json,
    identity,
    new_token,
    post_event,
    sealed,
)

REGION = "ap-southeast-3"
INSPECTOR = identity(1)
REPORTER = identity(3)  # in real life derived from the receipt code


class Sns(NamedTuple):
    topic: str
    received: Any  # () -> list of the SNS envelopes the subscribed queue got


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sns]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    notify.sns_client.cache_clear()
    with mock_aws():
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="wbs")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="inspectors")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
        )

        def received() -> list[dict[str, Any]]:
            answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

        yield Sns(topic, received)
    notify.sns_client.cache_clear()


def submit(token: bytes, body: str | None = None) -> int:
    """POST a report (``body``, or a fresh one) with ``token``; the answer's status."""
    if body is None:
        body = envelope_json(
            sealed(b"laporan", [INSPECTOR.public_key], mailbox_token.report_id(token))
        )
    event = post_event(body, authorization=bearer(token))
    return int(api.lambda_handler(event, LambdaContext())["statusCode"])


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_stored_report_publishes_the_fixed_message_once(
    store: LocalStorage, sns: Sns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment with a topic
    monkeypatch.setenv(notify.TOPIC_VARIABLE, sns.topic)
    token = new_token()
    body = envelope_json(sealed(b"laporan", [INSPECTOR.public_key], mailbox_token.report_id(token)))
    # When a report is sent, and sent again because its answer was lost on the way back
    assert [submit(token, body), submit(token, body)] == [201, 201]
    # Then the report is stored once and the inspectors got exactly one message: the fixed
    # one, which names neither the case nor anything about it
    report_id = mailbox_token.report_id(token)
    assert [i.key for i in store.list("reports/")] == [f"reports/{report_id}.json"]
    messages = sns.received()
    assert [(m["Subject"], m["Message"]) for m in messages] == [
        (notify.NEW_REPORT.subject, notify.NEW_REPORT.text)
    ]
    assert report_id not in json.dumps(messages)


def test_a_followup_publishes_its_own_fixed_message_once(
    store: LocalStorage, sns: Sns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment with a topic, and a stored report
    monkeypatch.setenv(notify.TOPIC_VARIABLE, sns.topic)
    token = new_token()
    report_id = mailbox_token.report_id(token)
    assert submit(token) == 201
    # When its reporter writes again, and the follow-up is sent twice (a retry)
    keys = [INSPECTOR.public_key, REPORTER.public_key]
    body = envelope_json(sealed(b"CANARY-tambahan", keys, report_id, "followup"))
    event = post_event(body, authorization=bearer(token), path="/api/mailbox")
    answers = [api.lambda_handler(event, LambdaContext())["statusCode"] for _ in range(2)]
    # Then the follow-up is stored once, and the topic got the new-report message and one
    # "a reporter wrote again", neither naming the case
    assert answers == [201, 201]
    messages = sns.received()
    assert [(m["Subject"], m["Message"]) for m in messages] == [
        (n.subject, n.text) for n in (notify.NEW_REPORT, notify.REPORTER_WROTE)
    ]
    assert report_id not in json.dumps(messages) and "CANARY" not in json.dumps(messages)


def test_every_new_report_is_announced(
    store: LocalStorage, sns: Sns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment with a topic
    monkeypatch.setenv(notify.TOPIC_VARIABLE, sns.topic)
    # When two reporters send a report each
    assert [submit(new_token()), submit(new_token())] == [201, 201]
    # Then there are two identical messages
    assert [m["Message"] for m in sns.received()] == [notify.NEW_REPORT.text] * 2


def test_without_a_topic_nothing_is_published(
    store: LocalStorage, sns: Sns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no WBS_NOTIFY_TOPIC (the local host, or a deployment without notification)
    monkeypatch.delenv(notify.TOPIC_VARIABLE, raising=False)
    # When a report is sent
    assert submit(new_token()) == 201
    # Then the report is stored, nothing reached the topic and no SNS client was even made
    assert len(list(store.list("reports/"))) == 1
    assert sns.received() == []
    assert notify.sns_client.cache_info().currsize == 0


@pytest.mark.parametrize("failure", ["no such topic", "no region"])
def test_a_failed_publish_still_answers_201_and_keeps_the_report(
    store: LocalStorage, sns: Sns, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    # Given a topic SNS refuses (deleted), or no region to find SNS in at all
    if failure == "no such topic":
        missing = sns.topic.replace(":wbs", ":deleted-topic")
        monkeypatch.setenv(notify.TOPIC_VARIABLE, missing)
        expected = "NotFound"
    else:
        monkeypatch.setenv(notify.TOPIC_VARIABLE, sns.topic)
        monkeypatch.delenv("AWS_DEFAULT_REGION")
        monkeypatch.delenv("AWS_REGION", raising=False)
        expected = "NoRegionError"
    token = new_token()
    # When a report is sent
    with api_logs() as stream:
        status = submit(token)
    # Then the reporter gets 201, the report is stored, nothing was published, and one
    # warning names the kind of failure and nothing else (no topic, no account, no case)
    assert status == 201
    assert [i.key for i in store.list("reports/")] == [
        f"reports/{mailbox_token.report_id(token)}.json"
    ]
    assert sns.received() == []
    lines = log_lines(stream)
    warnings = [line for line in lines if line["level"] == "WARNING"]
    assert [(w["message"], w["notify_error"]) for w in warnings] == [
        ("notification not sent", expected)
    ]
    assert [line["message"] for line in lines] == ["notification not sent", "request"]
    assert "arn:" not in stream.getvalue()
    assert mailbox_token.report_id(token) not in stream.getvalue()


@pytest.mark.parametrize(
    ("notice", "words"),
    [
        (notify.NEW_REPORT, ("Laporan baru", "A new report")),
        (notify.REPORTER_WROTE, ("pesan baru", "new message")),
    ],
)
def test_each_notice_is_the_same_text_in_both_languages(
    notice: notify.Notice, words: tuple[str, str]
) -> None:
    # A notice carries nothing variable: no digits (ids, registration numbers, sizes, times),
    # and it tells inspectors in Indonesian and in English what to run.
    assert not any(ch.isdigit() for ch in notice.subject + notice.text)
    indonesian, english = notice.text.split("\n\n")
    assert words[0] in indonesian and words[1] in english
    assert all("wbs inbox sync" in part for part in (indonesian, english))
