"""Proof of work (docs/spec/pow-v1.md): POST /api/challenge and the Wbs-Proof header."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.hostile.corpus.base import CHALLENGE, MAILBOX, REPORTS, Case, cases, post, with_header
from tests.hostile.corpus.common import BAD, GOOD_FOLLOWUP, GOOD_REPORT, transport_cases
from tests.hostile.world import (
    AUTH_A,
    AUTH_C,
    AUTH_NEW,
    CASE_C,
    CASE_NEW,
    ECHO,
    INSPECTOR,
    SPENT_FOLLOWUP,
    SPENT_REPORT,
    challenge_text,
    followup,
    solved,
)
from tests.test_pow import REFUSED as POW_REFUSED

# --- proof of work (docs/spec/pow-v1.md) ----------------------------------------------------


def challenge_cases() -> list[Case]:
    """POST /api/challenge, and the Wbs-Proof header of reports and follow-ups: forged,
    expired, replayed, for the wrong action, too little work. tests/test_pow.py's refused
    proofs run here again through both ways in, on a report that could otherwise be
    refused only after the proof (a follow-up where a report belongs), so that no proof the
    gate let through by mistake could store anything."""
    bad = (400, "bad_request")
    bodies: dict[str, Any] = {
        "empty object": {},
        "unknown action": {"action": "delete"},
        "action in capitals": {"action": "REPORT"},
        "action as a list": {"action": ["report"]},
        "action as a number": {"action": 1},
        "action null": {"action": None},
        "extra member": {"action": "report", "difficulty": 0},
        "array": [{"action": "report"}],
        "string": "report",
        "NaN": '{"action": NaN}',
        "duplicate action": '{"action": "report", "action": "followup"}',
        "10,000 deep": '{"action": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "lone surrogate": '{"action": "\\ud800"}',
        "ECHO": {"action": ECHO},
    }
    out = cases("POST /api/challenge", bodies, lambda b: post(CHALLENGE, b, None), bad)
    out += transport_cases(CHALLENGE, {"action": "report"}, None, "request")
    wrong_kind = post(REPORTS, followup(CASE_NEW, (INSPECTOR.public_key,)), AUTH_NEW)
    for name, (make, status, code) in POW_REFUSED.items():
        host = (
            (400, "wrong_kind") if name == "space" else None
        )  # a header's leading space is not its value
        out.append(
            Case(
                f"POST /api/reports: proof {name}",
                lambda w, make=make: with_header(wrong_kind, "Wbs-Proof", make()),
                (status, code),
                host=host,
            )
        )
    followup_proof = solved(challenge_text("followup"))
    report_proof = solved(challenge_text("report"))
    out += [
        Case(
            "POST /api/reports: a proof used before, on a report that would be stored",
            with_header(post(REPORTS, GOOD_REPORT, AUTH_NEW), "Wbs-Proof", SPENT_REPORT),
            (409, "proof_used"),
        ),
        Case(
            "POST /api/reports: a solved proof, a bad token",
            with_header(post(REPORTS, GOOD_REPORT, "Bearer x"), "Wbs-Proof", report_proof),
            (401, "bad_token"),
        ),
        Case(
            "POST /api/reports: a solved proof in the body, not the header",
            post(REPORTS, {**GOOD_REPORT, "proof": report_proof}, AUTH_NEW),
            (400, "bad_proof"),
        ),
        Case(
            "POST /api/reports: a solved proof in the query",
            post(f"{REPORTS}?proof={report_proof}", GOOD_REPORT, AUTH_NEW),
            (400, "bad_proof"),
        ),
        Case(
            "POST /api/reports: a solved proof, a bad envelope (the proof stays unused)",
            with_header(post(REPORTS, "{" + ECHO, AUTH_NEW), "Wbs-Proof", report_proof),
            BAD,
        ),
        Case(
            "POST /api/mailbox: no proof",
            post(MAILBOX, GOOD_FOLLOWUP, AUTH_A),
            (400, "bad_proof"),
        ),
        Case(
            "POST /api/mailbox: a report's proof",
            with_header(post(MAILBOX, GOOD_FOLLOWUP, AUTH_A), "Wbs-Proof", report_proof),
            (403, "proof_rejected"),
        ),
        Case(
            "POST /api/mailbox: an expired proof",
            with_header(
                post(MAILBOX, GOOD_FOLLOWUP, AUTH_A),
                "Wbs-Proof",
                solved(challenge_text("followup", expires=1_700_000_000)),
            ),
            (403, "proof_expired"),
        ),
        Case(
            "POST /api/mailbox: a forged proof",
            with_header(
                post(MAILBOX, GOOD_FOLLOWUP, AUTH_A),
                "Wbs-Proof",
                solved(challenge_text("followup", secret=b"f" * 32)),
            ),
            (403, "proof_rejected"),
        ),
        Case(
            "POST /api/mailbox: a proof used before, on a follow-up that would be stored",
            with_header(post(MAILBOX, GOOD_FOLLOWUP, AUTH_A), "Wbs-Proof", SPENT_FOLLOWUP),
            (409, "proof_used"),
        ),
        Case(
            "POST /api/mailbox: a solved proof, a token that opens no case",
            with_header(post(MAILBOX, followup(CASE_NEW), AUTH_NEW), "Wbs-Proof", followup_proof),
            (404, "unknown_code"),
        ),
        Case(
            "POST /api/mailbox: a solved proof, a full mailbox (the proof stays unused)",
            with_header(post(MAILBOX, followup(CASE_C), AUTH_C), "Wbs-Proof", followup_proof),
            (403, "mailbox_full"),
        ),
        Case(
            "POST /api/mailbox: a solved proof, a bad envelope (the proof stays unused)",
            with_header(post(MAILBOX, "[" * 10_000, AUTH_A), "Wbs-Proof", followup_proof),
            BAD,
        ),
    ]
    return [dataclasses.replace(case, proofs=True) for case in out]
