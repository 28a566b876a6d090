"""The public HTTP API: accept an encrypted report, let its reporter read the case's
mailbox and post follow-ups (docs/spec/mailbox-v1.md), and grant uploads of evidence files
straight to storage (docs/spec/upload-v1.md), all create-only.

The same module runs on AWS Lambda behind API Gateway (HTTP API, payload 2.0) and under the
local WSGI host (``functions/host.py``). It only ever sees ciphertext: it checks an
envelope's structure and that it is addressed to every active inspector key, then stores it.
The mailbox token (``Authorization: Bearer``) is the only credential; the report id comes
from it, and only its verifier is stored. It logs one line per request from an allow-list
(method, route, status, error code) and never the event, a body, a header, an IP address or
a user agent.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import envelope, keyring, mailbox, mailbox_token
from functions.config import ConfigError, Settings
from functions.errors import (
    AlreadyExists,
    EnvelopeError,
    NotFound,
    StorageError,
    UnsupportedVersion,
)
from functions.mailbox_token import TokenError
from functions.storage import Storage
from functions.uploads import UploadError, Uploads

REPORTS = "/api/reports"
MAILBOX = "/api/mailbox"
HEALTH = "/api/health"
UPLOADS = "/api/uploads"
RENEW = "/api/uploads/renew"
COMPLETE = "/api/uploads/complete"
# path -> methods: the Allow header of 405 answers, and the route named in log lines
ROUTES = {
    REPORTS: ("POST",),
    MAILBOX: ("GET", "POST"),
    HEALTH: ("GET",),
    UPLOADS: ("POST",),
    RENEW: ("POST",),
    COMPLETE: ("POST",),
}
JsonResponse = Response[dict[str, Any]]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Never log_event, never debug: both would write the whole event (IP, user agent, body).
logger = Logger(service="wbs-api", log_uncaught_exceptions=False)
app = APIGatewayHttpResolver(debug=False)


class ApiError(Exception):
    """An answer for people: an HTTP status, a short stable code and one sentence."""

    def __init__(
        self, status: HTTPStatus, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class _Wiring:
    storage: Storage | None = None
    keyring_path: Path | None = None
    uploads: Uploads | None = None


_wiring = _Wiring()


def configure(
    *,
    storage: Storage | None = None,
    keyring_path: Path | None = None,
    uploads: Uploads | None = None,
) -> None:
    """Choose the storage, keyring and upload grants the handlers use. Whatever is None is
    taken from the environment (``Settings.from_env``) on first use, as on Lambda."""
    _wiring.storage = storage
    _wiring.keyring_path = keyring_path
    _wiring.uploads = uploads


def _storage() -> Storage:
    if _wiring.storage is None:
        _wiring.storage = Settings.from_env().open_storage()
    return _wiring.storage


def _uploads() -> Uploads:
    if _wiring.uploads is None:
        _wiring.uploads = Settings.from_env().open_uploads(_storage())
    return _wiring.uploads


def _active_kids() -> frozenset[str]:
    """Read on every request, so that a key rotation needs no restart."""
    if _wiring.keyring_path is None:
        _wiring.keyring_path = Settings.from_env().keyring_path
    return frozenset(k.kid for k in keyring.load_active(_wiring.keyring_path).active())


@app.get(HEALTH)
def health() -> JsonResponse:
    return _json(HTTPStatus.OK, {"ok": True})


@app.post(REPORTS)
def submit_report() -> JsonResponse:
    token = _token()
    report = _envelope("report", mailbox_token.report_id(token))
    if _x25519_kids(report) != _active_kids():
        raise _stale_keys()
    storage = _storage()
    body = report.to_json()
    received = _claim_mailbox(storage, report.id, token, _digest(body))
    # Already there: stored by an earlier attempt under this same claim (a client or boto3
    # retry whose answer was lost), which the verifier has just recognised.
    with contextlib.suppress(AlreadyExists):
        storage.put_new(
            _report_key(report.id), _canonical({"received": received, "envelope": body})
        )
    return _json(HTTPStatus.CREATED, {"id": report.id, "received": received})


def _claim_mailbox(storage: Storage, report_id: str, token: bytes, digest: str) -> str:
    """Write the mailbox's verifier before the report; return the report's receipt time.

    The verifier also records the report's digest, so that the same report sent again with
    the same code (an answer lost on the way back) is accepted once more and stored once;
    any other existing verifier means the receipt code is taken (409), and nothing is
    written."""
    received = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {"received": received, "verifier": mailbox_token.verifier(token), "report": digest}
    try:
        storage.put_new(mailbox.verifier_key(report_id), _canonical(record))
    except AlreadyExists:
        stored = _verifier_record(storage, report_id, token)
        if stored is None or stored.get("report") != digest:
            raise
        return str(stored["received"])
    return received


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()


@app.get(MAILBOX)
def read_mailbox() -> JsonResponse:
    report_id, received = _open_mailbox()
    storage = _storage()
    stored = (_stored_message(storage, key) for key in mailbox.keys(storage, report_id))
    messages = [
        {"sent": m.sent, "from": m.sender, "envelope": m.envelope.to_json()}
        for m in stored
        if m is not None
    ]
    return _json(HTTPStatus.OK, {"id": report_id, "received": received, "messages": messages})


@app.post(MAILBOX)
def post_followup() -> JsonResponse:
    report_id, _ = _open_mailbox()
    followup = _envelope("followup", report_id)
    if len(followup.ciphertext) - envelope.TAG_BYTES > mailbox.MAX_FOLLOWUP_BUCKET:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "too_large",
            f"A follow-up holds at most {mailbox.MAX_FOLLOWUP_BUCKET // 1024} KiB of text.",
        )
    kids, active = _x25519_kids(followup), _active_kids()
    if not active <= kids or len(kids - active) > 1:  # the one other key is the reporter's
        raise _stale_keys()
    storage = _storage()
    senders = [mailbox.sender_of(key) for key in mailbox.keys(storage, report_id)]
    if senders.count("reporter") >= mailbox.MAX_REPORTER_MESSAGES:
        raise ApiError(
            HTTPStatus.FORBIDDEN,
            "mailbox_full",
            f"This case already holds {mailbox.MAX_REPORTER_MESSAGES} messages from the "
            "reporter, the most it takes; wait for the inspectorate to answer.",
        )
    message = mailbox.post(storage, report_id, "reporter", followup)
    return _json(HTTPStatus.CREATED, {"sent": message.sent})


# Uploads: the grants, their limits and the parts' checks live in functions/uploads/; the
# routes only open the case, exactly as the mailbox does.


@app.post(UPLOADS)
def grant_uploads() -> JsonResponse:
    case, _ = _open_mailbox()
    return _json(HTTPStatus.CREATED, _uploads().grant(case, _request_json()))


@app.post(RENEW)
def renew_upload() -> JsonResponse:
    case, _ = _open_mailbox()
    return _json(HTTPStatus.OK, _uploads().renew(case, _request_json()))


@app.post(COMPLETE)
def complete_upload() -> JsonResponse:
    case, _ = _open_mailbox()
    return _json(HTTPStatus.CREATED, _uploads().complete(case, _request_json()))


def _request_json() -> Any:
    """A small JSON request body, parsed strictly (no duplicate members, no NaN)."""
    try:
        return envelope.loads_strict(_body_text("request"))
    except EnvelopeError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The request body is not valid JSON."
        ) from None


def _token() -> bytes:
    return mailbox_token.from_header(app.current_event.headers.get("authorization"))


def _report_key(report_id: str) -> str:
    return f"reports/{report_id}.json"


def _open_mailbox() -> tuple[str, str]:
    """The id and receipt time of the case whose mailbox the request's token opens.

    No mailbox, an unreadable verifier and a verifier that does not match all get the same
    answer, so that nothing tells which ids exist."""
    token = _token()
    report_id = mailbox_token.report_id(token)
    received = _verifier_received(_storage(), report_id, token)
    if received is None:
        raise _unknown_code()
    return report_id, received


def _verifier_received(storage: Storage, report_id: str, token: bytes) -> str | None:
    """The time the case was received, if its stored verifier matches the token."""
    record = _verifier_record(storage, report_id, token)
    return None if record is None else str(record["received"])


def _verifier_record(storage: Storage, report_id: str, token: bytes) -> dict[str, Any] | None:
    """The stored verifier record, if there is one and it matches the token."""
    try:
        record = envelope.loads_strict(storage.get(mailbox.verifier_key(report_id)))
    except (NotFound, EnvelopeError):
        return None
    match record:
        case {"received": str(), "verifier": str(verifier)}:
            if mailbox_token.matches(token, verifier):
                return dict(record)
    return None


def _stored_message(storage: Storage, key: str) -> mailbox.Message | None:
    """A stored message, or None (logged by its object's name alone) if it is malformed."""
    try:
        return mailbox.parse(key, storage.get(key))
    except EnvelopeError:
        logger.warning("unreadable message skipped", object_name=key.rpartition("/")[2])
        return None


def _envelope(kind: str, report_id: str) -> envelope.Envelope:
    """The request body: an envelope of this kind, for this report."""
    sent = envelope.parse(_body_text())
    if sent.kind != kind:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "wrong_kind", f"Only {kind} envelopes can be sent here."
        )
    if sent.id != report_id:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "id_mismatch",
            "The envelope's id is not the one its receipt code gives; reload the page and "
            "try again.",
        )
    return sent


def _x25519_kids(sent: envelope.Envelope) -> frozenset[str]:
    return frozenset(r.kid for r in sent.recipients if r.type == envelope.X25519)


def _stale_keys() -> ApiError:
    return ApiError(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "stale_keys",
        "This page is out of date: it encrypted to keys the inspectorate does not use now. "
        "Reload the page and send again.",
    )


def _unknown_code() -> ApiError:
    return ApiError(
        HTTPStatus.NOT_FOUND,
        "unknown_code",
        "No report matches this receipt code; check every character of the code and enter "
        "it again.",
    )


def _body_text(what: str = "envelope") -> str:
    """The request body as text, after the content-type and size checks."""
    event = app.current_event
    media_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != content_types.APPLICATION_JSON:
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            f"Send the {what} as application/json.",
        )
    declared = event.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > envelope.MAX_ENVELOPE_BYTES:
        raise _too_large(what)
    body = event.body or ""
    try:
        data = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except (binascii.Error, UnicodeError):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The request body could not be read."
        ) from None
    if len(data) > envelope.MAX_ENVELOPE_BYTES:
        raise _too_large(what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("not valid UTF-8 JSON") from None


def _too_large(what: str) -> ApiError:
    return ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "too_large",
        f"The {what} is larger than {envelope.MAX_ENVELOPE_BYTES} bytes; attach large files "
        "as evidence uploads instead.",
    )


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def _json(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JsonResponse:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


# Powertools leaves exception_handler untyped. Registered for Exception, this one handler
# also receives the NotFoundError of unmatched routes, so every error answer passes here.
@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def answer(exc: Exception) -> JsonResponse:
    err = _as_api_error(exc)
    logger.append_keys(error=err.code)  # logged once, on the request's line (lambda_handler)
    return _json(err.status, {"error": err.code, "message": err.message}, err.headers)


def _as_api_error(exc: Exception) -> ApiError:
    """Turn an error into words for the reporter: one status, one code, one sentence."""
    match exc:
        case ApiError():
            return exc
        case TokenError():
            return ApiError(
                HTTPStatus.UNAUTHORIZED,
                "bad_token",
                f"The mailbox token is not usable: {exc}.",
                {"WWW-Authenticate": "Bearer"},
            )
        case NotFoundError() if app.current_event.path in ROUTES:
            methods = ROUTES[app.current_event.path]
            return ApiError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"This address only answers {' and '.join(methods)} requests.",
                {"Allow": ", ".join(methods)},
            )
        case NotFoundError():
            return ApiError(HTTPStatus.NOT_FOUND, "not_found", "There is nothing at this address.")
        case UnsupportedVersion():
            return ApiError(
                HTTPStatus.BAD_REQUEST,
                "unsupported_version",
                f"The server does not accept this envelope ({exc}); reload the page and send "
                "it again.",
            )
        case EnvelopeError():
            message = f"This is not a valid envelope: {exc}."
            return ApiError(HTTPStatus.BAD_REQUEST, "bad_envelope", message)
        case UploadError():
            return ApiError(exc.status, exc.code, exc.message)
        case AlreadyExists():
            return ApiError(
                HTTPStatus.CONFLICT,
                "id_taken",
                "A report with this receipt code already exists; send it again under a new code.",
            )
        case StorageError():
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The server could not reach its storage just now. Please try again in a moment.",
                {"Retry-After": "5"},
            )
        case ConfigError() | keyring.KeyringError():
            # The message names server settings (a path, a URL), never anything from a request.
            logger.error("server misconfigured", detail=str(exc))
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_misconfigured",
                "The server is not ready to take requests. Please try again later.",
            )
    # Type and place only: an exception's message could hold input.
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    logger.error(
        "unhandled error",
        error_type=type(exc).__name__,
        where=f"{frame.filename}:{frame.lineno}" if frame else None,
    )
    return ApiError(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on the server. Please try again later.",
    )


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        response: dict[str, Any] = app.resolve(event, context)
        request = APIGatewayProxyEventV2(event)
        logger.info(
            "request",
            method=request.http_method if request.http_method in METHODS else "other",
            route=request.path if request.path in ROUTES else "other",
            status=response["statusCode"],
        )
        return response
    finally:
        logger.remove_keys(["error"])
