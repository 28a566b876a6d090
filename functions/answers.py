"""What the API answers for each error: an HTTP status, a short stable code and one
sentence for people. Messages never repeat anything from the request; unexpected errors are
logged by type and place only."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from http import HTTPStatus

from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from functions import keyring, mailbox, routing
from functions.config import ConfigError
from functions.errors import (
    AlreadyExists,
    Denied,
    EnvelopeError,
    StorageError,
    UnsupportedVersion,
)
from functions.log import logger
from functions.mailbox_token import TokenError
from functions.proofs import ProofError
from functions.uploads import UploadError


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


def for_error(exc: Exception, path: str, routes: Mapping[str, tuple[str, ...]]) -> ApiError:
    """Turn an error into words for the reporter: one status, one code, one sentence.
    ``path`` and ``routes`` tell a wrong method (405) from an unknown address (404)."""
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
        case NotFoundError() if path in routes:
            methods = routes[path]
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
        case mailbox.MailboxFull():
            return ApiError(HTTPStatus.FORBIDDEN, "mailbox_full", str(exc))
        case UploadError() | ProofError():
            return ApiError(exc.status, exc.code, exc.message)
        case AlreadyExists():
            return ApiError(
                HTTPStatus.CONFLICT,
                "id_taken",
                "A report with this receipt code already exists; send it again under a new code.",
            )
        case StorageError() | OSError():
            if not isinstance(exc, StorageError):  # the disk or network, unnamed by a store
                _log_unexpected("storage failure", exc)
            if isinstance(exc, Denied):  # the role lacks a grant (a missing key is NotFound)
                logger.error("storage refused access", error_type="Denied")
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The server could not reach its storage just now. Please try again in a moment.",
                {"Retry-After": "5"},
            )
        case ConfigError() | keyring.KeyringError() | routing.RoutingError():
            # The message names server settings (a path, a URL), never anything from a request.
            logger.error("server misconfigured", detail=str(exc))
            return ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "server_misconfigured",
                "The server is not ready to take requests. Please try again later.",
            )
    _log_unexpected("unhandled error", exc)
    return ApiError(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on the server. Please try again later.",
    )


def _log_unexpected(what: str, exc: Exception) -> None:
    """Type and place only: an exception's message could hold input."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    logger.error(
        what,
        error_type=type(exc).__name__,
        where=f"{frame.filename}:{frame.lineno}" if frame else None,
    )
