"""Inspectors' access to the data bucket, per desk: one IAM managed policy a desk.

The desks are the config's ``[[desks]]`` tables (their ``id``); ``render`` adds one
``AWS::IAM::ManagedPolicy`` a desk to infra/template.yaml before it is sent, since a
CloudFormation template cannot loop over a list it is given. A member of a desk gets that
desk's policy attached to their own IAM user; a member of two desks gets both.

What a desk's policy allows, and why (docs/aws.md, "Inspectors' access, per desk"):

- the desk's membership grants, by key: ``desks/<desk>/…`` (read, list, create);
- a case's ciphertext (``reports/``, ``mailboxes/``, ``attachments/``, ``notes/``,
  ``shares/``) only where the object's tag ``wbs-desks`` names the desk. Those keys name no
  desk, so a prefix cannot tell one desk's case from another's; an object tag can, and
  ``s3:GetObject`` takes the condition key ``s3:ExistingObjectTag/<key>``;
- listing those prefixes (``s3:ListBucket`` takes no object tag: every member sees every
  key, its size and its time);
- creating replies, notes and shares, each with a ``wbs-desks`` tag that names the desk;
  a tag can be given only when the object is created (``s3:PutObjectTagging`` only while the
  object has no ``wbs-desks`` tag), so no member can add their desk to another desk's
  object, or take a desk off one.
- the retention of what a member creates (``s3:PutObjectRetention``), which Object Lock
  asks (``WBS_OBJECT_LOCK``; docs/aws.md, "Object Lock") and which does nothing without it.

The tag's value lists the desks between slashes, ``/inspektorat/jabar/``, each once, sorted;
a desk's policy matches ``*/<desk>/*``. Desk ids are ``[a-z0-9][a-z0-9-]{0,47}``: no slash,
no wildcard character. The function and the tool spell the tag with this module's:
``functions/storage/tags.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from functions.keyring import DESK_ID_RE
from functions.storage import layout
from functions.storage.tags import TAG as TAG  # the policies name it; so does wbs deploy
from wbs import config

# CloudFormation takes at most 500 resources a template; the rest of the stack uses ~35.
MAX_DESKS = 400
HINT = 'see docs/aws.md, "Inspectors\' access, per desk"'

DATA = "${DataBucket.Arn}"
# The prefixes of a case's ciphertext: none of their keys names a desk.
CASE_PREFIXES = ("reports", "mailboxes", "attachments", "notes", "shares")
# Under mailboxes/, an inspector creates only a message named as the inspectorate's: one
# "?" a character of the case id (16), the time it was stored (22) and the digest (8), so
# that no "*" can cross a "/" (infra/template.yaml, InspectorPolicy, says why).
REPLY = (
    layout.mailbox("?" * 16)
    + "?" * len("20260101T000000000000Z")
    + layout.message_ending("inspectorate", "?" * 8)
)
# What an inspector creates in a case: replies and status changes, notes and access
# records, case grants (docs/spec/desks-v2.md §5).
INSPECTOR_WRITES = (REPLY, "notes/*", "shares/*")


def desk_ids(path: Path | None) -> tuple[str, ...]:
    """The ``id`` of each ``[[desks]]`` table of the config file ``path`` (the project's
    site/config.toml when None), in the file's order; () when the file has none."""
    top = config.read(path or config.DEFAULT_PATH)
    entries = top.values.get("desks")
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise top.error("desks", "must be [[desks]] tables, each with an id")
    found: list[str] = []
    for n, entry in enumerate(entries, 1):
        where = f"desks[{n}]"
        if not isinstance(entry, dict):
            raise top.error(where, "must be a table")
        table = top.inner(where, entry)
        value = entry.get("id")
        if not isinstance(value, str) or not DESK_ID_RE.fullmatch(value):
            raise table.error(
                "id",
                "must be 1 to 48 lower-case letters, digits and hyphens, a letter or digit first",
            )
        if value in found:
            raise table.error("id", f"{value!r} appears twice")
        found.append(value)
    if len(found) > MAX_DESKS:
        raise top.error("desks", f"has {len(found)} desks: one stack holds at most {MAX_DESKS}")
    return tuple(found)


def logical_id(desk: str) -> str:
    """The policy's logical id in the stack: ``Desk<id>Policy``, each "-" an "X" (ids are
    lower-case, so no two desks get one name)."""
    return f"Desk{desk.replace('-', 'X')}Policy"


def _arns(patterns: Sequence[str]) -> list[dict[str, str]]:
    return [{"Fn::Sub": f"{DATA}/{p}"} for p in patterns]


# `wbs inbox remind --notify` from an inspector's machine: the deadline counts, to the stack's
# one topic (the template's InspectorPolicy has the same statement).
REMIND_STATEMENT: dict[str, Any] = {
    "Sid": "RemindThroughTheTopic",
    "Effect": "Allow",
    "Action": "sns:Publish",
    "Resource": {"Ref": "Topic"},
}


def policy_statements(desk: str) -> list[dict[str, Any]]:
    """The statements of ``desk``'s policy."""
    names_the_desk = f"*/{desk}/*"
    tag_keys = {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": [TAG]}}
    return [
        {
            "Sid": "ReadTheDesksCases",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": _arns([f"{p}/*" for p in CASE_PREFIXES]),
            "Condition": {"StringLike": {f"s3:ExistingObjectTag/{TAG}": names_the_desk}},
        },
        {
            "Sid": "ListCasesAndTheDesksGrants",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["DataBucket", "Arn"]},
            "Condition": {
                "StringLike": {"s3:prefix": [f"{p}/*" for p in CASE_PREFIXES] + [f"desks/{desk}/*"]}
            },
        },
        {
            "Sid": "ReadAndGrantTheDesk",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": _arns([f"desks/{desk}/*"]),
        },
        {
            "Sid": "WriteRepliesNotesAndShares",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": _arns(INSPECTOR_WRITES),
            "Condition": {
                "StringLike": {f"s3:RequestObjectTag/{TAG}": names_the_desk},
                **tag_keys,
            },
        },
        {
            "Sid": "TagWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectTagging",
            "Resource": _arns(INSPECTOR_WRITES),
            "Condition": {
                "Null": {f"s3:ExistingObjectTag/{TAG}": "true"},
                "StringLike": {f"s3:RequestObjectTag/{TAG}": names_the_desk},
                **tag_keys,
            },
        },
        {
            "Sid": "LockWhatItCreates",
            "Effect": "Allow",
            "Action": "s3:PutObjectRetention",
            "Resource": _arns([*INSPECTOR_WRITES, f"desks/{desk}/*"]),
        },
        REMIND_STATEMENT,
    ]


def policy_resource(desk: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": (
                f"WBS desk {desk}: its membership grants (desks/{desk}/), and the ciphertext"
                f" of the cases whose objects' {TAG} tag names {desk}; lists every case key;"
                " creates replies, notes and shares tagged for it; deletes nothing."
            ),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": policy_statements(desk)},
        },
    }


OUTPUTS_LINE = "\nOutputs:\n"
COMMENT = (
    "  # ---- desks: one managed policy a [[desks]] entry, added by wbs deploy"
    " (wbs/deploy/desks.py) ----\n\n"
)


def render(template: str, desks: Sequence[str]) -> str:
    """``template`` (infra/template.yaml) with one policy resource a desk added at the end of
    its Resources, which the template's Outputs follow. JSON is YAML: each resource is
    written as a JSON mapping, indented under its logical id."""
    if not desks:
        return template
    if template.count(OUTPUTS_LINE) != 1:
        raise ValueError("the template must have one top-level Outputs section after Resources")
    head, tail = template.split(OUTPUTS_LINE)
    blocks = []
    for desk in desks:
        body = json.dumps(policy_resource(desk), indent=2, ensure_ascii=True)
        indented = "\n".join("    " + line for line in body.splitlines())
        blocks.append(f"  {logical_id(desk)}:\n{indented}\n")
    return head.rstrip("\n") + "\n\n" + COMMENT + "\n".join(blocks) + OUTPUTS_LINE + tail
