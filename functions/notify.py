"""Tell the inspectorate that a new report arrived, and nothing more.

After a report is stored, ``new_report`` publishes one fixed, bilingual message to the SNS
topic named by ``WBS_NOTIFY_TOPIC`` (the deployment's topic, infra/template.yaml); without
that variable it does nothing, as on the local host. The message holds no report id, size
or time: SNS's own delivery time is all a mailbox learns, and inspectors fetch the report
with ``wbs inbox sync``. A notification is a courtesy: a failure to publish is logged by its
kind alone and never fails, delays much or undoes the stored report.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from functions.log import logger

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

TOPIC_VARIABLE = "WBS_NOTIFY_TOPIC"
SUBJECT = "WBS: laporan baru / new report"
MESSAGE = (
    "Laporan baru telah diterima oleh Whistle Blowing System. "
    "Ambil dan baca di komputer Anda dengan: wbs inbox sync\n"
    "\n"
    "A new report has arrived in the Whistle Blowing System. "
    "Fetch and read it on your own computer with: wbs inbox sync\n"
)
# Short timeouts and one retry: the reporter is waiting for the answer to a stored report.
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}
)


@cache
def sns_client() -> SNSClient:
    """Made on first use (region and credentials as boto3 finds them: on Lambda, the
    function's), then kept for the warm function's later requests."""
    return boto3.client("sns", config=CLIENT_CONFIG)


def new_report() -> bool:
    """Publish the fixed message if a topic is configured; True if SNS took it."""
    topic = os.environ.get(TOPIC_VARIABLE, "")
    if not topic:
        return False
    try:
        sns_client().publish(TopicArn=topic, Subject=SUBJECT, Message=MESSAGE)
    # Whatever goes wrong here (SNS, the network, credentials, a bug), the report is already
    # stored and its reporter must get the 201; so nothing may escape. Only the kind of
    # failure is logged: an exception's text could name the topic or the account.
    except Exception as exc:  # noqa: BLE001
        reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        logger.warning("notification not sent", notify_error=reason)
        return False
    return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or "ClientError"
