"""The CloudFormation stack: its state, a change set that shows what will change, its
execution with progress, and the reason of a failure.

Every change goes through a change set, so the admin sees the plan before anything changes;
an empty change set (CloudFormation answers FAILED, "didn't contain changes") is deleted and
means there is nothing to deploy. A failed creation or update is rolled back by
CloudFormation itself (the change set is executed with rollback on); this module waits for
the rollback to end and reports the first resource that failed, with CloudFormation's reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from functions.errors import WbsError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

# A stack in one of these can take a change set.
UPDATABLE = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)
# A stack made by a CREATE change set that was never executed: it takes a CREATE change set.
REVIEW = "REVIEW_IN_PROGRESS"
SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
EMPTY_REASONS = ("didn't contain changes", "No updates are to be performed")
# Failures caused by another resource's failure: not the reason to show.
CASCADE_REASONS = ("Resource creation cancelled", "Resource update cancelled")
# The template makes a role and managed policies (one a desk), with generated names
# (docs/aws.md).
CAPABILITIES = ["CAPABILITY_IAM"]
POLL_SECONDS = 5.0
SETTLE_POLLS = 3
Kind = Literal["CREATE", "UPDATE"]


class StackError(WbsError, RuntimeError):
    """The stack cannot be changed now, or its change failed (and was rolled back)."""


@dataclass(frozen=True)
class Change:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True | False | Conditional | "" (not a Modify)


@dataclass(frozen=True)
class ChangeSet:
    id: str
    stack_name: str
    creates: bool  # a CREATE change set: declining it leaves a stack to delete
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Event:
    id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str


def status(cf: CloudFormationClient, name: str) -> str | None:
    """The stack's status; None if there is no such stack (or it was deleted)."""
    try:
        stacks = cf.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if _code(exc) == "ValidationError" and "does not exist" in str(exc):
            return None
        raise
    return stacks[0]["StackStatus"] if stacks else None


def change_type(name: str, region: str, current: str | None) -> Kind:
    """CREATE or UPDATE, or a StackError that says what to do about the stack's state."""
    if current is None or current == REVIEW:
        return "CREATE"
    if current in UPDATABLE:
        return "UPDATE"
    where = f"--stack-name {name} --region {region}"
    if current == "ROLLBACK_COMPLETE" or current == "ROLLBACK_FAILED":
        raise StackError(
            f"stack {name} is {current}: its creation failed, and such a stack cannot be updated",
            hint=f"delete it (aws cloudformation delete-stack {where}), then run wbs deploy again",
        )
    if current == "UPDATE_ROLLBACK_FAILED":
        raise StackError(
            f"stack {name} is {current}: a rollback could not finish",
            hint=f"aws cloudformation continue-update-rollback {where}, then wbs deploy again",
        )
    if current.endswith("_IN_PROGRESS"):
        raise StackError(
            f"stack {name} is {current}: another change is under way",
            hint="wait for it to end (AWS console, CloudFormation), then run wbs deploy again",
        )
    raise StackError(f"stack {name} is {current} and cannot be updated", hint="see docs/deploy.md")


def create_change_set(
    cf: CloudFormationClient,
    name: str,
    kind: Kind,
    template: dict[str, str],
    parameters: dict[str, str],
    *,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> ChangeSet | None:
    """Create the change set and wait for CloudFormation to compute it. None when it holds
    no change (it is deleted, and nothing else is left behind)."""
    answer = cf.create_change_set(
        StackName=name,
        ChangeSetName=f"wbs-deploy-{int(time.time())}",
        ChangeSetType=kind,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,  # type: ignore[arg-type]
        Description="wbs deploy",
        **template,  # type: ignore[arg-type]
    )
    cs = ChangeSet(answer["Id"], name, kind == "CREATE", ())
    described = cf.describe_change_set(ChangeSetName=cs.id)
    while described["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        sleep(poll)
        described = cf.describe_change_set(ChangeSetName=cs.id)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        discard(cf, cs)
        if any(text in reason for text in EMPTY_REASONS):
            return None
        raise StackError(
            f"CloudFormation refused the change: {reason}",
            hint="nothing was changed; check the [deployment] table and the template",
        )
    return ChangeSet(cs.id, name, cs.creates, tuple(_changes(cf, cs.id, described)))


def discard(cf: CloudFormationClient, cs: ChangeSet) -> None:
    """Delete a change set that will not be executed; a stack made only to hold it, too."""
    cf.delete_change_set(ChangeSetName=cs.id)
    if cs.creates and status(cf, cs.stack_name) == REVIEW:
        cf.delete_stack(StackName=cs.stack_name)


def execute(
    cf: CloudFormationClient,
    cs: ChangeSet,
    on_event: Callable[[Event], None],
    *,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Execute the change set and wait for the stack to settle, calling ``on_event`` for each
    new stack event. Raise StackError with the first failure's reason if it rolled back."""
    # Only the newest event is needed: the listing of new events stops at it.
    newest = next(_events(cf, cs.stack_name, set()), None)
    seen = {newest.id} if newest else set()
    cf.execute_change_set(ChangeSetName=cs.id)
    happened: list[Event] = []
    polls_at_rest = 0
    while True:
        current = status(cf, cs.stack_name) or "DELETE_COMPLETE"
        for event in reversed(list(_events(cf, cs.stack_name, seen))):
            seen.add(event.id)
            happened.append(event)
            on_event(event)
        if not current.endswith("_IN_PROGRESS"):
            # Execution is asynchronous: right after it, an updated stack may still show its
            # previous COMPLETE status. The change has ended when the stack's own event
            # for that status has come (or, should it never come, after a few more polls).
            ended = any(e.logical_id == cs.stack_name and e.status == current for e in happened)
            polls_at_rest += 1
            if ended or polls_at_rest > SETTLE_POLLS:
                break
        sleep(poll)
    if current in SUCCESS:
        return
    why = first_failure(happened) or f"the stack ended {current}"
    if current == "UPDATE_ROLLBACK_COMPLETE":
        raise StackError(
            f"the update failed and was rolled back: {why}",
            hint="the stack is as it was before; fix the cause and run wbs deploy again",
        )
    raise StackError(
        f"stack {cs.stack_name} ended {current}: {why}",
        hint=f"aws cloudformation describe-stack-events --stack-name {cs.stack_name}"
        " shows every step; a failed creation must be deleted before the next wbs deploy",
    )


def first_failure(events: Sequence[Event]) -> str | None:
    """The first failed resource (oldest first) and CloudFormation's reason for it; a
    failure only caused by another one is shown only when there is no other."""
    failed = [e for e in events if e.status.endswith("_FAILED") and e.reason]
    causes = [e for e in failed if not any(c in e.reason for c in CASCADE_REASONS)]
    if not failed:
        return None
    first = (causes or failed)[0]
    return f"{first.logical_id} ({first.resource_type}): {first.reason}"


def outputs(cf: CloudFormationClient, name: str) -> dict[str, str]:
    stacks = cf.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", []) or []}


def resources(cf: CloudFormationClient, name: str) -> dict[str, str]:
    """The stack's resources: logical id -> physical id (a managed policy's is its ARN)."""
    found: dict[str, str] = {}
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            physical = summary.get("PhysicalResourceId")
            if physical:
                found[summary["LogicalResourceId"]] = physical
    return found


def event(raw: dict[str, Any]) -> Event:
    """One event of describe_stack_events."""
    return Event(
        raw["EventId"],
        raw.get("LogicalResourceId", ""),
        raw.get("ResourceType", ""),
        raw.get("ResourceStatus", ""),
        raw.get("ResourceStatusReason", ""),
    )


def _events(cf: CloudFormationClient, name: str, seen: set[str]) -> Iterator[Event]:
    """Events newer than every id in ``seen``, newest first (as CloudFormation lists them)."""
    for page in cf.get_paginator("describe_stack_events").paginate(StackName=name):
        for raw in page["StackEvents"]:
            e = event(dict(raw))
            if e.id in seen:
                return
            yield e


def _changes(cf: CloudFormationClient, cs_id: str, described: Any) -> Iterator[Change]:
    while True:
        for item in described.get("Changes", []):
            rc = item.get("ResourceChange", {})
            yield Change(
                rc.get("Action", ""),
                rc.get("LogicalResourceId", ""),
                rc.get("ResourceType", ""),
                rc.get("Replacement", ""),
            )
        token = described.get("NextToken")
        if not token:
            return
        described = cf.describe_change_set(ChangeSetName=cs_id, NextToken=token)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
