"""``[proof_of_work]``: the proof of work asked of each report and follow-up::

    [proof_of_work]
    difficulty = 18            # leading zero bits, 1 to 28 (docs/spec/pow-v1.md)

Without the table, ``functions.proofs.DEFAULT_DIFFICULTY`` applies. Only the variable
WBS_POW_DIFFICULTY can say 0 (off): the file cannot.
"""

from __future__ import annotations

from functions.proofs import DEFAULT_DIFFICULTY
from functions.proofs.challenge import MAX_SETTING
from wbs.config.fields import Table

HINT = "see the [proof_of_work] example in site/config.toml"


def parse(top: Table) -> int:
    """The file's difficulty (WBS_POW_DIFFICULTY is the caller's to apply)."""
    table = top.table("proof_of_work", {"difficulty"}, HINT)
    if table is None:
        return DEFAULT_DIFFICULTY
    return table.whole("difficulty", 1, MAX_SETTING, DEFAULT_DIFFICULTY)
