"""The real WSGI server (waitress) on a free 127.0.0.1 port: the built site and the API,
with the security headers on every answer, no directory listing and no way out of the site."""

from __future__ import annotations

import gzip
import http.client
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

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
# Compressible text, as a bundled library is
BIG_JS = "".join(f"export function f{i}(a, b) {{ return a + b * {i}; }}\n" for i in range(400))
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
    ) -> tuple[int, CaseInsensitiveDict[str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={**CLIENT_HEADERS, **(headers or {})})
            response = conn.getresponse()
            # Waitress sends "Etag" for "ETag": header names are case-insensitive.
            return response.status, CaseInsensitiveDict(response.getheaders()), response.read()
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
        "static/js/big.js": BIG_JS,
        "guide/index.html": "<!doctype html><title>Panduan</title>" + "<p>Lapor</p>" * 500,
        "static/js/big.wasm": "\0asm" + "\x01\x02\x03\x00" * 2000,
        "static/img/logo.png": "\x89PNG" + "x" * 4000,
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


def assert_security_headers(headers: Mapping[str, str]) -> None:
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


# --- revalidation and compression of the site's files -------------------------------------------


def test_a_script_is_revalidated_with_its_etag_and_not_sent_again(server: Server) -> None:
    # Given a script fetched once
    status, headers, body = server.request("GET", "/static/js/big.js")
    etag = headers["ETag"]
    assert status == 200 and body.decode() == BIG_JS
    assert headers["Cache-Control"] == "no-cache"  # the policy is kept: revalidate each time
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    # When it is asked for again with that tag (as the browser does), or a weakened copy of it
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, again, body = server.request(
            "GET", "/static/js/big.js", headers={"If-None-Match": sent}
        )
        # Then the answer is 304 without a body, with the same tag and the security headers
        assert (status, body) == (304, b""), sent
        assert again["ETag"] == etag and again["Cache-Control"] == "no-cache"
        assert "Content-Length" not in again or again["Content-Length"] == str(len(BIG_JS))
        assert_security_headers(again)
    # And a tag of another version gets the whole file
    status, _, body = server.request("GET", "/static/js/big.js", headers={"If-None-Match": '"x"'})
    assert (status, body.decode()) == (200, BIG_JS)


def test_the_tag_is_the_same_on_every_request_and_differs_between_files(server: Server) -> None:
    tags = [server.request("GET", path)[1]["ETag"] for path in ["/static/js/big.js"] * 2]
    other = server.request("GET", "/static/js/app.mjs")[1]["ETag"]
    assert tags[0] == tags[1] != other


@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8", "*"])
def test_text_is_sent_gzipped_to_a_client_that_accepts_it(server: Server, accept: str) -> None:
    # When a script is asked for by a browser that accepts gzip
    status, headers, body = server.request(
        "GET", "/static/js/big.js", headers={"Accept-Encoding": accept}
    )
    # Then it comes compressed, decompresses to the file, and says it varies on the encoding
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(body).decode() == BIG_JS
    assert len(body) < len(BIG_JS) / 4 and headers["Content-Length"] == str(len(body))
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert_security_headers(headers)
    # And the compressed body has a tag of its own, which revalidates it
    plain = server.request("GET", "/static/js/big.js")[1]["ETag"]
    assert headers["ETag"] != plain
    status, again, body = server.request(
        "GET",
        "/static/js/big.js",
        headers={"Accept-Encoding": accept, "If-None-Match": headers["ETag"]},
    )
    assert (status, body, again["ETag"], again["Vary"]) == (
        304,
        b"",
        headers["ETag"],
        "Accept-Encoding",
    )


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br", "*;q=0"])
def test_a_client_that_does_not_accept_gzip_gets_the_file_as_it_is(
    server: Server, accept: str | None
) -> None:
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    status, answer, body = server.request("GET", "/static/js/big.js", headers=headers)
    assert (status, body.decode()) == (200, BIG_JS)
    assert "Content-Encoding" not in answer
    assert answer["Vary"] == "Accept-Encoding"  # a cache must not hand it to one that does
    assert answer["Content-Length"] == str(len(BIG_JS))


def test_pages_and_webassembly_are_compressed_too_but_not_images(server: Server) -> None:
    gz = {"Accept-Encoding": "gzip"}
    status, headers, body = server.request("GET", "/guide/", headers=gz)
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert headers["Cache-Control"] == "no-store"  # pages stay uncached
    assert b"Panduan" in gzip.decompress(body)
    status, headers, body = server.request("GET", "/static/js/big.wasm", headers=gz)
    assert (status, headers["Content-Encoding"], headers["Content-Type"]) == (
        200,
        "gzip",
        "application/wasm",
    )
    assert gzip.decompress(body).startswith(b"\0asm")
    # A body that compression would not shrink is sent as it is, with no Content-Encoding
    status, headers, body = server.request("GET", "/", headers=gz)
    assert (status, headers.get("Content-Encoding"), body) == (
        200,
        None,
        b"<!doctype html><title>Lapor</title>",
    )
    status, headers, body = server.request("GET", "/static/img/logo.png", headers=gz)
    assert (status, body.decode()[:4]) == (200, "\x89PNG")  # as written, uncompressed
    assert "Content-Encoding" not in headers and "Vary" not in headers
    assert {".html", ".js", ".mjs", ".css", ".json", ".svg", ".wasm"} <= host.COMPRESSIBLE


def test_head_of_a_compressed_file_sends_its_headers_only(server: Server) -> None:
    status, headers, body = server.request(
        "HEAD", "/static/js/big.js", headers={"Accept-Encoding": "gzip"}
    )
    full = server.request("GET", "/static/js/big.js", headers={"Accept-Encoding": "gzip"})[1]
    assert (status, body, headers["Content-Encoding"]) == (200, b"", "gzip")
    assert (headers["ETag"], headers["Content-Length"]) == (full["ETag"], full["Content-Length"])


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


def test_a_changed_file_gets_a_new_tag_and_the_compressed_copies_stay_bounded(
    tmp_path: Path,
) -> None:
    files = host.StaticFiles(limit=3000)
    script = tmp_path / "a.js"
    script.write_text(BIG_JS)
    first = files.get(script, gzipped=True)
    assert gzip.decompress(first.body).decode() == BIG_JS
    assert files.get(script, gzipped=True).etag == first.etag  # computed once, kept
    # When the file is replaced by a new version (a rebuild), its tags change
    script.write_text(BIG_JS + "// v2\n")
    second = files.get(script, gzipped=True)
    assert second.etag != first.etag
    assert gzip.decompress(second.body).decode().endswith("// v2\n")
    assert files.get(script, gzipped=False).body.decode().endswith("// v2\n")
    # And many files keep at most the limit of compressed bytes in memory
    for i in range(20):
        (tmp_path / f"{i}.js").write_text(BIG_JS + f"// {i}\n")
        files.get(tmp_path / f"{i}.js", gzipped=True)
    assert 0 < files._bytes <= 3000
    assert sum(len(e.gzipped or b"") for e in files._entries.values()) == files._bytes
