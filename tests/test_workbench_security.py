"""Who may drive `wbs workbench`: only the browser that opened its printed URL, on its own
origin (docs/workbench.md). Requests go straight to the WSGI application with exact
headers; tests/test_workbench_browser.py drives the real server in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.inbox import PASSPHRASE, add_inspector_key, use_private_home
from tests.support.workbench import Answer, Client, key_file, workbench
from wbs import config
from wbs.workbench.app import CONTENT_SECURITY_POLICY, Config
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
    assert url.startswith(f"http://127.0.0.1:{client.app.guard.port}/?token=")
    assert len(url.partition("token=")[2]) >= 43  # 256 bits, base64url

    first = client.get(url)

    assert first.status == 303 and first.headers["location"] == "/"
    cookie = first.cookie
    assert cookie.startswith(f"wbs_workbench_{client.app.guard.port}=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
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
    "host", ["localhost:41234", "127.0.0.1", "127.0.0.1:41235", "evil.example:41234", ""]
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
        ({"Origin": "http://127.0.0.1:41235"}, True),
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


def test_the_server_listens_on_the_loopback_only_on_a_port_the_system_picks(
    key: Path, tmp_path: Path
) -> None:
    settings = Config(
        key, "local:/nonexistent", lambda: None, tmp_path / "k.json", config.load(None)
    )  # type: ignore[arg-type,return-value]
    first, app = make_server(settings, 60)
    second, other = make_server(settings, 60)
    try:
        assert first.effective_host == "127.0.0.1"  # type: ignore[union-attr]
        assert app.guard.port == int(first.effective_port) != other.guard.port  # type: ignore[union-attr]
        assert app.guard.token != other.guard.token
    finally:
        first.close()
        second.close()
