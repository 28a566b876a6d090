"""GET /api/health (and unknown /api paths), POST /api/reports, GET and POST
/api/mailbox."""

from __future__ import annotations

from functions.envelope import MAX_RECIPIENTS
from tests.hostile.corpus.base import MAILBOX, REPORTS, Case, get, post
from tests.hostile.corpus.common import (
    GOOD_FOLLOWUP,
    GOOD_REPORT,
    envelope_cases,
    token_cases,
    transport_cases,
)
from tests.hostile.world import (
    AUTH_A,
    AUTH_B,
    AUTH_C,
    AUTH_NEW,
    CASE_A,
    CASE_B,
    CASE_C,
    CASE_NEW,
    ECHO,
    INSPECTOR,
    REPORTER,
    STRANGER,
    TOKEN_A,
    TOKEN_NEW,
    followup,
    report,
)
from tests.support.api import bearer, mutated

# --- the routes ----------------------------------------------------------------------------


def health_cases() -> list[Case]:
    not_found = (404, "not_found")
    return [
        Case(f"GET {path}", get(path), not_found)
        for path in (
            "/api/health/",
            "/api/health/x",
            "/api/healthz",
            "/api/Health",
            "/api",
            "/api/",
            "/api//health",
            "/api/health%00",
            "/api/" + "h" * 60_000,
            f"/api/{ECHO}",
        )
    ]


def report_cases() -> list[Case]:
    out = envelope_cases(REPORTS, GOOD_REPORT, AUTH_NEW)
    out += transport_cases(REPORTS, GOOD_REPORT, AUTH_NEW, "envelope")
    out += token_cases(REPORTS, "POST", GOOD_REPORT)
    stale = (422, "stale_keys")
    out += [
        Case(
            "POST /api/reports: a follow-up",
            post(REPORTS, followup(CASE_NEW, (INSPECTOR.public_key,)), AUTH_NEW),
            (400, "wrong_kind"),
        ),
        Case(
            "POST /api/reports: a reply",
            post(REPORTS, mutated(GOOD_REPORT, "kind", "reply"), AUTH_NEW),
            (400, "wrong_kind"),
        ),
        Case(
            "POST /api/reports: another case's id",
            post(REPORTS, report(TOKEN_A), AUTH_NEW),
            (400, "id_mismatch"),
        ),
        Case(
            "POST /api/reports: case B's report under A's token",
            post(REPORTS, mutated(GOOD_REPORT, "id", CASE_B), AUTH_A),
            (400, "id_mismatch"),
        ),
        Case(
            "POST /api/reports: sealed to a stranger",
            post(REPORTS, report(TOKEN_NEW, (STRANGER.public_key,)), AUTH_NEW),
            stale,
        ),
        Case(
            "POST /api/reports: an extra recipient",
            post(REPORTS, report(TOKEN_NEW, (INSPECTOR.public_key, STRANGER.public_key)), AUTH_NEW),
            stale,
        ),
        Case(
            "POST /api/reports: without the recovery key",
            post(REPORTS, report(TOKEN_NEW, recovery=False), AUTH_NEW),
            stale,
        ),
        Case(
            "POST /api/reports: the recovery key alone",
            post(REPORTS, report(TOKEN_NEW, ()), AUTH_NEW),
            stale,
        ),
        Case(
            "POST /api/reports: type x25519 in lower case",
            post(REPORTS, mutated(GOOD_REPORT, "recipients.0.type", "x25519"), AUTH_NEW),
            stale,
        ),
        Case(
            "POST /api/reports: a second report for case A",
            post(REPORTS, report(TOKEN_A), AUTH_A),
            (409, "id_taken"),
        ),
        Case(
            "POST /api/reports: case A again with unknown stanzas up to the limit",
            post(
                REPORTS,
                mutated(
                    report(TOKEN_A),
                    "recipients",
                    [
                        *report(TOKEN_A)["recipients"],
                        *(
                            {"type": f"pq{n}", "kid": f"{n:016x}", "sealed": "AAAA"}
                            for n in range(MAX_RECIPIENTS - len(report(TOKEN_A)["recipients"]))
                        ),
                    ],
                ),
                AUTH_A,
            ),
            (409, "id_taken"),
        ),
    ]
    return out


def mailbox_cases() -> list[Case]:
    out = envelope_cases(MAILBOX, GOOD_FOLLOWUP, AUTH_A)
    out += transport_cases(MAILBOX, GOOD_FOLLOWUP, AUTH_A, "envelope")
    out += token_cases(MAILBOX, "GET", None)
    out += token_cases(MAILBOX, "POST", GOOD_FOLLOWUP)
    unknown = (404, "unknown_code")
    stale = (422, "stale_keys")
    forged = bearer(bytes(32))
    out += [
        Case("GET /api/mailbox: a token that opens no case", get(MAILBOX, AUTH_NEW), unknown),
        Case("GET /api/mailbox: a forged token", get(MAILBOX, forged), unknown),
        Case(
            "GET /api/mailbox: scheme in capitals, no case",
            get(MAILBOX, "BEARER" + AUTH_NEW[6:]),
            unknown,
        ),
        Case(
            "POST /api/mailbox: a token that opens no case",
            post(MAILBOX, followup(CASE_NEW), AUTH_NEW),
            unknown,
        ),
        Case("POST /api/mailbox: a forged token", post(MAILBOX, GOOD_FOLLOWUP, forged), unknown),
        Case(
            "POST /api/mailbox: a report",
            post(MAILBOX, report(TOKEN_A), AUTH_A),
            (400, "wrong_kind"),
        ),
        Case(
            "POST /api/mailbox: a reply",
            post(MAILBOX, mutated(GOOD_FOLLOWUP, "kind", "reply"), AUTH_A),
            (400, "wrong_kind"),
        ),
        Case(
            "POST /api/mailbox: case B's follow-up",
            post(MAILBOX, followup(CASE_B), AUTH_A),
            (400, "id_mismatch"),
        ),
        Case(
            "POST /api/mailbox: another case's token",
            post(MAILBOX, GOOD_FOLLOWUP, AUTH_B),
            (400, "id_mismatch"),
        ),
        Case(
            "POST /api/mailbox: sealed to the reporter alone",
            post(MAILBOX, followup(CASE_A, (REPORTER.public_key,)), AUTH_A),
            stale,
        ),
        Case(
            "POST /api/mailbox: two keys beside the keyring",
            post(
                MAILBOX,
                followup(CASE_A, (INSPECTOR.public_key, REPORTER.public_key, STRANGER.public_key)),
                AUTH_A,
            ),
            stale,
        ),
        Case(
            "POST /api/mailbox: without the recovery key",
            post(MAILBOX, followup(CASE_A, recovery=False), AUTH_A),
            stale,
        ),
        Case(
            "POST /api/mailbox: without the reporter's key",
            post(MAILBOX, followup(CASE_A, (INSPECTOR.public_key,)), AUTH_A),
            stale,
        ),
        Case(
            "POST /api/mailbox: text in the 64 KiB bucket",
            post(MAILBOX, followup(CASE_A, size=40_000), AUTH_A),
            (413, "too_large"),
        ),
        Case(
            "POST /api/mailbox: a full mailbox",
            post(MAILBOX, followup(CASE_C), AUTH_C),
            (403, "mailbox_full"),
        ),
    ]
    return out
