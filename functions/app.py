"""The public HTTP API: accept an encrypted report and store its ciphertext, create-only.

The same module runs on AWS Lambda behind API Gateway (HTTP API, payload 2.0) and under the
local WSGI host (``functions/host.py``). It only ever sees ciphertext: it checks an
envelope's structure and that it is addressed to every active inspector key, then stores it.
It logs one line per request from an allow-list (method, route, status, error code) and
never the event, a body, a header, an IP address or a user agent.
"""

from __future__ import annotations

import base64
import binascii
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

from functions import envelope, keyring
from functions.config import ConfigError, Settings
from functions.errors import AlreadyExists, EnvelopeError, StorageError, UnsupportedVersion
from functions.storage import Storage

REPORTS = "/api/reports"
HEALTH = "/api/health"
ROUTES = {REPORTS: "POST", HEALTH: "GET"}  # path -> method: 405 answers, route in log lines
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


_wiring = _Wiring()


def configure(*, storage: Storage | None = None, keyring_path: Path | None = None) -> None:
    """Choose the storage and keyring the handlers use. Whatever is None is taken from the
    environment (``Settings.from_env``) on first use, as on Lambda."""
    _wiring.storage = storage
    _wiring.keyring_path = keyring_path


def _storage() -> Storage:
    if _wiring.storage is None:
        _wiring.storage = Settings.from_env().open_storage()
    return _wiring.storage


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
    report = envelope.parse(_body_text())
    if report.kind != "report":
        raise ApiError(HTTPStatus.BAD_REQUEST, "wrong_kind", "Only reports can be sent here.")
    kids = {r.kid for r in report.recipients if r.type == envelope.X25519}
    if kids != _active_kids():
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "stale_keys",
            "This page is out of date: it encrypted the report to keys the inspectorate does "
            "not use now. Reload the page and send the report again.",
        )
    received = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stored = {"received": received, "envelope": report.to_json()}
    _storage().put_new(f"reports/{report.id}.json", _canonical(stored))
    return _json(HTTPStatus.CREATED, {"id": report.id, "received": received})


def _body_text() -> str:
    """The request body as text, after the content-type and size checks."""
    event = app.current_event
    media_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != content_types.APPLICATION_JSON:
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the report as application/json.",
        )
    declared = event.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > envelope.MAX_ENVELOPE_BYTES:
        raise _too_large()
    body = event.body or ""
    try:
        data = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except (binascii.Error, UnicodeError):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The request body could not be read."
        ) from None
    if len(data) > envelope.MAX_ENVELOPE_BYTES:
        raise _too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("not valid UTF-8 JSON") from None


def _too_large() -> ApiError:
    return ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "too_large",
        f"The report is larger than {envelope.MAX_ENVELOPE_BYTES} bytes; attach large files "
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
        case NotFoundError() if app.current_event.path in ROUTES:
            method = ROUTES[app.current_event.path]
            return ApiError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"This address only answers {method} requests.",
                {"Allow": method},
            )
        case NotFoundError():
            return ApiError(HTTPStatus.NOT_FOUND, "not_found", "There is nothing at this address.")
        case UnsupportedVersion():
            return ApiError(
                HTTPStatus.BAD_REQUEST,
                "unsupported_version",
                f"The server does not accept this envelope ({exc}); reload the page and send "
                "the report again.",
            )
        case EnvelopeError():
            message = f"The report is not a valid envelope: {exc}."
            return ApiError(HTTPStatus.BAD_REQUEST, "bad_envelope", message)
        case AlreadyExists():
            return ApiError(
                HTTPStatus.CONFLICT,
                "id_taken",
                "A report with this number already exists; send it again under a new number.",
            )
        case StorageError():
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The report could not be stored just now. Please try again in a moment.",
                {"Retry-After": "5"},
            )
        case ConfigError() | keyring.KeyringError():
            # The message names server settings (a path, a URL), never anything from a request.
            logger.error("server misconfigured", detail=str(exc))
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_misconfigured",
                "The server is not ready to accept reports. Please try again later.",
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
