"""``[workflow]``: how a case's decisions are made (wbs/cases/workflow.py)::

    [workflow]
    second_approval = ["ditolak", "selesai"]   # statuses a second member must approve

A status of ``second_approval`` is first proposed by one member and sent only once another
member approves it (docs/spec/mailbox-v1.md section 7.3). Without the table, or with an
empty list, ``NO_RULE`` applies: any member sets any status alone (a one-inspector demo).
"""

from __future__ import annotations

from dataclasses import dataclass

from wbs import statuses
from wbs.config.fields import Table

FIELDS = frozenset({"second_approval"})
HINT = "see the [workflow] example in docs/inspector.md"


@dataclass(frozen=True)
class Workflow:
    second_approval: frozenset[str] = frozenset()  # status ids

    def needs_approval(self, status: str) -> bool:
        return status in self.second_approval


NO_RULE = Workflow()


def parse(top: Table) -> Workflow:
    table = top.table("workflow", FIELDS, HINT)
    if table is None:
        return NO_RULE
    value = table.values.get("second_approval", [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise table.error("second_approval", 'must be a list of status ids: ["ditolak", ...]')
    for item in value:
        if item not in statuses.STATUSES:
            raise table.error(
                "second_approval",
                f": {item!r} is no status id (one of {', '.join(statuses.STATUSES)})",
            )
    return Workflow(frozenset(value))
