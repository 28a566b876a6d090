"""The inspector API of a self-hosted service (docs/spec/inspector-api-v1.md): the ciphertext
of the store for inspectors' own machines, and their replies, notes and grants back into it.

Off unless ``WBS_INSPECTOR_API=on``; ``functions/host.py`` sends it every path under
``/inspector/``. Every request is signed by an inspector's person key that is active in the
keyring the served site was built from (``functions/inspector_auth.py``). What it serves is
what the inspector's tool reads, and what it stores is what the tool writes, both spelt by
``functions/storage/layout.py``: never a report, a verifier or a reporter's message, which
come from reporters through the public API. Writes are create-only (409 when taken). Nothing
about a request is logged but the kind of a refusal: no address, user agent, key id or path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl
from wsgiref.types import StartResponse, WSGIEnvironment

from functions.envelope import ID_RE, MAX_ENVELOPE_BYTES
from functions.errors import AlreadyExists, InvalidKey, NotFound, StorageError, WbsError
from functions.headers import SECURITY_HEADERS
from functions.inspector_auth import HEADERS, Gate, Refused, body_digest
from functions.log import logger
from functions.storage import ObjectInfo, Readable, Storage, layout
from functions.storage.base import check_key, check_prefix
from functions.storage.tags import TagError, tagging

ROOT = "/inspector/"  # every path below it is this API's, on or off
OBJECTS = "/inspector/v1/objects"
MAX_BODY = MAX_ENVELOPE_BYTES  # the largest object the tool writes: a sealed reply or note
PAGE_SIZE = 1000  # keys in a listing's page, at most and by default
CHUNK = 64 * 1024  # an object is sent in pieces of this size
JSON = "application/json"
STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
# The folders an inspector may list; within them, only keys ``readable`` accepts are shown.
READABLE = (
    layout.REPORTS,
    layout.MAILBOXES,
    layout.NOTES,
    layout.ATTACHMENTS,
    layout.DESKS,
    layout.SHARES,
)


class Failure(WbsError):
    """A request this API answers with an error: ``status``, ``code`` and a message."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def readable(key: str) -> bool:
    """What the tool fetches: reports, messages (not a verifier or a reservation), notes,
    evidence files, membership and case grants."""
    parts = key.split("/")
    attachment = (
        len(parts) == 3
        and parts[0] + "/" == layout.ATTACHMENTS
        and all(ID_RE.fullmatch(p) for p in parts[1:])
    )
    return (
        layout.report_id(key) is not None
        or layout.is_message(key)
        or layout.is_note(key)
        or attachment
        or writable(key)
    )


def writable(key: str) -> bool:
    """What the tool writes: the inspectorate's messages (replies, status changes), notes and
    access records, membership grants, case grants."""
    return (
        (layout.is_message(key) and layout.sender(key) == "inspectorate")
        or layout.is_note(key)
        or layout.parse_desk_grant(key) is not None
        or layout.share_desk(key) is not None
    )


class InspectorApi:
    """The WSGI application of ``/inspector/``, on ``storage``, for the person keys of the
    keyring at ``keyring_path``."""

    def __init__(self, storage: Storage, keyring_path: Path, gate: Gate | None = None) -> None:
        self.storage = storage
        self.gate = gate or Gate(keyring_path)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        try:
            status, headers, body = self._answer(environ)
        except (Failure, Refused) as exc:
            logger.warning("inspector request refused", status=int(exc.status), error=exc.code)
            status, headers, body = _error(exc.status, exc.code, str(exc))
        except Exception as exc:  # noqa: BLE001 - type only: a message could hold a path
            logger.error("inspector request failed", error_type=type(exc).__name__)
            status, headers, body = _error(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong."
            )
        start_response(f"{status} {status.phrase}", list({**SECURITY_HEADERS, **headers}.items()))
        if method == "HEAD":
            return [b""]
        return body

    def _answer(
        self, environ: WSGIEnvironment
    ) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        query = environ.get("QUERY_STRING") or ""
        if path != OBJECTS and not path.startswith(OBJECTS + "/"):
            raise Failure(HTTPStatus.NOT_FOUND, "not_found", "There is nothing at this address.")
        if method not in ("GET", "PUT") or (method == "PUT" and path == OBJECTS):
            raise Failure(
                HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET, or PUT of a key."
            )
        body = _body(environ) if method == "PUT" else b""
        headers = {name.lower(): str(environ.get(_cgi(name)) or "") for name in HEADERS}
        try:
            self.gate.check(method, path, query, headers, body_digest(body))
        except WbsError as exc:
            if isinstance(exc, Refused):
                raise
            raise Failure(  # the served keyring cannot be read
                HTTPStatus.SERVICE_UNAVAILABLE, "keyring_unavailable", "Try again later."
            ) from None
        params = _params(query)
        if path == OBJECTS:
            return self._list(params)
        key = _key(path.removeprefix(OBJECTS + "/"))
        if method == "GET":
            return self._get(key, params)
        return self._put(key, params, body)

    def _list(self, params: dict[str, str]) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
        _only(params, {"prefix", "after", "limit"})
        prefix, after = params.get("prefix", ""), params.get("after", "")
        limit_text = params.get("limit", str(PAGE_SIZE))
        if not (
            limit_text.isascii() and limit_text.isdecimal() and 1 <= int(limit_text) <= PAGE_SIZE
        ):
            raise Failure(
                HTTPStatus.BAD_REQUEST, "bad_limit", f"limit is a number from 1 to {PAGE_SIZE}."
            )
        try:
            check_prefix(prefix)
        except InvalidKey:
            raise Failure(HTTPStatus.BAD_REQUEST, "invalid_key", "prefix is not a key.") from None
        if not prefix.startswith(READABLE):
            raise Failure(
                HTTPStatus.FORBIDDEN, "not_readable", "Inspectors may not list this prefix."
            )
        found: list[dict[str, object]] = []
        more = False
        for info in _stored(self.storage, prefix):
            if info.key <= after or not readable(info.key):
                continue
            if len(found) == int(limit_text):
                more = True
                break
            modified = info.modified.strftime(STAMP)
            found.append({"key": info.key, "size": info.size, "modified": modified})
        return _json(HTTPStatus.OK, {"objects": found, "next": found[-1]["key"] if more else None})

    def _get(
        self, key: str, params: dict[str, str]
    ) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
        _only(params, set())
        if not readable(key):
            raise Failure(HTTPStatus.FORBIDDEN, "not_readable", "Inspectors may not read this key.")
        try:
            stream = self.storage.stream(key)
        except NotFound:
            raise Failure(HTTPStatus.NOT_FOUND, "not_found", "No object has this key.") from None
        except StorageError:
            raise _unavailable() from None
        headers = {"Content-Type": "application/octet-stream", "Cache-Control": "no-store"}
        size = _size(stream)
        if size is not None:
            headers["Content-Length"] = str(size)
        return HTTPStatus.OK, headers, _pieces(stream)

    def _put(
        self, key: str, params: dict[str, str], body: bytes
    ) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
        _only(params, {"desks"})
        if not writable(key):
            raise Failure(
                HTTPStatus.FORBIDDEN, "not_writable", "Inspectors may not write this key."
            )
        desks = [d for d in params.get("desks", "").split(",") if d]
        try:
            tagging(desks)
            self.storage.put_new(key, body, desks=desks)
        except TagError:
            raise Failure(
                HTTPStatus.BAD_REQUEST, "bad_desks", "desks is not a list of desk ids."
            ) from None
        except AlreadyExists:
            raise Failure(
                HTTPStatus.CONFLICT, "exists", "An object has this key: nothing was changed."
            ) from None
        except StorageError:
            raise _unavailable() from None
        return _json(HTTPStatus.CREATED, {"key": key})


def _cgi(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def _body(environ: WSGIEnvironment) -> bytes:
    declared = str(environ.get("CONTENT_LENGTH") or "")
    if not declared.isascii() or not declared.isdecimal():
        raise Failure(HTTPStatus.LENGTH_REQUIRED, "length_required", "Send a Content-Length.")
    if int(declared) > MAX_BODY:
        raise Failure(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", f"At most {MAX_BODY} bytes."
        )
    body: bytes = environ["wsgi.input"].read(int(declared))
    if len(body) != int(declared):
        raise Failure(HTTPStatus.BAD_REQUEST, "short_body", "The body is shorter than declared.")
    return body


def _params(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise Failure(HTTPStatus.BAD_REQUEST, "bad_query", "The query is malformed.") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise Failure(HTTPStatus.BAD_REQUEST, "bad_query", "A parameter is repeated.")
    return params


def _only(params: dict[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise Failure(HTTPStatus.BAD_REQUEST, "bad_query", f"Unknown parameter {unknown[0]!r}.")


def _key(text: str) -> str:
    try:
        return check_key(text)
    except InvalidKey:
        raise Failure(
            HTTPStatus.BAD_REQUEST,
            "invalid_key",
            "The key is not name/name/... of A-Z a-z 0-9 . _ -.",
        ) from None


def _stored(storage: Storage, prefix: str) -> Iterator[ObjectInfo]:
    """``storage.list(prefix)``; a failure, when it is called or while it is read, a 503."""
    try:
        yield from storage.list(prefix)
    except StorageError:
        raise _unavailable() from None


def _size(stream: Readable) -> int | None:
    """The size of a stream that is a file (the local store's), else None (sent chunked)."""
    fileno = getattr(stream, "fileno", None)
    try:
        return os.fstat(fileno()).st_size if callable(fileno) else None
    except OSError:
        return None


def _pieces(stream: Readable) -> Iterator[bytes]:
    """The object in pieces, the stream closed at the end (or when the client goes away)."""
    try:
        while piece := stream.read(CHUNK):
            yield piece
    finally:
        stream.close()


def _json(
    status: HTTPStatus, value: object, headers: dict[str, str] | None = None
) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
    body = json.dumps(value).encode()
    length = str(len(body))
    return (
        status,
        {
            "Content-Type": JSON,
            "Cache-Control": "no-store",
            "Content-Length": length,
            **(headers or {}),
        },
        [body],
    )


def _unavailable() -> Failure:
    return Failure(
        HTTPStatus.SERVICE_UNAVAILABLE, "storage_unavailable", "The store failed: try again."
    )


def _error(
    status: HTTPStatus, code: str, message: str
) -> tuple[HTTPStatus, dict[str, str], Iterable[bytes]]:
    """An error in the API's voice: ``{"error", "message"}``, never cached."""
    challenge = (
        {"WWW-Authenticate": "Wbs-Inspector-v1"} if status == HTTPStatus.UNAUTHORIZED else {}
    )
    return _json(status, {"error": code, "message": message}, challenge)
