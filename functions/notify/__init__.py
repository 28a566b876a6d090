"""Tell the inspectorate that a reporter wrote (a new report, or a follow-up to one), and
nothing more.

After the API has stored a report or a follow-up, it hands one of the fixed, bilingual
notices of ``base.py`` to the deployment's notifier: the SNS topic named by
``WBS_NOTIFY_TOPIC`` on AWS (``sns.py``; infra/template.yaml), or the institution's mail
server named by ``WBS_SMTP_HOST`` on a self-host (``smtp.py``, sent on a thread of its own:
``background.py``). With neither, nothing is sent, as on the local host. A notice holds no
report id, registration number, size or time: the transport's own delivery time is all a
mailbox learns, and inspectors fetch the case with ``wbs inbox sync``. A notification is a
courtesy: a failure is logged by its kind alone and never fails, delays much or undoes what
was stored.
"""

from __future__ import annotations

from collections.abc import Mapping

from functions.log import logger
from functions.notify.base import NEW_REPORT, REPORTER_WROTE, Notice, Notifier, failure_kind
from functions.notify.smtp import HOST_VARIABLE, SmtpNotifier
from functions.notify.sns import TOPIC_VARIABLE, SnsNotifier, sns_client

__all__ = [
    "NEW_REPORT",
    "REPORTER_WROTE",
    "TOPIC_VARIABLE",
    "Notice",
    "Notifier",
    "SmtpNotifier",
    "SnsNotifier",
    "deliver",
    "from_env",
    "sns_client",
]


def from_env(env: Mapping[str, str]) -> Notifier | None:
    """The notifier the environment names: SMTP (``WBS_SMTP_HOST``), SNS
    (``WBS_NOTIFY_TOPIC``) or none; ValueError for a bad setting, or for both at once."""
    smtp = SmtpNotifier.from_env(env)
    topic = (env.get(TOPIC_VARIABLE) or "").strip()
    if smtp is not None and topic:
        raise ValueError(
            f"{HOST_VARIABLE} and {TOPIC_VARIABLE} are both set: notices go one way, so set one"
        )
    if smtp is not None:
        return smtp
    return SnsNotifier(topic) if topic else None


def deliver(notifier: Notifier | None, notice: Notice) -> bool:
    """Send ``notice`` if there is a notifier; True if it was sent (or queued to be).

    Whatever goes wrong (the service, the network, credentials, a bug), what the notice is
    about is already stored and its reporter must get the answer: nothing may escape. Only
    the kind of failure is logged, since an exception's text could name the topic, the
    account, the mail server or an address."""
    if notifier is None:
        return False
    try:
        notifier.send(notice)
    except Exception as exc:  # noqa: BLE001
        logger.warning("notification not sent", notify_error=failure_kind(exc))
        return False
    return True
