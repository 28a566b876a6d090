"""Notices through the deployment's SNS topic (infra/template.yaml's ``Topic``): its
subscribers (the confirmed ``notify_email``, or whatever the admin subscribed) get them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from functions.notify.base import Notice

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

TOPIC_VARIABLE = "WBS_NOTIFY_TOPIC"
# Short timeouts and one retry: the reporter is waiting for the answer to a stored report.
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}
)


@cache
def sns_client() -> SNSClient:
    """Made on first use (region and credentials as boto3 finds them: on Lambda, the
    function's), then kept for the warm function's later requests."""
    return boto3.client("sns", config=CLIENT_CONFIG)


class SnsNotifier:
    kind = "sns"

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def __repr__(self) -> str:
        return "SnsNotifier(...)"  # the topic's ARN names the account

    def send(self, notice: Notice) -> None:
        sns_client().publish(TopicArn=self.topic, Subject=notice.subject, Message=notice.text)
