"""The public HTTP API: accept an encrypted report, let its reporter read the case's
mailbox and post follow-ups (docs/spec/mailbox-v1.md), and grant uploads of evidence files
straight to storage (docs/spec/upload-v1.md), all create-only.

The same module runs on AWS Lambda behind API Gateway (HTTP API, payload 2.0) and under the
local WSGI host (``functions/host.py``). It only ever sees ciphertext: it checks an
envelope's structure and that it is sealed to a set of desks the routing rules allow
(docs/spec/desks-v2.md section 4; ``functions/recipients.py``), then stores it.
The mailbox token (``Authorization: Bearer``) is the only credential; the report id comes
from it, and only its verifier is stored. Each report and follow-up carries a solved
proof-of-work challenge (``Wbs-Proof``, docs/spec/pow-v1.md), checked before the body and
spent, once, by the request's first write. A report registers the reporter's Ed25519 key
(``Wbs-Signing-Key``); each follow-up is signed with it (``Wbs-Signature``) and checked
before anything is written (docs/spec/signature-v2.md §5). It logs one line per request
from an allow-list (method, route, status, error code) and never the event, a body, a
header, an IP address or a user agent.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import (
    answers,
    envelope,
    mailbox,
    mailbox_token,
    notify,
    proofs,
    recipients,
    reporter_key,
    shares,
)
from functions.config import ConfigError, Settings
from functions.errors import (
    AlreadyExists,
    EnvelopeError,
)
from functions.log import logger
from functions.notify import Notice, Notifier
from functions.proofs import Proofs
from functions.storage import Storage, layout
from functions.uploads import Uploads

REPORTS = "/api/reports"
MAILBOX = "/api/mailbox"
HEALTH = "/api/health"
UPLOADS = "/api/uploads"
RENEW = "/api/uploads/renew"
COMPLETE = "/api/uploads/complete"
CHALLENGE = "/api/challenge"
PROOF_HEADER = "wbs-proof"  # docs/spec/pow-v1.md; never logged (nor reporter_key's headers)
# path -> methods: the Allow header of 405 answers, and the route named in log lines
ROUTES = {
    REPORTS: ("POST",),
    MAILBOX: ("GET", "POST"),
    HEALTH: ("GET",),
    UPLOADS: ("POST",),
    RENEW: ("POST",),
    COMPLETE: ("POST",),
    CHALLENGE: ("POST",),
}
JsonResponse = Response[dict[str, Any]]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Never debug: it would write the whole event (IP, user agent, body). functions.log has the
# logger and its rules.
app = APIGatewayHttpResolver(debug=False)


@dataclass
class _Wiring:
    storage: Storage | None = None
    keyring_path: Path | None = None
    routing_path: Path | None = None
    uploads: Uploads | None = None
    proofs: Proofs | None = None
    notifier: Notifier | None = None
    notifier_known: bool = False  # notifier None: none, once known


_wiring = _Wiring()


def configure(
    *,
    storage: Storage | None = None,
    keyring_path: Path | None = None,
    routing_path: Path | None = None,
    uploads: Uploads | None = None,
    proofs: Proofs | None = None,
    notifier: Notifier | None = None,
) -> None:
    """Choose the storage, keyring, routing rules, upload grants and proof-of-work gate the
    handlers use, and the ``notifier`` that tells inspectors of a new report or follow-up
    (functions/notify/). Whatever is None is taken from the environment (``Settings.from_env``) on
    first use, as on Lambda, and kept for the life of the process (a cold start). The
    keyring and the routing rules go together: with a ``keyring_path``, ``routing_path`` is
    taken as given (None: the keyring's only desk); without, both come from the
    environment."""
    _wiring.storage = storage
    _wiring.keyring_path = keyring_path
    _wiring.routing_path = routing_path
    _wiring.uploads = uploads
    _wiring.proofs = proofs
    _wiring.notifier = notifier
    _wiring.notifier_known = notifier is not None


def _storage() -> Storage:
    if _wiring.storage is None:
        _wiring.storage = Settings.from_env().open_storage()
    return _wiring.storage


def _uploads() -> Uploads:
    if _wiring.uploads is None:
        _wiring.uploads = Settings.from_env().open_uploads(_storage())
    return _wiring.uploads


def _proofs() -> Proofs:
    if _wiring.proofs is None:
        _wiring.proofs = Settings.from_env().open_proofs(_storage())
    return _wiring.proofs


def _notify(notice: Notice) -> None:
    """Tell the inspectorate, once something is stored; never raises. A setting that cannot
    be used is a failure to notify like any other: what was stored stays stored."""
    if not _wiring.notifier_known:
        try:
            _wiring.notifier = Settings.from_env().notifier
        except ConfigError:
            logger.warning("notification not sent", notify_error="ConfigError")
            return
        _wiring.notifier_known = True
    notify.deliver(_wiring.notifier, notice)


def _recipients() -> recipients.Recipients:
    """The keyring and the routing rules as they are on disk now: read again whenever either
    file changes, so that a rotation needs no restart (functions/recipients.py)."""
    if _wiring.keyring_path is None:
        settings = Settings.from_env()
        _wiring.keyring_path, _wiring.routing_path = settings.keyring_path, settings.routing_path
    return recipients.source(_wiring.keyring_path, _wiring.routing_path).current()


@app.get(HEALTH)
def health() -> JsonResponse:
    return _json(HTTPStatus.OK, {"ok": True})


@app.post(CHALLENGE)
def new_challenge() -> JsonResponse:
    """A stateless proof-of-work challenge for the next report or follow-up."""
    action = proofs.action_of(_request_json())
    return _json(HTTPStatus.OK, _proofs().challenge(action))


@app.post(REPORTS)
def submit_report() -> JsonResponse:
    token = _token()
    proof = _proofs().check(_proof_header(), "report")
    report = _envelope("report", mailbox_token.report_id(token))
    signing_key = reporter_key.key_from_header(_header(reporter_key.KEY_HEADER))
    # Sealed to the desks some answers of the reporter route to, and the recovery key.
    known = _recipients()
    desks = known.report_desks(known.counted(report.recipients))
    if desks is None:
        raise _stale_keys()
    storage = _storage()
    body = report.to_json()
    # Everything about the request is checked: the proof is spent by the first write, and
    # a taken receipt code (409 id_taken, below) has used it.
    _proofs().spend(proof)
    received = mailbox.claim(storage, report.id, token, body, signing_key, desks)
    # Already there: stored by an earlier attempt under this same claim (a client or boto3
    # retry whose answer was lost), which the verifier has just recognised.
    with contextlib.suppress(AlreadyExists):
        storage.put_new(
            layout.report(report.id),
            envelope.canonical_json({"received": received, "envelope": body}),
            desks=desks,
        )
        _notify(notify.NEW_REPORT)  # only when this attempt stored it; never raises
    return _json(HTTPStatus.CREATED, {"id": report.id, "received": received})


@app.get(MAILBOX)
def read_mailbox() -> JsonResponse:
    report_id, opened = _open_mailbox()
    storage = _storage()
    desks = _case_desks(storage, report_id, opened, _recipients())
    stored = (_stored_message(storage, key) for key in mailbox.keys(storage, report_id))
    messages = [m.to_json() for m in stored if m is not None]
    answer: dict[str, Any] = {"id": report_id, "received": opened.received, "desks": list(desks)}
    answer |= {"messages": messages, "uploads_left": _uploads().room(report_id)}
    return _json(HTTPStatus.OK, answer)


@app.post(MAILBOX)
def post_followup() -> JsonResponse:
    token = _token()
    proof = _proofs().check(_proof_header(), "followup")
    report_id, opened = _open_mailbox(token)
    followup = _envelope("followup", report_id)
    # Signed with the key registered with the report, or refused before anything is written.
    signature = reporter_key.check_followup(
        followup, _header(reporter_key.SIGNATURE_HEADER), opened.signing_key
    )
    if len(followup.ciphertext) - envelope.TAG_BYTES > mailbox.MAX_FOLLOWUP_BUCKET:
        raise answers.ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "too_large",
            f"A follow-up holds at most {mailbox.MAX_FOLLOWUP_BUCKET // 1024} KiB of text.",
        )
    storage = _storage()
    known = _recipients()
    # Sealed to the case's desks, the recovery key and one other key: the reporter's.
    desks = _case_desks(storage, report_id, opened, known)
    if not known.followup_allowed(known.counted(followup.recipients), desks):
        raise _stale_keys()
    mailbox.check_room(storage, report_id)
    _proofs().spend(proof)
    posted = mailbox.post_followup(storage, report_id, followup, signature, desks)
    if posted.new:
        _notify(notify.REPORTER_WROTE)  # never raises; not for a retry of a stored one
    return _json(HTTPStatus.CREATED, {"sent": posted.message.sent})


# Uploads: the grants, their limits and the parts' checks live in functions/uploads/; the
# routes only open the case, exactly as the mailbox does.


@app.post(UPLOADS)
def grant_uploads() -> JsonResponse:
    case, opened = _open_mailbox()
    # Tagged for the mailbox's desks, as a follow-up is: the file's key travels in a sealed
    # report or follow-up, and whoever that is sealed to must be able to fetch the file.
    desks = _case_desks(_storage(), case, opened, _recipients())
    return _json(HTTPStatus.CREATED, _uploads().grant(case, _request_json(), desks))


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
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The request body is not valid JSON."
        ) from None


def _token() -> bytes:
    return mailbox_token.from_header(app.current_event.headers.get("authorization"))


def _proof_header() -> str | None:
    return _header(PROOF_HEADER)


def _header(name: str) -> str | None:
    return app.current_event.headers.get(name)


def _open_mailbox(token: bytes | None = None) -> tuple[str, mailbox.Opened]:
    """The id of the case whose mailbox the request's token opens, with what its verifier
    records (receipt time, the reporter's signing key).

    No mailbox, an unreadable verifier and a verifier that does not match all get the same
    answer, so that nothing tells which ids exist."""
    token = _token() if token is None else token
    report_id = mailbox_token.report_id(token)
    opened = mailbox.opened_by(_storage(), report_id, token)
    if opened is None:
        raise _unknown_code()
    return report_id, opened


def _case_desks(
    storage: Storage, report_id: str, opened: mailbox.Opened, known: recipients.Recipients
) -> tuple[str, ...]:
    """The desks a case's follow-ups are sealed to (docs/spec/desks-v2.md sections 5.4 to
    6.5): those its report was routed to, and those of its shares that count; a desk the
    keyring has retired is left out."""
    own = known.case_desks(opened.desks)
    every = shares.case_desks(storage, report_id, known.ring, own)
    return tuple(sorted(desk for desk in every if desk in known.active))


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
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST, "wrong_kind", f"Only {kind} envelopes can be sent here."
        )
    if sent.id != report_id:
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST,
            "id_mismatch",
            "The envelope's id is not the one its receipt code gives; reload the page and "
            "try again.",
        )
    return sent


def _stale_keys() -> answers.ApiError:
    return answers.ApiError(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "stale_keys",
        "This page is out of date: it encrypted to keys the inspectorate does not use now. "
        "Reload the page and send again.",
    )


def _unknown_code() -> answers.ApiError:
    return answers.ApiError(
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
        raise answers.ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            f"Send the {what} as application/json.",
        )
    declared = event.headers.get("content-length") or ""
    # ASCII digits only ("²".isdigit() is True), and never int() of thousands of digits
    digits = declared.lstrip("0") if declared.isascii() and declared.isdigit() else ""
    if len(digits) > 9 or (digits and int(digits) > envelope.MAX_ENVELOPE_BYTES):
        raise _too_large(what)
    body = event.body or ""
    try:
        data = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except (binascii.Error, UnicodeError):
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST, "bad_request", "The request body could not be read."
        ) from None
    if len(data) > envelope.MAX_ENVELOPE_BYTES:
        raise _too_large(what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("not valid UTF-8 JSON") from None


def _too_large(what: str) -> answers.ApiError:
    return answers.ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "too_large",
        f"The {what} is larger than {envelope.MAX_ENVELOPE_BYTES} bytes; attach large files "
        "as evidence uploads instead.",
    )


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
    err = answers.for_error(exc, app.current_event.path, ROUTES)
    logger.append_keys(error=err.code)  # logged once, on the request's line (lambda_handler)
    return _json(err.status, {"error": err.code, "message": err.message}, err.headers)


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
