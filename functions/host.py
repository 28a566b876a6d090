"""The API and the built site under a real WSGI server (waitress): the embedded default and
the self-hosted deployment, for data that must stay on the institution's own server.

``/api/*`` goes to the very handlers that run on Lambda: the request becomes an API Gateway
HTTP API (payload 2.0) event that holds only the method, path, query string, body and the
content-type, content-length, authorization (the mailbox token), proof-of-work and
reporter-signature headers. The client's address, user agent and every other header never
reach the handlers, so they cannot be logged or stored. ``PUT
/attachments/<case>/<file>?<grant>`` takes one part of an evidence upload
(docs/spec/upload-v1.md) when storage is a local folder: the grant is checked before the
body is read, and the body is streamed to disk. With ``WBS_INSPECTOR_API=on``, every path
under ``/inspector/`` goes to the inspector API (functions/inspector_api.py: inspectors'
signed requests for the store's ciphertext). Everything else is a static file of the
built site. No access log is kept; every answer carries the security headers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from aws_lambda_powertools.utilities.typing import LambdaContext
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from functions import app as api
from functions.config import Settings
from functions.envelope import MAX_ENVELOPE_BYTES
from functions.errors import StorageError
from functions.headers import SECURITY_HEADERS
from functions.inspector_api import ROOT as INSPECTOR_ROOT
from functions.inspector_api import InspectorApi
from functions.log import logger
from functions.notify.background import Background
from functions.uploads import LocalUploads, UploadError

# Waitress refuses bodies of this size or more on its own (plain text); below it, the API
# and the part handler answer in JSON. The limit is raised to the part size (make_server).
MARGIN = 64 * 1024
MAX_REQUEST_BODY = MAX_ENVELOPE_BYTES + MARGIN
ATTACHMENTS = "/attachments/"
JSON = "application/json"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}
# Sent gzipped to a client that accepts it: text, and WebAssembly (libsodium's shrinks by half).
# Images and fonts are compressed already. API answers are never compressed here (BREACH).
COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".wasm", ".svg", ".txt", ".webmanifest"}
# Compressed bodies are kept in memory, least recently used out first, up to this many bytes;
# a file bigger than COMPRESS_AT_MOST is sent as it is.
GZIP_CACHE_BYTES = 32 * 1024 * 1024
COMPRESS_AT_MOST = 8 * 1024 * 1024
# The only request headers the API sees (content-length is forwarded once checked).
FORWARDED_HEADERS = {
    "content-type": "CONTENT_TYPE",
    "authorization": "HTTP_AUTHORIZATION",
    "wbs-proof": "HTTP_WBS_PROOF",  # the proof of work (docs/spec/pow-v1.md)
    # the reporter's signing key (reports) and a follow-up's signature (signature-v2 §5)
    "wbs-signing-key": "HTTP_WBS_SIGNING_KEY",
    "wbs-signature": "HTTP_WBS_SIGNATURE",
}
PAGE = (
    '<!doctype html>\n<html lang="id"><meta charset="utf-8">'
    "<title>{status}</title><h1>{status} {id}</h1><p>{en}</p></html>\n"
)


SWEEP_SECONDS = 3600.0
# What is kept of a line of waitress's own: the words that say what happened, up to the
# first detail (an address, a path, a number).
WAITRESS_WORDS = re.compile(r"[A-Za-z ,'-]*")
# Powertools keeps the current event on the resolver class, and the handlers' wiring is the
# module's: one API request at a time in this process, whichever host serves it.
API_LOCK = threading.Lock()


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def make_app(site_dir: Path | None, settings: Settings) -> WSGIApplication:
    """The WSGI application: the API on ``settings`` and, if given, the site in ``site_dir``."""
    storage = settings.open_storage()
    uploads = settings.open_uploads(storage)
    wiring: dict[str, Any] = {
        "storage": storage,
        "keyring_path": settings.keyring_path,
        "routing_path": settings.routing_path,
        "uploads": uploads,
        "proofs": settings.open_proofs(storage),
        # A mail server is reached on a thread of its own: the API, one request at a time
        # here, never waits for it (functions/notify/background.py).
        "notifier": Background(settings.notifier) if settings.notifier is not None else None,
    }
    api.configure(**wiring)
    # With S3 storage, parts go to the bucket through the deployment's own routing.
    local = uploads.backend if isinstance(uploads.backend, LocalUploads) else None
    # Inspectors' own access to the store (WBS_INSPECTOR_API=on): signed requests only.
    inspectors = InspectorApi(storage, settings.keyring_path) if settings.inspector_api else None
    return _Host(site_dir.resolve() if site_dir is not None else None, local, wiring, inspectors)


def make_server(
    site_dir: Path | None, settings: Settings, host: str = "127.0.0.1", port: int = 8000
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server, bound but not yet running (``port=0`` picks a free port)."""
    return _server(make_app(site_dir, settings), settings, host, port)


def _server(
    application: WSGIApplication, settings: Settings, host: str, port: int
) -> BaseWSGIServer | MultiSocketServer:
    for name in ("waitress", "waitress.queue"):
        waitress_log = logging.getLogger(name)
        if not any(isinstance(f, WithholdDetails) for f in waitress_log.filters):
            waitress_log.addFilter(WithholdDetails())
    return create_server(
        application,
        host=host,
        port=port,
        max_request_body_size=max(MAX_REQUEST_BODY, settings.upload_limits.part_bytes + MARGIN),
        ident="wbs",
    )


def serve(
    site_dir: Path | None, settings: Settings, host: str = "127.0.0.1", port: int = 8000
) -> None:
    # The application itself, not the server's: waitress wraps what it is given.
    application = make_app(site_dir, settings)
    server = _server(application, settings, host, port)
    # Waitress warns "Task queue depth is N" whenever a page load briefly queues its asset
    # requests: not a fault, and noise in the operator's log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    local = getattr(application, "uploads", None)
    proofs = getattr(application, "wiring", {}).get("proofs")
    areas = [area for area in (local, proofs) if area is not None]
    if areas:
        threading.Thread(target=sweep_forever, args=areas, daemon=True).start()
    server.print_listen("Serving on http://{}:{}")
    server.run()


class WithholdDetails(logging.Filter):
    """Waitress's own log lines can name a client: the channel it closes after an error in
    its parser holds the client's address and port (a Content-Length of 5,000 digits is
    enough), and a failed request's line holds its path. Keep what kind of event it was and
    the exception's type; drop the details and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        match = WAITRESS_WORDS.match(record.getMessage())
        kind = (match.group(0) if match else "").strip(" ,'-") or "waitress event"
        if record.exc_info and record.exc_info[0] is not None:
            kind += f" ({record.exc_info[0].__name__})"
        record.msg, record.args = kind, ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True


class Sweepable(Protocol):
    def sweep(self, now: datetime) -> int: ...


def sweep_forever(*areas: Sweepable, every: float = SWEEP_SECONDS) -> None:
    """The local host's stand-in for S3's lifecycle rules: remove ended, incomplete uploads
    (``LocalUploads``) and spent proofs' old markers (``Proofs``) at start and then every
    ``every`` seconds, for as long as the server runs."""
    while True:
        for area in areas:
            try:
                area.sweep(datetime.now(UTC))
            except OSError as exc:  # a full or read-only disk: try again next time
                logger.warning("sweep failed", error_type=type(exc).__name__)
        time.sleep(every)


class _Host:
    def __init__(
        self,
        site_root: Path | None,
        uploads: LocalUploads | None = None,
        wiring: dict[str, Any] | None = None,
        inspectors: WSGIApplication | None = None,
    ) -> None:
        self.site_root = site_root
        self.inspectors = inspectors
        self.uploads = uploads
        # What this host's API requests are handled with, set again before each one: another
        # host or a test in the same process may have configured the handlers otherwise.
        self.wiring = wiring or {}
        self.files = StaticFiles()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        if self.inspectors is not None and path.startswith(INSPECTOR_ROOT):
            return self.inspectors(environ, start_response)  # streams; its own headers
        if path == "/api" or path.startswith("/api/"):
            answer = self._api(environ)
        elif path.startswith(ATTACHMENTS):
            answer = self._part(environ)
        elif method not in ("GET", "HEAD"):
            answer = _page(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "Metode tidak diizinkan.",
                "Method not allowed.",
                {"Allow": "GET, HEAD"},
            )
        else:
            answer = self._static(path, environ)
        headers = {**SECURITY_HEADERS, **answer.headers}
        if answer.status != HTTPStatus.NOT_MODIFIED:  # a 304 has no body and says no length
            headers["Content-Length"] = str(len(answer.body))
        start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", list(headers.items()))
        return [b"" if method == "HEAD" else answer.body]

    def _api(self, environ: WSGIEnvironment) -> Answer:
        event = api_event(environ)
        with API_LOCK:
            if self.wiring:
                api.configure(**self.wiring)
            response = api.lambda_handler(event, LambdaContext())
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
        return Answer(int(response["statusCode"]), dict(response.get("headers") or {}), data)

    def _part(self, environ: WSGIEnvironment) -> Answer:
        """One part of an upload to the local folder. Nothing about the request is logged:
        not the path, the grant or the body."""
        if self.uploads is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", "There is nothing at this address.")
        if environ["REQUEST_METHOD"] != "PUT":
            return _error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This address only answers PUT requests.",
                {"Allow": "PUT"},
            )
        try:
            etag = self.uploads.receive(
                environ.get("PATH_INFO") or "",
                environ.get("QUERY_STRING") or "",
                environ.get("CONTENT_LENGTH"),
                environ["wsgi.input"],
            )
        except UploadError as exc:
            return _error(exc.status, exc.code, exc.message)
        except StorageError:
            return _error(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The server could not store the part just now. Please send it again.",
                {"Retry-After": "5"},
            )
        except Exception as exc:  # noqa: BLE001 - type only: a message could hold the path
            logger.error("unhandled error", error_type=type(exc).__name__)
            return _error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on the server. Please try again later.",
            )
        body = json.dumps({"etag": etag}).encode()
        return Answer(
            HTTPStatus.OK, {"Content-Type": JSON, "Cache-Control": "no-store", "ETag": etag}, body
        )

    def _static(self, raw_path: str, environ: WSGIEnvironment | None = None) -> Answer:
        path = _text(raw_path)
        root = self.site_root
        if path is None or root is None or (file := _site_file(root, path)) is None:
            return _page(HTTPStatus.NOT_FOUND, "Halaman tidak ditemukan.", "Page not found.")
        if file.is_dir():  # a folder asked for without its slash: relative links need it
            return Answer(HTTPStatus.MOVED_PERMANENTLY, {"Location": quote(path + "/")}, b"")
        content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
        cache = "no-store" if file.suffix == ".html" else "no-cache"
        headers = {"Content-Type": content_type, "Cache-Control": cache}
        environ = environ or {}
        try:
            version = self.files.get(file, gzipped=_accepts_gzip(environ))
        except OSError:  # removed or unreadable between the look-up and the read
            return _page(HTTPStatus.NOT_FOUND, "Halaman tidak ditemukan.", "Page not found.")
        if version.vary:
            headers["Vary"] = "Accept-Encoding"
        headers["ETag"] = version.etag
        if _none_match(environ.get("HTTP_IF_NONE_MATCH"), version.etag):
            return Answer(HTTPStatus.NOT_MODIFIED, headers, b"")
        if version.encoding:
            headers["Content-Encoding"] = version.encoding
        return Answer(HTTPStatus.OK, headers, version.body)


class Version(NamedTuple):
    """What is sent for one file: its body as sent, the ETag of that body, its encoding."""

    body: bytes
    etag: str
    encoding: str | None
    vary: bool


class _Entry(NamedTuple):
    stamp: tuple[int, int, int]  # mtime (ns), size, inode: a new version of the file
    digest: str
    gzipped: bytes | None


class StaticFiles:
    """The site's files with a strong ETag each (a hash of the bytes) and, for text, a gzip
    variant with an ETag of its own: both computed once per version of a file (its mtime,
    size and inode) and kept in memory, the compressed bodies up to ``limit`` bytes in all."""

    def __init__(self, limit: int = GZIP_CACHE_BYTES) -> None:
        self.limit = limit
        self._entries: OrderedDict[Path, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, file: Path, gzipped: bool) -> Version:
        stat = file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        compressible = file.suffix in COMPRESSIBLE and stat.st_size <= COMPRESS_AT_MOST
        with self._lock:
            entry = self._entries.get(file)
            if entry is not None and entry.stamp == stamp:
                self._entries.move_to_end(file)
            else:
                entry = None
        if entry is not None and gzipped and entry.gzipped is not None:
            return Version(entry.gzipped, f'"{entry.digest}-gzip"', "gzip", True)
        data = file.read_bytes()
        if entry is None or len(data) != stat.st_size:
            entry = self._store(file, stamp, data, compressible)
        if gzipped and entry.gzipped is not None:
            return Version(entry.gzipped, f'"{entry.digest}-gzip"', "gzip", True)
        return Version(data, f'"{entry.digest}"', None, compressible)

    def _store(self, file: Path, stamp: tuple[int, int, int], data: bytes, zip_: bool) -> _Entry:
        digest = hashlib.sha256(data).hexdigest()[:32]
        packed = gzip.compress(data, compresslevel=9, mtime=0) if zip_ else None
        if packed is not None and len(packed) >= len(data):
            packed = None  # nothing gained: send the file as it is
        entry = _Entry(stamp, digest, packed)
        with self._lock:
            if (old := self._entries.pop(file, None)) is not None:
                self._bytes -= len(old.gzipped or b"")
            self._entries[file] = entry
            self._bytes += len(packed or b"")
            while self._bytes > self.limit and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.gzipped or b"")
        return entry


def _accepts_gzip(environ: WSGIEnvironment) -> bool:
    """Whether Accept-Encoding allows gzip: named (or ``*``) without ``q=0``."""
    weights: dict[str, float] = {}
    for item in str(environ.get("HTTP_ACCEPT_ENCODING") or "").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def _none_match(header: str | None, etag: str) -> bool:
    """If-None-Match against the ETag sent, by weak comparison (RFC 9110 13.1.2): a proxy that
    compressed the answer may have made the tag weak."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in header.split(","))


def api_event(environ: WSGIEnvironment) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event for a WSGI request, with only what the API
    needs. The body is read up to one byte past the limit, and not at all if the declared
    length is already over it (the API then answers 413 from the header)."""
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO") or "/"
    headers: dict[str, str] = {}
    for name, key in FORWARDED_HEADERS.items():
        if environ.get(key):
            headers[name] = environ[key]
    declared = str(environ.get("CONTENT_LENGTH") or "")
    length = int(declared) if declared.isdigit() else None
    if length is not None:
        headers["content-length"] = str(length)
    limit = MAX_ENVELOPE_BYTES + 1
    if length is not None and length > MAX_ENVELOPE_BYTES:
        body = b""
    else:
        body = environ["wsgi.input"].read(limit if length is None else min(length, limit))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": environ.get("QUERY_STRING", ""),
        "headers": headers,
        "requestContext": {"stage": "$default", "http": {"method": method, "path": path}},
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }


def _site_file(root: Path, path: str) -> Path | None:
    """The file (or folder, for a redirect) a URL path names inside the site, or None.

    Refused: hidden names (which covers ``.`` and ``..``), empty segments, backslashes, NUL,
    anything that resolves outside the site (symbolic links), and folders with no index."""
    if not path.startswith("/"):
        return None
    *folders, name = path.split("/")[1:]
    if any(not s or s.startswith(".") or "\\" in s or "\0" in s for s in folders) or (
        name.startswith(".") or "\\" in name or "\0" in name
    ):
        return None
    candidate = root.joinpath(*folders, name or "index.html")
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root):
        return None
    if resolved.is_dir():
        return candidate if (resolved / "index.html").is_file() else None
    return resolved if resolved.is_file() else None


def _text(path: str) -> str | None:
    """PEP 3333 hands the path over as latin-1; the site's URLs are UTF-8."""
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None


def _error(
    status: HTTPStatus, code: str, message: str, headers: dict[str, str] | None = None
) -> Answer:
    """An error in the API's voice: ``{"error", "message"}``, never cached."""
    body = json.dumps({"error": code, "message": message}).encode()
    return Answer(
        status, {"Content-Type": JSON, "Cache-Control": "no-store", **(headers or {})}, body
    )


def _page(
    status: HTTPStatus, text_id: str, text_en: str, headers: dict[str, str] | None = None
) -> Answer:
    html = PAGE.format(status=int(status), id=text_id, en=text_en)
    return Answer(
        status,
        {"Content-Type": CONTENT_TYPES[".html"], "Cache-Control": "no-store", **(headers or {})},
        html.encode("utf-8"),
    )
