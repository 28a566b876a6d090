"""POST /api/uploads, /api/uploads/renew and /api/uploads/complete (docs/spec/upload-v1.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from functions.attachment_size import stored_size
from functions.uploads.grants import GIB, MAX_OBJECT_BYTES, MIB
from tests.hostile.corpus.base import COMPLETE, RENEW, UPLOADS, Case, Request, cases, post
from tests.hostile.corpus.common import token_cases, transport_cases
from tests.hostile.world import (
    AUTH_A,
    AUTH_B,
    AUTH_NEW,
    ECHO,
    F_DONE,
    F_ENDED,
    F_NEW,
    F_OPEN,
    F_TWO,
    SMALL,
    TWO_PARTS,
    World,
)
from tests.test_uploads import BAD_GRANT_BODIES, BAD_RAW_BODIES, bad_completions

GRANT_FILE = {"id": F_NEW, "size": SMALL}


def grant_cases() -> list[Case]:
    bad = (400, "bad_request")
    bodies: dict[str, Any] = {
        **BAD_GRANT_BODIES,
        "size 1e400": f'{{"files": [{{"id": "{F_NEW}", "size": 1e400}}]}}',
        "size -2**4096": {"files": [{"id": F_NEW, "size": -(2**4096)}]},
        "size 5,000 digits": f'{{"files": [{{"id": "{F_NEW}", "size": {"9" * 5000}}}]}}',
        "size Infinity": f'{{"files": [{{"id": "{F_NEW}", "size": Infinity}}]}}',
        "size null": {"files": [{"id": F_NEW, "size": None}]},
        "size a list": {"files": [{"id": F_NEW, "size": [SMALL]}]},
        "id with NUL": {"files": [{"id": F_NEW[:15] + "\x00", "size": SMALL}]},
        "id with %2f": {"files": [{"id": "%2f" + F_NEW[3:], "size": SMALL}]},
        "id of 17 symbols": {"files": [{"id": F_NEW + "A", "size": SMALL}]},
        "id with O": {"files": [{"id": "O" + F_NEW[1:], "size": SMALL}]},
        "id ECHO": {"files": [{"id": ECHO, "size": SMALL}]},
        "files 10,000 deep": '{"files": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "file 10,000 deep": '{"files": [' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "]}",
        "files an object of ids": {"files": {F_NEW: SMALL}},
        "duplicate id member": (
            f'{{"files": [{{"id": "{F_NEW}", "id": "{F_OPEN}", "size": {SMALL}}}]}}'
        ),
        "duplicate size member": f'{{"files": [{{"id": "{F_NEW}", "size": 1, "size": {SMALL}}}]}}',
        "lone surrogate id": f'{{"files": [{{"id": "\\ud800{F_NEW[1:]}", "size": {SMALL}}}]}}',
        "size one byte under an attachment": {"files": [{"id": F_NEW, "size": SMALL - 1}]},
        "size of a header alone": {"files": [{"id": F_NEW, "size": 24}]},
        "size of a chunk without a header": {"files": [{"id": F_NEW, "size": 1024 + 17}]},
        **BAD_RAW_BODIES,
    }
    out = cases("POST /api/uploads", bodies, lambda b: post(UPLOADS, b), bad)
    out += transport_cases(UPLOADS, {"files": [GRANT_FILE]}, AUTH_A, "request")
    out += token_cases(UPLOADS, "POST", {"files": [GRANT_FILE]})
    three_gib = stored_size(3 * GIB - 1, MIB)
    ids = [f"NEW000000000{n:04d}" for n in range(10_000)]
    out += [
        Case(
            "POST /api/uploads: a token that opens no case",
            post(UPLOADS, {"files": [GRANT_FILE]}, AUTH_NEW),
            (404, "unknown_code"),
        ),
        Case(
            # The same id and size again is a grant whose answer was lost: granted again.
            "POST /api/uploads: a file id already granted, another size",
            post(UPLOADS, {"files": [{"id": F_OPEN, "size": TWO_PARTS}]}),
            (409, "file_id_taken"),
        ),
        Case(
            "POST /api/uploads: a new file and one already granted",
            post(UPLOADS, {"files": [GRANT_FILE, {"id": F_DONE, "size": SMALL}]}),
            (409, "file_id_taken"),
        ),
        Case(
            "POST /api/uploads: three more files than the case takes",
            post(UPLOADS, {"files": [{"id": i, "size": SMALL} for i in ids[:3]]}),
            (403, "too_many_files"),
        ),
        Case(
            "POST /api/uploads: 10,000 files",
            post(UPLOADS, {"files": [{"id": i, "size": SMALL} for i in ids]}),
            (403, "too_many_files"),
        ),
        Case(
            "POST /api/uploads: more bytes than the case takes",
            post(UPLOADS, {"files": [{"id": i, "size": MAX_OBJECT_BYTES} for i in ids[:2]]}),
            (403, "too_many_bytes"),
        ),
        Case(
            "POST /api/uploads: more part URLs than one answer lists",
            post(UPLOADS, {"files": [{"id": i, "size": three_gib} for i in ids[:2]]}),
            (413, "too_many_parts"),
        ),
        Case(
            "POST /api/uploads: a file over the largest object",
            post(UPLOADS, {"files": [{"id": F_NEW, "size": stored_size(6 * GIB, MIB)}]}),
            (413, "too_large"),
        ),
        Case(
            "POST /api/uploads: size 2**4096",
            post(UPLOADS, {"files": [{"id": F_NEW, "size": 2**4096}]}),
            (413, "too_large"),
        ),
    ]
    return out


def renew_cases() -> list[Case]:
    bad = (400, "bad_request")
    ref = {"id": F_OPEN, "upload": "0" * 32}
    bodies: dict[str, Any] = {
        "empty object": {},
        "id only": {"id": F_OPEN},
        "upload only": {"upload": "0" * 32},
        "extra member": {**ref, "parts": []},
        "id lower case": {**ref, "id": F_OPEN.lower()},
        "id ../": {**ref, "id": "../../reports/x"},
        "id as number": {**ref, "id": 1234567890123456},
        "upload as number": {**ref, "upload": 7},
        "upload empty": {**ref, "upload": ""},
        "upload with a space": {**ref, "upload": "0" * 16 + " " + "0" * 15},
        "upload with a newline": {**ref, "upload": "0" * 31 + "\n"},
        "upload non-ASCII": {**ref, "upload": "é" * 32},
        "upload of 1,025 characters": {**ref, "upload": "0" * 1025},
        "upload null": {**ref, "upload": None},
        "array": [ref],
        "null": None,
        "NaN id": '{"id": NaN, "upload": "x"}',
        "duplicate id": f'{{"id": "{F_NEW}", "id": "{F_OPEN}", "upload": "x"}}',
        "10,000 deep": '{"id": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "malformed JSON": '{"id": ',
        "empty body": "",
    }
    out = cases("POST /api/uploads/renew", bodies, lambda b: post(RENEW, b), bad)
    out += transport_cases(RENEW, ref, AUTH_A, "request")
    out += token_cases(RENEW, "POST", ref)
    unknown = (404, "unknown_upload")
    out += [
        Case(
            "POST /api/uploads/renew: a token that opens no case",
            post(RENEW, ref, AUTH_NEW),
            (404, "unknown_code"),
        ),
        Case(
            "POST /api/uploads/renew: a file never granted",
            post(RENEW, {**ref, "id": F_NEW}),
            unknown,
        ),
        Case("POST /api/uploads/renew: another upload id", post(RENEW, ref), unknown),
        Case(
            "POST /api/uploads/renew: another case's upload",
            lambda w: post(RENEW, {"id": F_OPEN, "upload": w.upload(F_OPEN)}, AUTH_B),
            unknown,
        ),
        Case(
            "POST /api/uploads/renew: a file whose upload ended",
            post(RENEW, {"id": F_ENDED, "upload": "e" * 32}),
            (410, "upload_expired"),
        ),
    ]
    return out


def complete_cases() -> list[Case]:
    bad = (400, "bad_request")
    bad_parts = (400, "bad_parts")

    def ref(w: World, file_id: str = F_OPEN) -> dict[str, Any]:
        return {"id": file_id, "upload": w.upload(file_id)}

    def parts(*etags: Any) -> list[dict[str, Any]]:
        return [{"number": n, "etag": e} for n, e in enumerate(etags, start=1)]

    def completion(
        file_id: str, etags: Callable[[World], list[Any]], auth: str = AUTH_A
    ) -> Callable[[World], Request]:
        return lambda w: post(COMPLETE, {**ref(w, file_id), "parts": parts(*etags(w))}, auth)

    out: list[Case] = []
    two = ['"' + "1" * 64 + '"', '"' + "2" * 64 + '"']
    for name in bad_completions({"id": F_TWO, "upload": "u"}, two):
        out.append(
            Case(
                f"POST /api/uploads/complete: {name}",
                lambda w, name=name: post(COMPLETE, bad_completions(ref(w, F_TWO), two)[name]),
                bad,
            )
        )
    hex_zero = '"' + "0" * 64 + '"'
    bodies: dict[str, Callable[[World], Any]] = {
        "number 1e400": lambda w: (
            json.dumps({**ref(w), "parts": []})[:-3] + '[{"number": 1e400, "etag": "x"}]}'
        ),
        "number 2**4096": lambda w: {**ref(w), "parts": [{"number": 2**4096, "etag": hex_zero}]},
        "number true": lambda w: {**ref(w), "parts": [{"number": True, "etag": hex_zero}]},
        "number 1.0": lambda w: {**ref(w), "parts": [{"number": 1.0, "etag": hex_zero}]},
        "etag a number": lambda w: {**ref(w), "parts": [{"number": 1, "etag": 7}]},
        "etag non-ASCII": lambda w: {**ref(w), "parts": [{"number": 1, "etag": "é" * 10}]},
        "etag empty": lambda w: {**ref(w), "parts": [{"number": 1, "etag": ""}]},
        "10,000 parts": lambda w: {**ref(w), "parts": parts(*["x"] * 10_000)},
        "parts 10,000 deep": lambda w: (
            json.dumps(ref(w))[:-1] + ', "parts": ' + "[" * 10_000 + "]" * 10_000 + "}"
        ),
        "parts an object": lambda w: {**ref(w), "parts": {"1": w.etags[F_OPEN][0]}},
    }
    out += [
        Case(f"POST /api/uploads/complete: {name}", lambda w, b=b: post(COMPLETE, b(w)), bad)
        for name, b in bodies.items()
    ]
    out += transport_cases(
        COMPLETE, {"id": F_OPEN, "upload": "0" * 32, "parts": []}, AUTH_A, "request"
    )
    out += token_cases(COMPLETE, "POST", {"id": F_OPEN, "upload": "0" * 32, "parts": []})
    unknown = (404, "unknown_upload")
    out += [
        Case(
            "POST /api/uploads/complete: an ETag this host never gave",
            completion(F_OPEN, lambda w: [hex_zero]),
            bad_parts,
        ),
        Case(
            "POST /api/uploads/complete: an ETag that is not hex",
            completion(F_OPEN, lambda w: ['"' + ECHO + '"']),
            bad_parts,
        ),
        Case(
            "POST /api/uploads/complete: an ETag of 64 hex digits in capitals",
            completion(F_OPEN, lambda w: [w.etags[F_OPEN][0].upper()]),
            bad_parts,
        ),
        Case(
            "POST /api/uploads/complete: two parts, none sent",
            completion(F_TWO, lambda w: [hex_zero, hex_zero]),
            bad_parts,
        ),
        Case(
            "POST /api/uploads/complete: two parts, both the first's ETag",
            completion(F_TWO, lambda w: [w.etags[F_OPEN][0]] * 2),
            bad_parts,
        ),
        Case(
            "POST /api/uploads/complete: a file already stored",
            completion(F_DONE, lambda w: w.etags[F_DONE]),
            (409, "file_exists"),
        ),
        Case(
            "POST /api/uploads/complete: a file whose upload ended",
            post(COMPLETE, {"id": F_ENDED, "upload": "e" * 32, "parts": parts(hex_zero)}),
            (410, "upload_expired"),
        ),
        Case(
            "POST /api/uploads/complete: another case's upload",
            completion(F_OPEN, lambda w: w.etags[F_OPEN], AUTH_B),
            unknown,
        ),
        Case(
            "POST /api/uploads/complete: another upload id",
            lambda w: post(
                COMPLETE, {"id": F_OPEN, "upload": "0" * 32, "parts": parts(*w.etags[F_OPEN])}
            ),
            unknown,
        ),
        Case(
            "POST /api/uploads/complete: a file never granted",
            lambda w: post(
                COMPLETE, {"id": F_NEW, "upload": w.upload(F_OPEN), "parts": parts(hex_zero)}
            ),
            unknown,
        ),
        Case(
            "POST /api/uploads/complete: a token that opens no case",
            completion(F_OPEN, lambda w: w.etags[F_OPEN], AUTH_NEW),
            (404, "unknown_code"),
        ),
    ]
    return out
