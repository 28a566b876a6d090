"""Who may drive `wbs workbench`: only the browser that opened its printed URL, on its own
origin (docs/workbench.md). Requests go straight to the WSGI application with exact
headers; tests/test_workbench_browser.py drives the real server in Chromium."""

from __future__ import annotations

import http.client
import ipaddress
import webbrowser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from waitress.server import BaseWSGIServer

from tests.support.host import serving
from tests.support.inbox import PASSPHRASE, add_inspector_key, use_private_home
from tests.support.workbench import ADDRESS, Answer, Client, key_file, workbench
from wbs import config
from wbs.cli import cli
from wbs.workbench import server as workbench_server
from wbs.workbench.app import CONTENT_SECURITY_POLICY, Config
from wbs.workbench.guard import Guard
from wbs.workbench.server import make_server


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = use_private_home(tmp_path, monkeypatch)
    add_inspector_key()
    return key_file(home)


@pytest.fixture
def client(key: Path) -> Client:
    return Client(workbench(key))


# Every GET the workbench answers; each needs the cookie and this Host like the rest.
GUARDED_GETS = ("/", "/sync/progress", "/static/workbench.js")


def assert_refused(answer: Answer, reason: str) -> None:
    assert answer.status == 403 and reason in answer.body, answer
    assert "set-cookie" not in answer.headers
    assert not [h for h in answer.headers if h.startswith("access-control-")]
    assert answer.headers["cache-control"] == "no-store"


def test_the_printed_url_is_exchanged_once_for_a_strict_cookie_and_leaves_the_address_bar(
    client: Client,
) -> None:
    url = client.app.guard.url
    assert url.startswith(f"http://{ADDRESS}:{client.app.guard.port}/?token=")
    assert len(url.partition("token=")[2]) >= 43  # 256 bits, base64url

    first = client.get(url)

    assert first.status == 303 and first.headers["location"] == "/"
    cookie = first.cookie
    assert cookie.startswith(f"wbs_workbench_{client.app.guard.port}=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    assert "domain" not in cookie.lower()  # host-only: this loopback address alone
    page = client.get("/")
    assert page.status == 200 and 'id="passphrase"' in page.body
    # The token works once: a second browser (no cookie) cannot use it again.
    assert_refused(Client(client.app).get(url), "no valid session")


def test_requests_without_the_token_or_with_a_wrong_one_are_refused(client: Client) -> None:
    assert_refused(client.get("/"), "no valid session")
    assert_refused(client.get("/?token=" + "A" * 43), "no valid session")
    assert_refused(client.get("/?token=%C3%A9" + "A" * 42), "no valid session")  # not ASCII
    assert_refused(client.get("/static/workbench.css"), "no valid session")
    assert_refused(client.get("/sync/progress"), "no valid session")
    forged = {client.app.guard.cookie_name: "A" * 43}
    assert_refused(
        client.get("/", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in forged.items())}),
        "no valid session",
    )
    # And the real token still works afterwards: guesses do not use it up.
    assert client.enter().status == 200


@pytest.mark.parametrize(
    "host",
    [
        "localhost:41234",
        "127.0.0.1:41234",  # the usual loopback address, on the workbench's port
        "127.0.0.1",
        "127.0.0.1:41235",
        f"{ADDRESS}:41235",
        ADDRESS,
        "evil.example:41234",
        "",
    ],
)
def test_a_foreign_host_is_refused_even_with_the_cookie(client: Client, host: str) -> None:
    # A DNS-rebinding page reaches 127.0.0.1 under its own name: the Host says so.
    client.enter()
    for path in GUARDED_GETS:
        assert_refused(client.get(path, headers={"Host": host}), "wrong Host")


def test_a_state_changing_request_needs_this_origin_and_the_form_token(client: Client) -> None:
    client.enter()
    unlock = {"passphrase": PASSPHRASE}
    # Given the right cookie, but a foreign or missing Origin, or no form token
    for headers, csrf in [
        ({"Origin": "http://evil.example"}, True),
        ({"Origin": "http://127.0.0.1:41234"}, True),
        ({"Origin": f"http://{ADDRESS}:41235"}, True),
        ({"Origin": "null"}, True),
        ({"Origin": None}, True),  # type: ignore[dict-item]
        ({}, False),
    ]:
        answer = client.post("/unlock", unlock, headers=headers, csrf=csrf)
        reason = "form token" if not csrf else "Origin"
        assert_refused(answer, reason)
    # Then nothing happened: the key is still locked
    assert client.app.session.reader is None
    # And with both, the same request unlocks it
    assert client.post("/unlock", unlock).status == 303
    assert client.app.session.reader is not None


def test_cross_site_fetches_and_cors_preflights_are_refused(client: Client) -> None:
    client.enter()
    assert_refused(client.get("/", headers={"Sec-Fetch-Site": "cross-site"}), "cross-site")
    assert_refused(client.get("/", headers={"Sec-Fetch-Site": "same-site"}), "cross-site")
    for path in GUARDED_GETS:
        assert_refused(client.get(path, headers={"Sec-Fetch-Site": "cross-site"}), "cross-site")
    preflight = client.request(
        "OPTIONS",
        "/sync",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert_refused(preflight, "method not allowed")
    for method in ("PUT", "DELETE", "PATCH"):
        assert_refused(client.request(method, "/"), "method not allowed")


def test_one_workbench_s_cookie_and_token_do_not_open_another_on_another_port(key: Path) -> None:
    # Cookies are not kept apart by port: each workbench names its cookie after its port,
    # and its value is its own random secret.
    first, second = workbench(key, port=41234), workbench(key, port=41235)
    browser = Client(first)
    browser.enter()
    stolen = browser.cookies[first.guard.cookie_name]
    on_second = Client(second)
    assert_refused(
        on_second.get("/", headers={"Cookie": f"{first.guard.cookie_name}={stolen}"}),
        "no valid session",
    )
    assert_refused(
        on_second.get("/", headers={"Cookie": f"{second.guard.cookie_name}={stolen}"}),
        "no valid session",
    )
    assert_refused(
        on_second.get("/?token=" + first.guard.url.partition("token=")[2]), "no valid session"
    )
    assert_refused(on_second.get(second.guard.url.replace("token=", "token=x")), "no valid session")


def test_every_answer_carries_the_security_headers_and_no_store(client: Client) -> None:
    for answer in (
        client.get("/"),
        client.get(client.app.guard.url),
        client.get("/"),
        client.get("/static/workbench.js"),
        client.get("/sync/progress"),
    ):
        headers = answer.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert "connect-src 'self'" in CONTENT_SECURITY_POLICY  # workbench.js polls, no more
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        assert not [h for h in headers if h.startswith("access-control-")]


@pytest.fixture
def settings(key: Path, tmp_path: Path) -> Config:
    return Config(
        key=key,
        storage_url="local:/nonexistent",
        open_storage=lambda: None,  # type: ignore[arg-type,return-value]
        keyring=tmp_path / "k.json",
        rules=config.load(None),
    )


def fetch(guard: Guard, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """A real request over the socket to the workbench: its status and headers."""
    connection = http.client.HTTPConnection(guard.address, guard.port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders())
    finally:
        connection.close()


def test_the_server_listens_on_a_loopback_address_of_its_own_on_a_port_the_system_picks(
    settings: Config,
) -> None:
    # Given two workbenches
    first, app = make_server(settings, 60)
    second, other = make_server(settings, 60)
    try:
        # Then each listens on a random address of 127.0.0.0/8 that is not 127.0.0.1
        for server, bench in ((first, app), (second, other)):
            host = server.effective_host  # type: ignore[union-attr]
            address = ipaddress.ip_address(host)
            assert address in ipaddress.ip_network("127.0.0.0/8")
            assert not str(address).startswith(("127.0.0.", "127.0.1."))
            assert host.rsplit(".", 1)[1] not in ("0", "255")
            assert bench.guard.address == host
            assert bench.guard.port == int(server.effective_port)  # type: ignore[union-attr]
            assert bench.guard.url.startswith(f"http://{host}:{bench.guard.port}/?token=")
        assert app.guard.host != other.guard.host
        assert app.guard.token != other.guard.token
    finally:
        first.close()
        second.close()


def test_over_the_socket_the_cookie_is_host_only_and_127_0_0_1_is_another_host(
    settings: Config,
) -> None:
    server, app = make_server(settings, 60)
    guard = app.guard
    with serving(server):
        # When the browser opens the printed URL
        status, headers = fetch(guard, guard.url, {})
        # Then its cookie has no Domain: only this address gets it back
        assert status == 303
        cookie = headers["Set-Cookie"]
        assert cookie.startswith(guard.cookie_name + "=") and "domain" not in cookie.lower()
        sent = {"Cookie": cookie.split(";")[0]}
        assert fetch(guard, "/", sent)[0] == 200
        # And the same request naming 127.0.0.1 as its host is refused
        wrong = {**sent, "Host": f"127.0.0.1:{guard.port}"}
        assert fetch(guard, "/", wrong)[0] == 403


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`wbs workbench` is stopped (Ctrl-C) as soon as it listens; the URLs it opens in a
    browser are collected here."""

    def interrupted(self: BaseWSGIServer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(BaseWSGIServer, "run", interrupted)
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    return opened


def test_the_browser_is_sent_to_the_workbench_s_own_address(key: Path, started: list[str]) -> None:
    result = CliRunner().invoke(cli, ["workbench", "--key", str(key)])
    assert result.exit_code == 0, result.output
    (url,) = started
    assert result.stdout == f"wbs workbench: {url}\n"
    host = urlsplit(url).hostname or ""
    assert ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    assert host != "127.0.0.1" and "does not route" not in result.stderr


def test_where_the_address_cannot_be_bound_it_listens_on_127_0_0_1_and_says_so(
    key: Path, monkeypatch: pytest.MonkeyPatch, started: list[str]
) -> None:
    # Given a system that routes no address of 127.0.0.0/8 but 127.0.0.1 (192.0.2.1, a
    # documentation address, is bound by no interface here either)
    monkeypatch.setattr(workbench_server, "loopback_address", lambda: "192.0.2.1")
    # When the workbench starts
    result = CliRunner().invoke(cli, ["workbench", "--no-browser", "--key", str(key)])
    # Then it listens on 127.0.0.1, prints that address, and says why on stderr
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wbs workbench: http://127.0.0.1:")
    assert "does not route 127.0.0.0/8" in result.stderr
