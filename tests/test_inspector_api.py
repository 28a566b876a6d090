"""The inspector API of the self-hosted service (functions/inspector_api.py), through the real
host in a thread: what it refuses, and that a refusal changes nothing and logs only its kind."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from wsgiref.util import setup_testing_defaults

import nacl.utils
import pytest
import urllib3

from functions.config import ConfigError, Settings
from functions.envelope import b64encode
from functions.errors import StorageError
from functions.host import make_server
from functions.inspector_api import InspectorApi
from functions.inspector_auth import WINDOW_SECONDS, body_digest, canonical
from functions.storage import LocalStorage, ObjectInfo, Readable, layout
from tests.support.api import api_logs
from tests.support.host import serving
from tests.support.inbox import FIRST, add_inspector_key, put, use_private_home
from tests.support.membership import Institution
from wbs import keyfile
from wbs.crypto import Identity

OBJECTS = "/inspector/v1/objects"
REPLY = f"mailboxes/{FIRST}/20240301T023000000000Z-inspectorate-0badc0de.json"
HTTP = urllib3.PoolManager(retries=False)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


@contextlib.contextmanager
def host(store: LocalStorage, on: bool = True) -> Iterator[str]:
    settings = Settings(f"local:{store.root}", Path(os.environ["WBS_KEYRING"]), inspector_api=on)
    server = make_server(None, settings, port=0)
    with serving(server):
        try:
            yield f"http://127.0.0.1:{server.effective_port}"
        finally:
            HTTP.clear()  # no kept-alive connection holds the server's loop open


@pytest.fixture
def base(store: LocalStorage, inspector: Identity) -> Iterator[str]:
    put(store, FIRST, inspector)
    with host(store) as url:
        yield url


def signed(
    identity: Identity,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    moment: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers of a request signed as the spec says."""
    assert identity.signing_key is not None
    moment = int(time.time()) if moment is None else moment
    nonce = nonce or nacl.utils.random(16).hex()
    message = canonical(method, path, query, identity.kid, moment, nonce, body_digest(body))
    return {
        "Wbs-Inspector-Key": identity.kid,
        "Wbs-Inspector-Time": str(moment),
        "Wbs-Inspector-Nonce": nonce,
        "Wbs-Inspector-Signature": b64encode(identity.signing_key.sign(message).signature),
    }


def send(
    base: str, method: str, path: str, headers: dict[str, str], query: str = "", body: bytes = b""
) -> tuple[int, Any]:
    url = base + path + (f"?{query}" if query else "")
    response = HTTP.request(method, url, body=body or None, headers=headers)
    try:
        return response.status, json.loads(response.data)
    except ValueError:
        return response.status, response.data


def put_reply(
    base: str, identity: Identity, key: str = REPLY, body: bytes = b"{}"
) -> tuple[int, Any]:
    path = f"{OBJECTS}/{key}"
    query = "desks=inspektorat"
    return send(base, "PUT", path, signed(identity, "PUT", path, query, body), query, body)


def test_a_signed_request_reads_the_store(
    base: str, store: LocalStorage, inspector: Identity
) -> None:
    path = f"{OBJECTS}/{layout.report(FIRST)}"
    response = HTTP.request("GET", base + path, headers=signed(inspector, "GET", path))
    assert response.status == 200
    assert response.data == store.get(layout.report(FIRST))
    assert response.headers["Content-Length"] == str(len(response.data))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_listing_shows_only_what_inspectors_read(
    base: str, store: LocalStorage, inspector: Identity
) -> None:
    # Given: a verifier and a reservation beside a message, in the case's mailbox
    store.put_new(layout.verifier(FIRST), b"{}")
    store.put_new(layout.followup_slot(FIRST, 1), b"{}")
    assert put_reply(base, inspector)[0] == 201
    query = "prefix=mailboxes%2F"
    status, page = send(base, "GET", OBJECTS, signed(inspector, "GET", OBJECTS, query), query)
    assert status == 200
    assert [o["key"] for o in page["objects"]] == [REPLY] and page["next"] is None
    for hidden in (layout.verifier(FIRST), layout.followup_slot(FIRST, 1), "proofs/abc"):
        path = f"{OBJECTS}/{hidden}"
        assert send(base, "GET", path, signed(inspector, "GET", path))[1]["error"] == "not_readable"
    query = "prefix=proofs%2F"
    status, body = send(base, "GET", OBJECTS, signed(inspector, "GET", OBJECTS, query), query)
    assert (status, body["error"]) == (403, "not_readable")


def test_a_write_lands_once_and_an_overwrite_changes_nothing(
    base: str, store: LocalStorage, inspector: Identity
) -> None:
    assert put_reply(base, inspector, body=b'{"first": 1}') == (201, {"key": REPLY})
    status, body = put_reply(base, inspector, body=b'{"second": 2}')
    assert (status, body["error"]) == (409, "exists")
    assert store.get(REPLY) == b'{"first": 1}'


@pytest.mark.parametrize(
    "key",
    [
        layout.report(FIRST),  # a report comes from a reporter
        layout.verifier(FIRST),
        f"mailboxes/{FIRST}/20240301T023000000000Z-reporter-0badc0de.json",
        f"attachments/{FIRST}/5QZ2W8R1XK4T7M3N",
        layout.proof("0" * 64),
        layout.followup_slot(FIRST, 1),
    ],
)
def test_keys_outside_what_the_tool_writes_are_refused(
    base: str, store: LocalStorage, inspector: Identity, key: str
) -> None:
    before = sorted(i.key for i in store.list())
    status, body = put_reply(base, inspector, key=key)
    assert (status, body["error"]) == (403, "not_writable")
    assert sorted(i.key for i in store.list()) == before


@pytest.mark.parametrize(
    "sent",
    [
        f"{OBJECTS}/mailboxes/../reports/{FIRST}.json",
        f"{OBJECTS}/reports/%2e%2e/%2e%2e/keyring.json",
        f"{OBJECTS}/reports/%2E%2E%2F%2E%2E%2Fkeyring.json",
        f"{OBJECTS}//etc/passwd",
        f"{OBJECTS}/reports/.hidden",
    ],
)
def test_a_path_that_climbs_out_is_refused_even_signed(
    base: str, inspector: Identity, sent: str
) -> None:
    # Signed as the service receives it (decoded): the signature holds, the key does not.
    received = unquote(sent)
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.request("GET", sent, headers=signed(inspector, "GET", received))
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["error"]) == (400, "invalid_key")
    connection.close()


def test_refusals_say_why_change_nothing_and_log_only_their_kind(
    base: str, store: LocalStorage, inspector: Identity
) -> None:
    # Given: a colleague whose key is retired, and one who was never in the keyring
    retired = add_inspector_key("Inspektur lama")
    Institution.here().person(retired, "Inspektur lama", active=False)
    stranger = keyfile.generate()
    path = f"{OBJECTS}/{REPLY}"
    good = signed(inspector, "PUT", path, "", b"{}")
    cases = {
        "unsigned": ({}, 401),
        "malformed_signature": ({**good, "Wbs-Inspector-Time": "soon"}, 401),
        "bad_signature": (signed(inspector, "PUT", path, "", b"{ }"), 401),
        "unknown_key": (signed(stranger, "PUT", path, "", b"{}"), 401),
        "retired_key": (signed(retired, "PUT", path, "", b"{}"), 403),
        "stale_time": (
            signed(inspector, "PUT", path, "", b"{}", int(time.time()) - WINDOW_SECONDS - 5),
            401,
        ),
    }
    with api_logs() as logs:
        for code, (headers, status) in cases.items():
            answer = send(base, "PUT", path, headers, body=b"{}")
            assert answer[0] == status and answer[1]["error"] == code, code
    assert list(store.list(f"mailboxes/{FIRST}/")) == []
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert [line["error"] for line in lines] == list(cases)
    text = logs.getvalue()
    for secret in (inspector.kid, retired.kid, stranger.kid, "127.0.0.1", FIRST, "mailboxes"):
        assert secret not in text


def test_a_replayed_request_is_refused(base: str, store: LocalStorage, inspector: Identity) -> None:
    path = f"{OBJECTS}/{layout.report(FIRST)}"
    headers = signed(inspector, "GET", path)
    assert send(base, "GET", path, headers)[0] == 200
    status, body = send(base, "GET", path, headers)
    assert (status, body["error"]) == (401, "replayed")


def test_a_request_moved_to_another_key_or_query_fails_its_signature(
    base: str, inspector: Identity
) -> None:
    path = f"{OBJECTS}/{REPLY}"
    headers = signed(inspector, "PUT", path, "desks=inspektorat", b"{}")
    status, body = send(
        base, "PUT", path.replace("0badc0de", "0badc0df"), headers, "desks=inspektorat", b"{}"
    )
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = send(base, "PUT", path, headers, "desks=kab-bandung", b"{}")
    assert (status, body["error"]) == (401, "bad_signature")


def test_the_api_is_off_by_default(store: LocalStorage, inspector: Identity) -> None:
    assert Settings.from_env({}).inspector_api is False
    with host(store, on=False) as url:
        path = f"{OBJECTS}/{layout.report(FIRST)}"
        assert HTTP.request("GET", url + path, headers=signed(inspector, "GET", path)).status == 404
        assert HTTP.request("GET", url + OBJECTS).status == 404


@pytest.mark.parametrize("value", ["yes", "1", "true "])
def test_the_switch_is_on_or_off(value: str) -> None:
    assert Settings.from_env({"WBS_INSPECTOR_API": "on"}).inspector_api is True
    with pytest.raises(ConfigError, match="WBS_INSPECTOR_API must be on or off"):
        Settings.from_env({"WBS_INSPECTOR_API": value})


def test_a_key_retired_while_serving_is_refused_at_its_next_request(
    base: str, inspector: Identity
) -> None:
    path = f"{OBJECTS}/{layout.report(FIRST)}"
    assert send(base, "GET", path, signed(inspector, "GET", path))[0] == 200
    Institution.here().person(inspector, "Inspektur", active=False)  # the keyring changes
    status, body = send(base, "GET", path, signed(inspector, "GET", path))
    assert (status, body["error"]) == (403, "retired_key")


def test_the_self_hosted_settings_leave_it_off_and_say_how_to_turn_it_on() -> None:
    env = (Path(__file__).parents[1] / "infra" / "selfhost" / "wbs.env").read_text()
    lines = env.splitlines()
    assert "#WBS_INSPECTOR_API=on" in lines
    assert not any(line.startswith("WBS_INSPECTOR_API") for line in lines)


class Failing(LocalStorage):
    """A store whose every call fails with ``error``."""

    def __init__(self, root: Path, error: Exception) -> None:
        super().__init__(root)
        self.error = error

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        raise self.error

    def stream(self, key: str) -> Readable:
        raise self.error

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        raise self.error


def call(app: InspectorApi, method: str, path: str, headers: dict[str, str], query: str = "",
         body: bytes = b"") -> tuple[str, dict[str, Any]]:  # fmt: skip
    """One request straight to the WSGI application: its status line and JSON body."""
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer: list[str] = []
    data = b"".join(app(environ, lambda status, _headers: answer.append(status)))  # type: ignore[arg-type,return-value]
    return answer[0], json.loads(data)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (StorageError("disk gone /var/lib/wbs/storage"), "503", "storage_unavailable"),
        (RuntimeError("a bug that names /var/lib/wbs/storage"), "500", "internal_error"),
    ],
)
def test_a_failing_store_is_a_json_error_that_names_nothing(
    tmp_path: Path, inspector: Identity, error: Exception, status: str, code: str
) -> None:
    app = InspectorApi(Failing(tmp_path / "store", error), Path(os.environ["WBS_KEYRING"]))
    query, path = "prefix=reports%2F", f"{OBJECTS}/{REPLY}"
    with api_logs() as logs:
        answers = [
            call(app, "GET", OBJECTS, signed(inspector, "GET", OBJECTS, query), query),
            call(app, "GET", path, signed(inspector, "GET", path)),
            call(app, "PUT", path, signed(inspector, "PUT", path, "", b"{}"), body=b"{}"),
        ]
    for line, body in answers:
        assert line.startswith(status) and body["error"] == code
    assert "/var/lib" not in logs.getvalue() and logs.getvalue().count("\n") == 3


def test_the_replay_memory_is_bounded_and_refuses_rather_than_forget(
    inspector: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions import inspector_auth

    monkeypatch.setattr(inspector_auth, "MAX_REMEMBERED", 2)
    now = [1_767_225_600.0]
    gate = inspector_auth.Gate(Path(os.environ["WBS_KEYRING"]), clock=lambda: now[0])
    path = f"{OBJECTS}/{layout.report(FIRST)}"

    def check() -> str:
        headers = {
            k.lower(): v for k, v in signed(inspector, "GET", path, moment=int(now[0])).items()
        }
        return gate.check("GET", path, "", headers, body_digest(b""))

    assert check() == check() == inspector.kid  # two nonces remembered: the memory is full
    with pytest.raises(inspector_auth.Refused) as refused:
        check()
    assert refused.value.code == "busy" and refused.value.status == 503
    now[0] += WINDOW_SECONDS + 1  # both have left the window: forgotten, room again
    assert check() == inspector.kid
