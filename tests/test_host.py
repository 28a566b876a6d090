"""The real WSGI server (waitress) on a free 127.0.0.1 port: the built site and the API,
with the security headers on every answer, no directory listing and no way out of the site."""

from __future__ import annotations

import http.client
import io
import json
import logging
from collections.abc import Iterator

import pytest

from functions import app as api
from functions import host, log, mailbox_token
from functions.config import Settings
from functions.envelope import MAX_ENVELOPE_BYTES
from functions.headers import SECURITY_HEADERS
from functions.storage import LocalStorage
from tests.support import reporter
from tests.support.api import (
    CLIENT_IP,
    USER_AGENT_MARK,
    bearer,
    envelope_json,
    identity,
    new_token,
    sealed,
    write_keyring,
)
from tests.support.host import serving

INSPECTOR = identity(1)
CANARY = b"CANARY-host-2c9b"
OUTSIDE_TEXT = "OUTSIDE_TEXT-outside-the-site"
CLIENT_HEADERS = {
    "User-Agent": f"Mozilla/5.0 {USER_AGENT_MARK}",
    "X-Forwarded-For": CLIENT_IP,
    "Cookie": "session=CANARY-cookie",
}


class Server:
    def __init__(self, port: int, storage: LocalStorage) -> None:
        self.port = port
        self.storage = storage

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={**CLIENT_HEADERS, **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("host")
    site = base / "site"
    for name, text in {
        "index.html": "<!doctype html><title>Lapor</title>",
        "en/index.html": "<!doctype html><title>Report</title>",
        "static/js/app.mjs": "export const x = 1;",
        "static/js/libsodium.wasm": "\0asm",
        "static/css/site.css": "body{}",
        ".hidden": OUTSIDE_TEXT,
    }.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (base / "secret.txt").write_text(OUTSIDE_TEXT)
    (site / "escape").symlink_to(base / "secret.txt")
    settings = Settings(
        storage_url=f"local:{base / 'storage'}",
        keyring_path=write_keyring(base / "keyring.json", [INSPECTOR.public_key]),
    )
    wsgi_server = host.make_server(site, settings, port=0)
    with serving(wsgi_server):
        yield Server(wsgi_server.effective_port, LocalStorage(base / "storage"))
    api.configure()


def assert_security_headers(headers: dict[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name


@pytest.mark.parametrize(
    ("path", "title"), [("/", b"Lapor"), ("/index.html", b"Lapor"), ("/en/", b"Report")]
)
def test_pages(server: Server, path: str, title: bytes) -> None:
    status, headers, body = server.request("GET", path)
    assert status == 200 and title in body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert_security_headers(headers)


def test_folder_without_slash_redirects(server: Server) -> None:
    status, headers, _ = server.request("GET", "/en")
    assert (status, headers["Location"]) == (301, "/en/")
    assert_security_headers(headers)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/js/app.mjs", "text/javascript; charset=utf-8"),
        ("/static/js/libsodium.wasm", "application/wasm"),
        ("/static/css/site.css", "text/css; charset=utf-8"),
    ],
)
def test_content_types(server: Server, path: str, content_type: str) -> None:
    status, headers, _ = server.request("GET", path)
    assert (status, headers["Content-Type"]) == (200, content_type)
    assert_security_headers(headers)


def test_head_sends_headers_only(server: Server) -> None:
    status, headers, body = server.request("HEAD", "/")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/missing.html",
        "/static/",  # a folder without index: no listing
        "/static",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/static/..%2f..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/%00",
        "//secret.txt",
        "/.hidden",
        "/%2ehidden",
        "/escape",  # a symbolic link out of the site
        "/%ff",
    ],
)
def test_not_found_and_no_way_out(server: Server, path: str) -> None:
    status, headers, body = server.request("GET", path)
    assert status == 404
    assert OUTSIDE_TEXT.encode() not in body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert_security_headers(headers)


def test_static_post_is_refused(server: Server) -> None:
    status, headers, _ = server.request("POST", "/", b"x")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")


def test_api_answers_carry_security_headers(server: Server) -> None:
    status, headers, body = server.request("GET", "/api/health")
    assert (status, json.loads(body)) == (200, {"ok": True})
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert_security_headers(headers)


def test_report_and_mailbox_through_http(server: Server) -> None:
    token = new_token()
    report = sealed(b"what: " + CANARY, [INSPECTOR.public_key], mailbox_token.report_id(token))
    auth = {"Authorization": bearer(token)}
    signing_key = {"Wbs-Signing-Key": reporter.key_header(token)}
    # Logs of the whole exchange, from the API's logger and everything else
    stream = io.StringIO()
    handler = log.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    catch_all = logging.StreamHandler(stream)
    logging.getLogger().addHandler(catch_all)
    try:
        status, headers, body = server.request(
            "POST",
            "/api/reports",
            envelope_json(report).encode(),
            {"Content-Type": "application/json", **auth, **signing_key},
        )
        read = server.request("GET", "/api/mailbox", headers=auth)
    finally:
        handler.setStream(previous)
        logging.getLogger().removeHandler(catch_all)
    assert status == 201, body
    assert json.loads(body)["id"] == report.id
    assert_security_headers(headers)
    assert [i.key for i in server.storage.list(f"reports/{report.id}")] == [
        f"reports/{report.id}.json"
    ]
    assert CANARY not in server.storage.get(f"reports/{report.id}.json")
    assert (read[0], json.loads(read[2])["messages"]) == (200, [])
    assert read[1]["Cache-Control"] == "no-store"
    assert_security_headers(read[1])
    written = stream.getvalue()
    assert '"status":201' in written and '"status":200' in written
    secrets = [CLIENT_IP, "127.0.0.1", USER_AGENT_MARK, "CANARY-cookie", report.id]
    for secret in [*secrets, bearer(token), token.hex(), mailbox_token.verifier(token)]:
        assert secret not in written, secret


def test_oversized_body_is_413_json(server: Server) -> None:
    before = list(server.storage.list())
    body = b'{"v":1,"pad":"' + b"A" * MAX_ENVELOPE_BYTES + b'"}'
    status, headers, answer = server.request(
        "POST",
        "/api/reports",
        body,
        {"Content-Type": "application/json", "Authorization": bearer(new_token())},
    )
    assert (status, json.loads(answer)["error"]) == (413, "too_large")
    assert_security_headers(headers)
    assert list(server.storage.list()) == before


def test_api_errors_are_json(server: Server) -> None:
    status, headers, body = server.request("DELETE", "/api/reports")
    assert (status, json.loads(body)["error"]) == (405, "method_not_allowed")
    status, headers, body = server.request("PUT", "/api/mailbox", b"{}")
    assert (status, headers["Allow"]) == (405, "GET, POST")
    status, headers, body = server.request("GET", "/api/mailbox")
    assert (status, json.loads(body)["error"]) == (401, "bad_token")
    status, headers, body = server.request("GET", "/api/../index.html")
    assert (status, json.loads(body)["error"]) == (404, "not_found")
    assert_security_headers(headers)


def test_event_holds_nothing_about_the_client() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/reports",
        "QUERY_STRING": "a=1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "2",
        "REMOTE_ADDR": "203.0.113.9",
        "REMOTE_PORT": "51515",
        "HTTP_USER_AGENT": "UA-CANARY",
        "HTTP_X_FORWARDED_FOR": "203.0.113.10",
        "HTTP_X_REAL_IP": "203.0.113.11",
        "HTTP_COOKIE": "c=CANARY",
        "HTTP_REFERER": "https://example.org/CANARY",
        "HTTP_AUTHORIZATION": "Bearer dG9rZW4=",
        "HTTP_PROXY_AUTHORIZATION": "Basic CANARY",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    event = host.api_event(environ)
    text = json.dumps(event)
    for value in ("203.0.113", "51515", "CANARY", "example.org"):
        assert value not in text
    assert event["headers"] == {
        "content-type": "application/json",
        "content-length": "2",
        "authorization": "Bearer dG9rZW4=",
    }


def test_event_does_not_read_a_body_declared_too_large() -> None:
    stream = io.BytesIO(b"x" * 10)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/reports",
        "CONTENT_LENGTH": str(MAX_ENVELOPE_BYTES + 1),
        "wsgi.input": stream,
    }
    event = host.api_event(environ)
    assert (event["body"], stream.tell()) == ("", 0)
