"""The real reverse proxies of docs/self-hosting.md, Debian's nginx and caddy, with the
shipped configs (infra/selfhost/nginx.conf, Caddyfile; tests/support/proxies.py maps their
paths and ports into a temporary folder) in front of the self-hosted service as systemd
starts it (tests/support/selfhost.py). Through each: every text file of the site is
compressed and revalidates, the API's answers are never compressed, the security headers
come through once, and nothing about the client reaches a log.

tests/test_selfhost.py reads the same configs as text; this module runs them. Without nginx or
caddy installed the tests skip, saying how to install them; in CI (CI=true) they fail.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions import host, mailbox_token
from functions.attachment_size import stored_size
from functions.headers import SECURITY_HEADERS
from tests.support import proxies, reporter, selfhost
from tests.support.api import (
    CLIENT_IP,
    USER_AGENT_MARK,
    bearer,
    envelope_json,
    new_token,
    sealed,
    write_keyring,
)
from tests.support.host import free_port
from tests.test_host import INSPECTOR

pytestmark = pytest.mark.slow  # the service, nginx and caddy in their own processes

# What a phone's browser sends about itself: none of it may reach any log.
CLIENT = {
    "User-Agent": f"Mozilla/5.0 (Linux; Android 10) {USER_AGENT_MARK}",
    "X-Forwarded-For": CLIENT_IP,
    "Cookie": "session=CANARY-cookie",
    "Referer": "https://example.org/CANARY-referer",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}
SECRETS = [proxies.CLIENT_ADDRESS, CLIENT_IP, USER_AGENT_MARK, "Mozilla", "CANARY"]


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    gone = proxies.missing()
    if gone:
        message = f"{', '.join(gone)} not installed: {proxies.INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)  # CI installs them: never a silent skip there
        pytest.skip(message)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("selfhost-proxied")
    keyring = write_keyring(base / "keyring.json", [INSPECTOR.public_key])
    # The test's inspector and no proof of work: tests/test_pow.py covers the proof over HTTP.
    settings = {"WBS_KEYRING": str(keyring), "WBS_POW_DIFFICULTY": "0"}
    running = selfhost.start(base, settings, selfhost.env_file())
    try:
        yield running
    finally:
        selfhost.stop(running.process)


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def proxy(
    request: pytest.FixtureRequest, service: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[proxies.Proxy]:
    start = proxies.nginx if request.param == "nginx" else proxies.caddy
    with start(tmp_path_factory.mktemp(request.param), service.port) as running:
        yield running


def get(proxy: proxies.Proxy, path: str, **headers: str) -> Any:
    return proxies.request(proxy.origin, "GET", path, headers={**CLIENT, **headers})


def assert_security_headers(headers: Any) -> None:
    # Each exactly once (a header sent twice comes back joined, and so differs)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name


def text_files(proxy: proxies.Proxy) -> dict[str, str]:
    """Every file of the built site that the local host serves and compresses, with its
    SHA-256 (hidden files, such as the build's own records, are never served)."""
    status, headers, body = get(proxy, "/build-manifest.json")
    assert status == 200
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    files: dict[str, str] = json.loads(body)["files"]
    return {
        name: digest
        for name, digest in files.items()
        if Path(name).suffix in host.COMPRESSIBLE
        and not any(part.startswith(".") for part in Path(name).parts)
    }


def test_every_text_file_is_compressed_and_revalidates(proxy: proxies.Proxy) -> None:
    files = text_files(proxy)
    assert "assets/js/vendor/libsodium-sumo.mjs" in files and "index.html" in files
    for name, digest in files.items():
        path = "/" + name
        # Asked for as Chromium asks: gzip (or zstd from caddy), the file's own bytes inside
        status, headers, body = get(proxy, path)
        assert status == 200, path
        assert headers.get("Content-Encoding") in {"gzip", "zstd"}, path
        assert "Accept-Encoding" in headers.get("Vary", ""), path
        assert_security_headers(headers)
        if headers["Content-Encoding"] == "gzip":
            assert hashlib.sha256(gzip.decompress(body)).hexdigest() == digest, path
        # Asked for again with its ETag: 304, nothing sent
        etag = headers["ETag"]
        status, again, rest = get(proxy, path, **{"If-None-Match": etag})
        assert (status, rest) == (304, b""), path
        assert again["ETag"] == etag, path


def test_api_answers_are_never_compressed(proxy: proxies.Proxy) -> None:
    # Given a case opened through the proxy
    token = new_token()
    report = sealed(b"report", [INSPECTOR.public_key], mailbox_token.report_id(token))
    text = envelope_json(report)
    auth = {"Authorization": bearer(token), "Content-Type": "application/json"}
    auth |= reporter.headers("/api/reports", bearer(token), text)
    status, headers, body = proxies.request(
        proxy.origin, "POST", "/api/reports", text.encode(), {**CLIENT, **auth}
    )
    assert status == 201, body
    answers = [(status, headers, body)]
    # When the API answers in JSON long enough to be worth compressing (an upload grant
    # lists a signed URL per part), to a browser that accepts every encoding
    size = stored_size(20 << 20, 1024)  # a 20 MiB video, as the page pads and seals it
    files = {"files": [{"id": f"{i:016X}", "size": size} for i in range(4)]}
    auth = {"Authorization": bearer(token), "Content-Type": "application/json"}
    grant = proxies.request(
        proxy.origin, "POST", "/api/uploads", json.dumps(files).encode(), {**CLIENT, **auth}
    )
    assert grant[0] == 201, grant[2]
    # (nginx compresses 200s only: fresh URLs for a granted file are one)
    file = json.loads(grant[2])["files"][0]
    renew = {"id": file["id"], "upload": file["upload"]}
    renewed = proxies.request(
        proxy.origin, "POST", "/api/uploads/renew", json.dumps(renew).encode(), {**CLIENT, **auth}
    )
    assert renewed[0] == 200, renewed[2]
    answers += [grant, renewed, get(proxy, "/api/mailbox", Authorization=bearer(token))]
    answers += [get(proxy, "/api/health"), get(proxy, "/api/nothing-here")]
    # Then none is compressed (BREACH: the mailbox token's answers), and each has its headers
    for status, headers, body in answers:
        assert "Content-Encoding" not in headers, (status, body[:80])
        assert json.loads(body), status
        assert headers["Cache-Control"] == "no-store", status
        assert_security_headers(headers)
    assert len(grant[2]) > 1024 and len(renewed[2]) > 512  # over nginx's gzip_min_length


@pytest.mark.parametrize("path", ["/", "/status/", "/en/", "/assets/css/site.css", "/nope"])
def test_pages_carry_the_security_headers_and_the_csp(proxy: proxies.Proxy, path: str) -> None:
    status, headers, _ = get(proxy, path)
    assert status == (404 if path == "/nope" else 200)
    assert_security_headers(headers)  # the CSP among them


def test_no_address_or_user_agent_is_logged(proxy: proxies.Proxy, service: Any) -> None:
    # Given requests of every kind, from a phone that says who it is: pages, files, the API,
    # refusals (nginx throttles the API: a burst gets 429s, each logged at "error")
    statuses = [get(proxy, path)[0] for path in ("/", "/status/", "/nope", "/api/mailbox")]
    statuses += proxies.burst(proxy.origin, "/api/health", 60, CLIENT)
    if proxy.name == "nginx":
        assert 429 in statuses
    # Then neither the proxy's logs nor the service's output hold anything about the client
    logs = proxy.logs()
    for secret in SECRETS:
        assert secret not in logs, (proxy.name, secret)
        assert secret not in service.log.read_text(), secret


@pytest.mark.parametrize("name", ["nginx", "caddy"])
def test_with_the_app_down_the_proxy_logs_nothing_about_the_client(
    name: str, tmp_path: Path
) -> None:
    # Given the proxy in front of a port where nothing answers (the app stopped)
    start = proxies.nginx if name == "nginx" else proxies.caddy
    with start(tmp_path / name, free_port()) as proxy:
        # When a phone asks for the page and the API: the proxy's own error answer
        for path in ("/", "/api/health", "/status/"):
            assert get(proxy, path)[0] == 502, path
    # Then its logs (errors about requests name the client) say nothing about who asked
    logs = proxy.logs()
    for secret in SECRETS:
        assert secret not in logs, (name, secret)
