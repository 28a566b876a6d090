"""The workflow's record schemas (docs/spec/mailbox-v1.md sections 7.2 and 7.3): what a
reader accepts, and what it treats as unreadable."""

from __future__ import annotations

import json

import pytest

from wbs import notes

KEY = "notes/7K3MQ2X9ABCDEFGH/20261206T141211123456Z-0123456789abcdef-0badcafe.json"
NAME = KEY.rpartition("/")[2]
WRITTEN = "2026-12-06T14:12:11Z"


def decoded(**document: object) -> notes.Record:
    return notes.decode(
        KEY, "0123456789abcdef", json.dumps({**document, "written": WRITTEN}).encode()
    )


def test_each_workflow_record_decodes_to_its_own_type() -> None:
    for assignee in ("fedcba9876543210", ""):
        assigned = decoded(schema="wbs-assign/1", assignee=assignee)
        assert isinstance(assigned, notes.Assignment) and assigned.assignee == assignee
    proposal = decoded(schema="wbs-proposal/1", status="ditolak", reason="duplikat", text="")
    assert isinstance(proposal, notes.Proposal) and proposal.name == NAME
    approval = decoded(schema="wbs-approval/1", proposal=NAME)
    assert isinstance(approval, notes.Approval) and approval.proposal == NAME


@pytest.mark.parametrize(
    "document",
    [
        {"schema": "wbs-assign/1", "assignee": "Budi"},
        {"schema": "wbs-assign/1", "assignee": "FEDCBA9876543210"},
        {"schema": "wbs-assign/1", "assignee": "", "extra": ""},
        {"schema": "wbs-proposal/1", "status": "dibatalkan", "reason": "", "text": ""},
        {"schema": "wbs-proposal/1", "status": "ditolak", "reason": "duplikat"},
        {"schema": "wbs-approval/1", "proposal": "../catatan.json"},
        {"schema": "wbs-approval/1", "proposal": KEY},
        {"schema": "wbs-approval/1", "proposal": NAME, "text": "ok"},
    ],
)
def test_a_record_that_does_not_fit_its_schema_is_unreadable(document: dict[str, str]) -> None:
    with pytest.raises(notes.NoteError, match="is not a wbs-"):
        decoded(**document)
