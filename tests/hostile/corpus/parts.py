"""PUT /attachments/<case>/<file>?<grant>: the local host's parts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.uploads.grants import MIB, Part
from tests.hostile.corpus.base import Case, Request
from tests.hostile.world import (
    CASE_A,
    CASE_B,
    ECHO,
    F_DONE,
    F_NEW,
    F_OPEN,
    F_OPEN_DATA,
    SMALL,
    World,
)
from tests.test_uploads import tampered

F_BODY = F_OPEN_DATA  # a part of exactly the granted size
OVER = F_BODY + b"!"  # one byte over it


def part_cases() -> list[Case]:
    """PUT /attachments/...: the local host's parts. On Lambda there is no such route (the
    deployment sends them to the bucket): 404 there."""
    lam = (404, "not_found")
    bad_grant = (403, "bad_grant")
    unknown = (404, "unknown_upload")
    future = datetime.now(UTC) + timedelta(minutes=30)

    def put(
        target: Callable[[World], str], body: bytes = OVER, **extra: Any
    ) -> Callable[[World], Request]:
        """A PUT; by default one byte over the granted size, so that no URL the host did
        sign by mistake could store anything."""
        return lambda w: Request("PUT", target(w), body=body, **extra)

    def forged(**changes: str | None) -> Callable[[World], str]:
        return lambda w: tampered(w.url(F_OPEN), **changes)

    def path_of(w: World, file_id: str = F_OPEN) -> str:
        return w.url(file_id).partition("?")[0]

    def query_of(w: World) -> str:
        return w.url(F_OPEN).partition("?")[2]

    out = [
        Case(f"PUT /attachments: {name}", put(target), bad_grant, lambda_=lam)
        for name, target in {
            "another case": forged(path=f"/attachments/{CASE_B}/{F_OPEN}"),
            "another file": forged(path=f"/attachments/{CASE_A}/{F_NEW}"),
            "another part": forged(part="2"),
            "another size": forged(size=str(SMALL + 1)),
            "a later expiry": forged(expires=str(int(future.timestamp()) + 3600)),
            "another upload": forged(upload="0" * 32),
            "a flipped grant": lambda w: (
                w.url(F_OPEN)[:-1] + ("0" if w.url(F_OPEN)[-1] != "0" else "1")
            ),
            "no grant": forged(grant=None),
            "the grant twice": lambda w: (
                w.url(F_OPEN) + "&grant=" + query_of(w).rpartition("grant=")[2]
            ),
            "part with a leading zero": forged(part="01"),
            "part 0": forged(part="0"),
            "part 2**64": forged(part=str(2**64)),
            "size of 5,000 digits": forged(size="9" * 5000),
            "negative size": forged(size="-1"),
            "grant in capitals": lambda w: tampered(
                w.url(F_OPEN), grant=query_of(w).rpartition("grant=")[2].upper()
            ),
            "grant of 63 digits": lambda w: w.url(F_OPEN)[:-1],
            "no query": lambda w: path_of(w),
            "an empty query": lambda w: path_of(w) + "?",
            "a query of ampersands": lambda w: path_of(w) + "?&&&&",
            "10,000 query fields": lambda w: (
                path_of(w) + "?" + "&".join(f"f{n}=x" for n in range(10_000))
            ),
            "an upload with %00": forged(upload="0" * 31 + "\x00"),
            "invalid UTF-8 in the query": lambda w: w.url(F_OPEN) + "%ff",
            "a lower-case case id": forged(path=f"/attachments/{CASE_A.lower()}/{F_OPEN}"),
            "a path with %00": forged(path=f"/attachments/{CASE_A}/{F_OPEN}%00"),
            "a path with /../": forged(path=f"/attachments/{CASE_A}/../{CASE_A}/{F_OPEN}"),
            "outside attachments": forged(
                path=f"/attachments/{CASE_A}/../../reports/{CASE_A}.json"
            ),
            "a 60,000-character path": forged(path="/attachments/" + "A" * 60_000),
            "ECHO": forged(path=f"/attachments/{ECHO}"),
        }.items()
    ]
    out += [
        Case(
            "PUT /attachments: an expired grant",
            put(
                lambda w: w.signed(
                    CASE_A,
                    F_OPEN,
                    w.upload(F_OPEN),
                    Part(1, SMALL),
                    datetime(2021, 1, 1, tzinfo=UTC),
                ),
                F_BODY,
            ),
            (403, "grant_expired"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: a signed part outside the plan",
            put(
                lambda w: w.signed(CASE_A, F_OPEN, w.upload(F_OPEN), Part(2, SMALL), future), F_BODY
            ),
            unknown,
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: a signed size outside the plan",
            put(
                lambda w: w.signed(CASE_A, F_OPEN, w.upload(F_OPEN), Part(1, SMALL + 1), future),
                b"x" * (SMALL + 1),
            ),
            unknown,
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: signed for another case's key",
            put(
                lambda w: w.signed(CASE_B, F_OPEN, w.upload(F_OPEN), Part(1, SMALL), future), F_BODY
            ),
            unknown,
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: a completed file",
            put(lambda w: w.url(F_DONE), F_BODY),
            unknown,
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: the case and file joined by %2f",
            put(lambda w: w.url(F_OPEN).replace(f"{CASE_A}/", f"{CASE_A}%2f", 1)),
            (400, "wrong_length"),  # the host decodes %2f: the same URL, and still no write
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: one byte over",
            put(lambda w: w.url(F_OPEN), F_BODY + b"x"),
            (400, "wrong_length"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: one byte under",
            put(lambda w: w.url(F_OPEN), F_BODY[:-1]),
            (400, "wrong_length"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: empty",
            put(lambda w: w.url(F_OPEN), b""),
            (400, "wrong_length"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: no Content-Length",
            put(lambda w: w.url(F_OPEN), b"", length=None),
            (411, "length_required"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: chunked, one byte over",
            put(lambda w: w.url(F_OPEN), F_BODY + b"x", chunked=True),
            (400, "wrong_length"),
            lambda_=lam,
        ),
        Case(
            "PUT /attachments: 5 MiB where 1,065 bytes are granted",
            put(lambda w: w.url(F_OPEN), b"x" * (5 * MIB)),
            (400, "wrong_length"),
            lambda_=lam,
        ),
    ]
    for method in ("GET", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        out.append(
            Case(
                f"{method} /attachments: a part URL",
                lambda w, m=method: Request(m, w.url(F_OPEN)),
                (405, "method_not_allowed"),
                lambda_=lam,
            )
        )
    return out
