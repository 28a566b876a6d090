"""What ``deployment.object_lock`` means, as ``wbs deploy`` says it (docs/aws.md, "Object
Lock"): the template's parameters, the ``WBS_OBJECT_LOCK`` every writer is given, and the
sentences an admin reads before the stack is created with it."""

from __future__ import annotations

from functions.storage.lock import VARIABLE, Mode, ObjectLock
from wbs.config import Deployment

__all__ = ["VARIABLE", "lock", "notice", "parameter"]


def lock(d: Deployment) -> ObjectLock | None:
    """The retention each object gets under ``d``; None when ``object_lock = "off"``."""
    if d.object_lock == "off":
        return None
    mode: Mode = "COMPLIANCE" if d.object_lock == "compliance" else "GOVERNANCE"
    return ObjectLock(mode, d.object_lock_days)


def parameter(d: Deployment) -> str:
    """The template's ObjectLockMode: ``""``, ``GOVERNANCE`` or ``COMPLIANCE``."""
    chosen = lock(d)
    return "" if chosen is None else chosen.mode


def notice(d: Deployment) -> str:
    """What the setting keeps and blocks, in a few sentences."""
    chosen = lock(d)
    if chosen is None:
        return (
            "Object Lock: off. An admin of the account can delete any report (deployment."
            "object_lock; it can be turned on only when the stack is created: docs/aws.md)."
        )
    kept = (
        f"Object Lock: {d.object_lock}, {chosen.days} days. Every report, message, evidence"
        f" file, note and grant is kept for {chosen.days} days from its writing, each version"
        " of it, even after a deletion, and paid for as storage that long."
    )
    if chosen.mode == "COMPLIANCE":
        blocks = (
            " Nobody can delete one before its retention ends, not even the account's root"
            " user, and it cannot be shortened; only closing the AWS account ends it."
        )
    else:
        blocks = (
            " Only a principal allowed s3:BypassGovernanceRetention, asking for the bypass,"
            " can delete one before; the account's administrators can allow themselves that."
        )
    return (
        kept + blocks + " The lock is turned on when the stack is created, and cannot be turned off"
        ' (docs/aws.md, "Object Lock").'
    )
