"""Hostile bodies and headers every route that reads them gets: envelopes (the JSON,
the base64 members, ids, kids, types), transport (content types, sizes, encodings,
chunks), tokens, and methods."""

from __future__ import annotations

import base64
import json
from typing import Any

from functions.envelope import MAX_ENVELOPE_BYTES
from tests.hostile.corpus.base import JSON, OTHER_METHODS, ROUTES, Case, Request, body_of, get, post
from tests.hostile.world import (
    AUTH_A,
    CASE_A,
    ECHO,
    TOKEN_A,
    TOKEN_NEW,
    followup,
    report,
)
from tests.support.api import BAD_AUTHORIZATIONS, bad_envelopes, mutated, noncanonical

# --- envelopes ---------------------------------------------------------------------------

GOOD_REPORT = report(TOKEN_NEW)  # well-formed, for the case TOKEN_NEW would open
GOOD_FOLLOWUP = followup(CASE_A)  # well-formed, for case A
BAD = (400, "bad_envelope")


def text(good: dict[str, Any]) -> str:
    return json.dumps(good)


def with_member(good: dict[str, Any], raw: str) -> str:
    """``good`` with ``raw`` (JSON text of ``"name": value``) added as its last member."""
    return text(good)[:-1] + ", " + raw + "}"


def replaced(good: dict[str, Any], member: str, raw: str) -> str:
    """``good`` with the value of a top-level member replaced by the JSON text ``raw``."""
    return text(good).replace(f'"{member}": {json.dumps(good[member])}', f'"{member}": {raw}', 1)


def hostile_envelopes(good: dict[str, Any]) -> dict[str, Any]:
    """Bodies that are not envelopes beyond tests/support/api.bad_envelopes: nesting, huge
    numbers, constants, duplicates, swapped types, bad UTF-8, surrogates, odd ids."""
    deep = 10_000
    return {
        "10,000 nested arrays": "[" * deep + "]" * deep,
        "10,000 nested objects": '{"a":' * deep + "1" + "}" * deep,
        "10,000 nested arrays in the nonce": replaced(good, "nonce", "[" * deep + "]" * deep),
        "10,000 nested objects in a stanza": replaced(
            good, "recipients", "[" + '{"a":' * deep + "1" + "}" * deep + "]"
        ),
        "v is 1e400": replaced(good, "v", "1e400"),
        "v is -1e400": replaced(good, "v", "-1e400"),
        "v is 1.0e0": replaced(good, "v", "1.0e0"),
        "v is 5,000 digits": replaced(good, "v", "9" * 5000),
        "v is null": replaced(good, "v", "null"),
        "v is -Infinity": replaced(good, "v", "-Infinity"),
        "nonce is NaN": replaced(good, "nonce", "NaN"),
        "ciphertext is 1e400": replaced(good, "ciphertext", "1e400"),
        "id is 2**4096": replaced(good, "id", str(2**4096)),
        "kind is a list": replaced(good, "kind", '["report"]'),
        "kind is an object": replaced(good, "kind", '{"report": true}'),
        "recipients is a string": replaced(good, "recipients", json.dumps(ECHO)),
        "recipients is 1e400": replaced(good, "recipients", "1e400"),
        "sealed is a number": mutated(good, "recipients.0.sealed", 80),
        "kid is a list": mutated(good, "recipients.0.kid", [good["recipients"][0]["kid"]]),
        "duplicate member in a stanza": text(good).replace(
            '"kid": ', f'"kid": "{ECHO}", "kid": ', 1
        ),
        "duplicate ciphertext": with_member(
            good, f'"ciphertext": {json.dumps(good["ciphertext"])}'
        ),
        "duplicate v, second 2": with_member(good, '"v": 2'),
        "unknown member, 900 KB name": with_member(good, f'"{ECHO}{"Z" * 900_000}": 1'),
        "unknown member with control characters": with_member(good, f'"\\u001b[31m{ECHO}": 1'),
        "unknown member, lone surrogate name": with_member(good, '"\\udc80": 1'),
        "kind with invalid UTF-8": text(good)
        .replace('"report"', '"rep\udcffort"')
        .replace('"followup"', '"follow\udcffup"'),
        "id with an overlong slash": text(good).replace(
            good["id"], good["id"][:8] + "\udcc0\udcaf" + good["id"][10:]
        ),
        "id with a 3-byte overlong": text(good).replace(
            good["id"], good["id"][:8] + "\udce0\udc80\udcaf" + good["id"][11:]
        ),
        "UTF-16 text": text(good).encode("utf-16"),
        "UTF-8 byte order mark": b"\xef\xbb\xbf" + text(good).encode(),
        "lone high surrogate in kind": replaced(good, "kind", '"\\ud800"'),
        "lone low surrogate in id": replaced(good, "id", '"\\udc00' + good["id"][1:] + '"'),
        "surrogate pair in id": replaced(good, "id", '"\\ud83d\\ude00' + good["id"][2:] + '"'),
        "escaped NUL in id": replaced(good, "id", '"' + good["id"][:15] + '\\u0000"'),
        "escaped NUL in a kid": mutated(good, "recipients.0.kid", "\x00" * 16),
        "trailing garbage": text(good) + " x",
        "two envelopes": text(good) + text(good),
        "a number": "1e400",
        "true": "true",
        "empty object": "{}",
        "whitespace only": " \t\r\n",
        "NUL bytes": b"\x00" * 64,
        "ECHO in kind": mutated(good, "kind", ECHO),
    }


def base64_variants(value: str) -> dict[str, str]:
    """Text that is not canonical, padded base64 of ``value``'s bytes, or not base64."""
    body = value.rstrip("=")
    variants = {
        "without padding": body if body != value else value[:-1],
        "extra padding": value + "=",
        "padding inside": value[:4] + "=" + value[4:],
        "url-safe alphabet": "-_" + value[2:],
        "a space inside": value[:8] + " " + value[8:],
        "a newline at the end": value + "\n",
        "a leading space": " " + value,
        "empty": "",
        "non-ASCII letter": "é" + value[1:],
        "escaped NUL": value[:-2] + "\x00=",
        "ECHO": ECHO,
    }
    if value.endswith("=") and not value.endswith("=="):
        variants["non-canonical"] = noncanonical(value)
    return variants


def field_cases(good: dict[str, Any]) -> dict[str, str]:
    """Every base64 member, every way wrong; ids, kids and types of the wrong shape."""
    out: dict[str, str] = {}
    for member in ("nonce", "ciphertext", "recipients.0.sealed"):
        value = good["recipients"][0]["sealed"] if member.startswith("recipients") else good[member]
        for name, variant in base64_variants(value).items():
            out[f"{member}, {name}"] = mutated(good, member, variant)
    for name, value in {
        "lower case": good["id"].lower(),
        "15 symbols": good["id"][:15],
        "17 symbols": good["id"] + "0",
        "with I, L, O, U": "ILOU" + good["id"][4:],
        "../": "../" + good["id"][3:],
        "%2f": good["id"][:13] + "%2f",
        "NUL": good["id"][:15] + "\x00",
        "fullwidth digits": "\uff10" * 16,
        "100,000 symbols": "A" * 100_000,
        "ECHO": ECHO,
    }.items():
        out[f"id, {name}"] = mutated(good, "id", value)
    kid = good["recipients"][0]["kid"]
    for name, value in {
        "upper case": kid.upper() if kid.upper() != kid else "ABCDEF0123456789",
        "15 digits": kid[:15],
        "17 digits": kid + "0",
        "not hex": "g" * 16,
        "fingerprint (64 digits)": kid * 4,
    }.items():
        out[f"kid, {name}"] = mutated(good, "recipients.0.kid", value)
    for name, value in {
        "with a slash": "X25519/../x",
        "33 characters": "X" * 33,
        "empty": "",
        "leading dot": ".X25519",
    }.items():
        out[f"type, {name}"] = mutated(good, "recipients.0.type", value)
    stanza = dict(good["recipients"][0])
    out["17 stanzas"] = mutated(good, "recipients", [stanza] * 17)
    out["the same stanza twice"] = mutated(good, "recipients", [stanza, stanza])
    big = {
        "type": "other",
        "kid": "0011223344556677",
        "sealed": base64.b64encode(bytes(4097)).decode(),
    }
    out["unknown stanza over 4 KiB"] = mutated(good, "recipients", [stanza, big])
    return out


def envelope_cases(route: str, good: dict[str, Any], auth: str) -> list[Case]:
    bodies: dict[str, Any] = {
        **bad_envelopes(good),
        **hostile_envelopes(good),
        **field_cases(good),
    }
    out = [
        Case(f"POST {route}: {name}", post(route, body, auth), BAD) for name, body in bodies.items()
    ]
    out += [
        Case(
            f"POST {route}: v is 2",
            post(route, mutated(good, "v", 2), auth),
            (400, "unsupported_version"),
        ),
        Case(
            f"POST {route}: v is 2**4096",
            post(route, replaced(good, "v", str(2**4096)), auth),
            (400, "unsupported_version"),
        ),
        Case(
            f"POST {route}: v is -2**4096",
            post(route, replaced(good, "v", str(-(2**4096))), auth),
            (400, "unsupported_version"),
        ),
    ]
    return out


def transport_cases(route: str, good: dict[str, Any], auth: str, what: str) -> list[Case]:
    """Content types, sizes and encodings of the body, for a route that reads JSON."""
    body = text(good)
    unsupported = (415, "unsupported_media_type")
    too_large = (413, "too_large")
    out = [
        Case(f"POST {route}: content type {ct[:40]!r}", post(route, body, auth, ct), unsupported)
        for ct in (
            "text/plain",
            "text/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/json-patch+json",
            "application/ json",
            "*/*",
            "",
            "application/" + "j" * 65536,
            ECHO,
        )
    ]
    filler = json.dumps({"pad": ""})
    over = filler[:-2] + "A" * (MAX_ENVELOPE_BYTES + 1 - len(filler)) + '"}'
    at = filler[:-2] + "A" * (MAX_ENVELOPE_BYTES - len(filler)) + '"}'
    assert len(over) == MAX_ENVELOPE_BYTES + 1 and len(at) == MAX_ENVELOPE_BYTES
    bad_request = BAD if what == "envelope" else (400, "bad_request")
    out += [
        Case(f"POST {route}: no content type", post(route, body, auth, None), unsupported),
        Case(f"POST {route}: body one byte over 1 MiB", post(route, over, auth), too_large),
        Case(
            f"POST {route}: body of exactly 1 MiB, not {what}", post(route, at, auth), bad_request
        ),
        Case(
            f"POST {route}: chunked, not {what}",
            post(route, "{" + ECHO, auth, chunked=True),
            bad_request,
        ),
        Case(
            f"POST {route}: chunked, one byte over 1 MiB",
            post(route, over, auth, chunked=True),
            too_large,
        ),
        Case(
            f"POST {route}: empty chunked body", post(route, b"", auth, chunked=True), bad_request
        ),
        Case(
            f"POST {route}: chunked and a Content-Length too",
            post(route, "{" + ECHO, auth, chunked=True, headers=(("Content-Length", "5"),)),
            bad_request,  # the host takes the chunks (RFC 9112 section 6.3), the Lambda the body
        ),
        Case(
            f"POST {route}: declared length over 1 MiB",
            post(route, body, auth, length=str(MAX_ENVELOPE_BYTES + 1)),
            too_large,
            only="lambda",  # a server waits for the bytes a length declares
        ),
        Case(
            f"POST {route}: declared length of 5,000 digits",
            post(route, "{" + ECHO, auth, length="9" * 5000),
            too_large,
            only="lambda",  # waitress refuses it itself (tests/hostile/test_corpus.py)
        ),
        Case(
            f"POST {route}: declared length in superscript digits",
            post(route, "{" + ECHO, auth, length="\u00b2"),
            bad_request,
            only="lambda",
        ),
        Case(
            f"POST {route}: body marked base64 that is not",
            post(route, body, auth, event_body=("not base64!" + ECHO, True)),
            (400, "bad_request"),
            only="lambda",
        ),
        Case(
            f"POST {route}: body with a lone surrogate",
            post(route, body, auth, event_body=('{"v": "\udc80"}', False)),
            (400, "bad_request"),
            only="lambda",
        ),
        Case(
            f"POST {route}: invalid UTF-8 bytes",
            post(route, b'{"v":1,"kind":"\xff\xfe' + ECHO.encode() + b'"}', auth),
            bad_request,
        ),
        Case(
            f"POST {route}: overlong UTF-8 quote",
            post(route, b'{"v":1,"kind":\xc0\xa2x\xc0\xa2}', auth),
            bad_request,
        ),
    ]
    return out


def token_cases(route: str, method: str, body: Any) -> list[Case]:
    """Authorization headers that carry no usable token: 401 on every route."""
    token = base64.b64encode(TOKEN_A).decode()
    headers: dict[str, str | None] = {
        **BAD_AUTHORIZATIONS,
        "64 KiB of base64": "Bearer " + "A" * 65536,
        "64 KiB of junk": "Bearer " + "!" * 65536,
        "extra padding": f"Bearer {token}=",
        "tab after the scheme": f"Bearer\t{token}",
        "scheme Token": f"Token {token}",
        "scheme with a colon": f"Bearer: {token}",
        "scheme Bearerx": f"Bearerx {token}",
        "non-ASCII in the token": f"Bearer é{token[1:]}",
        "a space inside the token": f"Bearer {token[:10]} {token[10:]}",
        "percent-encoded NUL": f"Bearer {token}%00",
        "ECHO": f"Bearer {ECHO}",
        "two headers": None,  # below
    }
    out = []
    for name, value in headers.items():
        if name == "two headers":
            extra = (("Authorization", AUTH_A), ("Authorization", AUTH_A))
            request = Request(method, route, (("Content-Type", JSON), *extra), body_of(body))
        elif method == "GET":
            request = get(route, value)
        else:
            request = post(route, body, value)
        # Waitress refuses a NUL in a header itself (test_corpus.py's transport cases).
        only = "lambda" if value and "\x00" in value else None
        out.append(Case(f"{method} {route}: token {name}", request, (401, "bad_token"), only=only))
    return out


def method_cases() -> list[Case]:
    out = []
    for route, allowed in ROUTES.items():
        for method in OTHER_METHODS:
            if method not in allowed:
                request = Request(method, route, (("Authorization", AUTH_A),), b"")
                out.append(Case(f"{method} {route}", request, (405, "method_not_allowed")))
    return out
