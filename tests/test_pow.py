"""The proof of work against floods (docs/spec/pow-v1.md), called as Lambda calls the API.

POST /api/challenge hands out stateless challenges; POST /api/reports and POST /api/mailbox
take a solved one in Wbs-Proof, once. A refused proof writes nothing; a spent one leaves a
create-only marker that a replay hits (409), and the local host's sweep removes old markers
and nothing else. The proof never reaches a log."""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import os
import struct
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import mailbox, mailbox_token
from functions.config import ConfigError, Settings
from functions.proofs import Proofs
from functions.proofs import challenge as fmt
from functions.storage import LocalStorage
from tests.support.api import (
    api_logs,
    bearer,
    envelope_json,
    get_event,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from tests.support.pow import challenge_event, solve
from tests.support.reporter import key_header

INSPECTOR = identity(1)
REPORTER = identity(3)
STRANGER = identity(2)
SECRET = bytes(range(32))
DIFFICULTY = 8
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, root: Path, storage: LocalStorage, proofs: Proofs, clock: Clock) -> None:
        self.root = root
        self.storage = storage
        self.proofs = proofs
        self.clock = clock

    def files(self) -> dict[str, bytes]:
        """Every file under the storage folder, hidden ones included."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }

    def markers(self) -> list[str]:
        return [i.key for i in self.storage.list("proofs/")]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "storage"
    storage = LocalStorage(root)
    clock = Clock()
    proofs = Proofs(storage, lambda: SECRET, DIFFICULTY, clock)
    keyring = write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    api.configure(storage=storage, keyring_path=keyring, proofs=proofs)
    yield World(root, storage, proofs, clock)
    api.configure()


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def challenge(action: str) -> dict[str, Any]:
    status, answer = call(challenge_event(action))
    assert status == 200, answer
    return answer


def proof(action: str) -> str:
    answer = challenge(action)
    return solve(answer["challenge"], answer["difficulty"])


def report_event(token: bytes, header: str | None, text: bytes = b"laporan") -> dict[str, Any]:
    report = sealed(text, [INSPECTOR.public_key], mailbox_token.report_id(token))
    event = post_event(envelope_json(report), authorization=bearer(token))
    if header is not None:
        event["headers"]["wbs-proof"] = header
    return event


def followup_event(token: bytes, header: str | None) -> dict[str, Any]:
    keys = [INSPECTOR.public_key, REPORTER.public_key]
    followup = sealed(b"tambahan", keys, mailbox_token.report_id(token), "followup")
    event = post_event(envelope_json(followup), authorization=bearer(token), path="/api/mailbox")
    if header is not None:
        event["headers"]["wbs-proof"] = header
    return event


def open_case() -> bytes:
    token = new_token()
    assert call(report_event(token, proof("report")))[0] == 201
    return token


def assert_error(answer: dict[str, Any], code: str) -> None:
    assert answer["error"] == code, answer
    assert set(answer) == {"error", "message"} and answer["message"].endswith(".")


# --- challenges ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["report", "followup"])
def test_a_challenge_is_signed_bound_and_stores_nothing(world: World, action: str) -> None:
    answer = challenge(action)
    assert set(answer) == {"challenge", "difficulty", "expires"}
    assert answer["difficulty"] == DIFFICULTY
    assert answer["expires"] == datetime.fromtimestamp(START + 600, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    raw = base64.urlsafe_b64decode(answer["challenge"] + "=")
    assert len(answer["challenge"]) == 79 and len(raw) == 59
    version, code, difficulty, expires, _ = fmt.BODY.unpack(raw[: fmt.BODY.size])
    assert (version, code, difficulty, expires) == (1, fmt.ACTIONS[action], DIFFICULTY, START + 600)
    assert answer["challenge"] != challenge(action)["challenge"]  # a fresh nonce each time
    assert world.files() == {}


@pytest.mark.parametrize(
    "body",
    ["{}", '{"action": "delete"}', '{"action": "report", "x": 1}', '{"action": 1}', "[", "null"],
)
def test_a_challenge_request_must_name_an_action(world: World, body: str) -> None:
    status, answer = call(post_event(body, path="/api/challenge"))
    assert status == 400
    assert_error(answer, "bad_request")


def test_a_challenge_is_asked_with_post_and_json(world: World) -> None:
    status, answer = call(get_event("/api/challenge", None))
    assert (status, answer["error"]) == (405, "method_not_allowed")
    event = post_event('{"action": "report"}', "text/plain", path="/api/challenge")
    assert call(event)[0] == 415


# --- a proof is accepted once ----------------------------------------------------------------


def test_a_valid_proof_is_accepted_once_and_a_replay_stores_nothing(world: World) -> None:
    # Given a solved challenge
    header = proof("report")
    # When a report is sent with it
    token = new_token()
    status, answer = call(report_event(token, header))
    # Then it is stored, and the proof's marker is written, empty, under its challenge's hash
    assert status == 201, answer
    marker = "proofs/" + fmt.marker_name(fmt.Challenge(header.split(".")[0], "report", 0, 0))
    assert world.markers() == [marker] and world.storage.get(marker) == b""
    assert f"reports/{answer['id']}.json" in world.files()
    # When the same proof is sent again, with another report
    before = world.files()
    status, answer = call(report_event(new_token(), header))
    # Then it is refused and nothing is written
    assert status == 409
    assert_error(answer, "proof_used")
    assert world.files() == before


def test_a_followup_needs_its_own_proof_once(world: World) -> None:
    token = open_case()
    header = proof("followup")
    assert call(followup_event(token, header))[0] == 201
    before = world.files()
    status, answer = call(followup_event(token, header))
    assert status == 409
    assert_error(answer, "proof_used")
    assert world.files() == before
    assert len(world.markers()) == 2


def test_the_same_report_sent_again_needs_a_fresh_proof(world: World) -> None:
    # Given a report stored (its answer lost on the way back, say)
    token = new_token()
    header = proof("report")
    report = report_event(token, header)
    status, first = call(report)
    assert status == 201
    before = world.files()
    # When the page sends it again with the same proof: refused, nothing written
    assert call(report)[1]["error"] == "proof_used"
    assert world.files() == before
    # When it sends it again with a fresh proof: the same report, stored once
    report["headers"]["wbs-proof"] = proof("report")
    status, again = call(report)
    assert (status, again) == (201, first)
    written = set(world.files()) - set(before)
    assert len(written) == 1 and written.pop().startswith("proofs/")


def test_a_taken_code_uses_the_proof_and_writes_only_its_marker(world: World) -> None:
    # Given a case, and another report under the same receipt code
    token = open_case()
    before = world.files()
    header = proof("report")
    # When it is sent: the code is taken
    status, answer = call(report_event(token, header, b"another report"))
    assert status == 409
    assert_error(answer, "id_taken")
    # Then the proof is spent (its marker is the only write), and cannot be used again
    written = set(world.files()) - set(before)
    assert len(written) == 1 and written.pop().startswith("proofs/")
    assert call(report_event(new_token(), header))[1]["error"] == "proof_used"


def test_a_request_refused_for_its_content_leaves_the_proof_unused(
    world: World, tmp_path: Path
) -> None:
    # Given a solved proof, and a report sealed to a key the keyring does not have
    header = proof("report")
    token = new_token()
    wrong = sealed(b"x", [STRANGER.public_key], mailbox_token.report_id(token))
    event = post_event(envelope_json(wrong), authorization=bearer(token))
    event["headers"]["wbs-proof"] = header
    # When it is sent, and a body that is no envelope too
    assert call(event)[1]["error"] == "stale_keys"
    event["body"] = '{"v": 1'
    assert call(event)[1]["error"] == "bad_envelope"
    # Then nothing is written, the proof's marker neither
    assert world.files() == {}
    # And the proof still serves one good request
    assert call(report_event(token, header))[0] == 201


def test_a_full_mailbox_writes_no_marker(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    token = open_case()
    monkeypatch.setattr(mailbox, "MAX_REPORTER_MESSAGES", 1)
    assert call(followup_event(token, proof("followup")))[0] == 201
    before = world.files()
    status, answer = call(followup_event(token, proof("followup")))
    assert status == 403
    assert_error(answer, "mailbox_full")
    assert world.files() == before


# --- refusals: each writes nothing -----------------------------------------------------------


def signed(secret: bytes, action: str, difficulty: int, expires: float, version: int = 1) -> str:
    """A challenge made by hand: any secret, action, difficulty, expiry or version."""
    body = fmt.BODY.pack(version, fmt.ACTIONS[action], difficulty, int(expires), bytes(16))
    raw = body + fmt._mac(secret, body)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsolved(challenge_text: str, difficulty: int) -> str:
    """A proof whose counter does not meet ``difficulty``."""
    counter = 0
    while fmt.work_bits(f"{challenge_text}.{counter}") >= difficulty:
        counter += 1
    return f"{challenge_text}.{counter}"


def noncanonical(text: str) -> str:
    """The same 59 bytes with one of the last character's two unused bits set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    flipped = alphabet[alphabet.index(text[-1]) ^ 1]
    assert base64.urlsafe_b64decode(text[:-1] + flipped + "=") == base64.urlsafe_b64decode(
        text + "="
    )
    return text[:-1] + flipped


LATER = START + 300
REFUSED: dict[str, tuple[Callable[[], str | None], int, str]] = {
    "missing": (lambda: None, 400, "bad_proof"),
    "empty": (lambda: "", 400, "bad_proof"),
    "challenge only": (lambda: signed(SECRET, "report", 8, LATER), 400, "bad_proof"),
    "no counter": (lambda: signed(SECRET, "report", 8, LATER) + ".", 400, "bad_proof"),
    "extra dot": (lambda: solve(signed(SECRET, "report", 8, LATER), 8) + ".1", 400, "bad_proof"),
    "dots only": (lambda: "..", 400, "bad_proof"),
    "not base64": (lambda: "!" * 79 + ".1", 400, "bad_proof"),
    "standard base64": (lambda: "+/" * 39 + "A.1", 400, "bad_proof"),
    "padded": (lambda: signed(SECRET, "report", 8, LATER) + "=.1", 400, "bad_proof"),
    "short challenge": (lambda: signed(SECRET, "report", 8, LATER)[:-1] + ".1", 400, "bad_proof"),
    "non-canonical": (
        lambda: noncanonical(solve(signed(SECRET, "report", 8, LATER), 8).split(".")[0]) + ".0",
        400,
        "bad_proof",
    ),
    "too long": (lambda: signed(SECRET, "report", 8, LATER) + "." + "1" * 17, 400, "bad_proof"),
    "huge": (lambda: "A" * 100_000, 400, "bad_proof"),
    "leading zero": (lambda: signed(SECRET, "report", 8, LATER) + ".01", 400, "bad_proof"),
    "negative counter": (lambda: signed(SECRET, "report", 8, LATER) + ".-1", 400, "bad_proof"),
    "hex counter": (lambda: signed(SECRET, "report", 8, LATER) + ".0x1", 400, "bad_proof"),
    "unicode digits": (lambda: signed(SECRET, "report", 8, LATER) + ".\u0661", 400, "bad_proof"),
    "space": (lambda: " " + solve(signed(SECRET, "report", 8, LATER), 8), 400, "bad_proof"),
    "two proofs": (
        lambda: ",".join([solve(signed(SECRET, "report", 8, LATER), 8)] * 2),
        400,
        "bad_proof",
    ),
    "unknown version": (
        lambda: solve(signed(SECRET, "report", 8, LATER, version=2), 8),
        400,
        "bad_proof",
    ),
    "forged signature": (
        lambda: solve(signed(b"another server's key".ljust(32), "report", 8, LATER), 8),
        403,
        "proof_rejected",
    ),
    "signature of another challenge": (
        lambda: (lambda a, b: solve(a[:47] + b[47:], 8))(
            signed(SECRET, "report", 8, LATER), signed(SECRET, "report", 9, LATER)
        ),
        403,
        "proof_rejected",
    ),
    "a follow-up's proof": (
        lambda: solve(signed(SECRET, "followup", 8, LATER), 8),
        403,
        "proof_rejected",
    ),
    "expired": (lambda: solve(signed(SECRET, "report", 8, START), 8), 403, "proof_expired"),
    "too little work": (
        lambda: unsolved(signed(SECRET, "report", 8, LATER), 8),
        403,
        "proof_rejected",
    ),
    "a challenge easier than the server's": (
        lambda: solve(signed(SECRET, "report", 7, LATER), 7),
        403,
        "proof_rejected",
    ),
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_proof_is_refused_and_writes_nothing(world: World, name: str) -> None:
    make, status, code = REFUSED[name]
    header = make()
    status_, answer = call(report_event(new_token(), header))
    assert (status_, answer["error"]) == (status, code), answer
    assert_error(answer, code)
    assert world.files() == {}


def test_a_reports_proof_is_refused_for_a_followup(world: World) -> None:
    token = open_case()
    before = world.files()
    status, answer = call(followup_event(token, proof("report")))
    assert status == 403
    assert_error(answer, "proof_rejected")
    assert "not for a followup" in answer["message"]
    status, answer = call(followup_event(token, None))
    assert (status, answer["error"]) == (400, "bad_proof")
    assert world.files() == before


def test_an_expired_proof_is_refused_even_if_solved_in_time(world: World) -> None:
    header = proof("report")
    world.clock.now = START + fmt.LIFETIME_SECONDS
    status, answer = call(report_event(new_token(), header))
    assert (status, answer["error"]) == (403, "proof_expired")
    assert world.files() == {}


def test_the_token_is_checked_before_the_proof_and_the_proof_before_the_body(
    world: World,
) -> None:
    event = report_event(new_token(), "junk")
    del event["headers"]["authorization"]
    assert call(event)[1]["error"] == "bad_token"
    event = post_event('{"not": "an envelope"', authorization=bearer(new_token()))
    assert call(event)[1]["error"] == "bad_proof"
    # a follow-up's proof is checked before its mailbox is opened: an unknown code too
    assert call(followup_event(new_token(), None))[1]["error"] == "bad_proof"
    assert call(followup_event(new_token(), proof("followup")))[1]["error"] == "unknown_code"
    assert world.files() == {}


# --- off, settings and the key ---------------------------------------------------------------


def test_difficulty_zero_turns_the_check_off(tmp_path: Path) -> None:
    # Given the handlers from the environment, as in every test of other features
    assert os.environ["WBS_POW_DIFFICULTY"] == "0"
    storage = LocalStorage(tmp_path / "storage")
    keyring = write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    api.configure(storage=storage, keyring_path=keyring)
    try:
        # Then a report needs no proof, a header is ignored, and no marker is written
        assert call(report_event(new_token(), None))[0] == 201
        assert call(report_event(new_token(), "junk"))[0] == 201
        assert [i.key for i in storage.list("proofs/")] == []
        # And the page still gets a challenge, which asks no work
        answer = challenge("report")
        assert answer["difficulty"] == 0 and solve(answer["challenge"], 0).endswith(".0")
    finally:
        api.configure()


@pytest.mark.parametrize("value", ["29", "-1", "abc", "1.5", " 5", "\u0661"])
def test_the_difficulty_variable_is_checked(value: str) -> None:
    with pytest.raises(ConfigError, match="WBS_POW_DIFFICULTY must be a whole number from 0"):
        Settings.from_env({"WBS_POW_DIFFICULTY": value})


def test_the_local_hosts_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(f"local:{tmp_path / 's'}", tmp_path / "k.json", home=home, pow_difficulty=4)
    storage = settings.open_storage()
    first = settings.open_proofs(storage).challenge("report")["challenge"]
    key = home / "pow-secret"
    assert key.stat().st_mode & 0o777 == 0o600
    text = key.read_text()
    # A second process reads the same key: its challenges verify here
    again = Settings(f"local:{tmp_path / 's'}", tmp_path / "k.json", home=home, pow_difficulty=1)
    gate = again.open_proofs(storage)
    assert gate.check(solve(first, 4), "report") is not None
    assert key.read_text() == text


def test_an_unusable_key_is_a_503_that_names_nothing(tmp_path: Path) -> None:
    settings = Settings(
        f"local:{tmp_path / 's'}", tmp_path / "k.json", pow_difficulty=8, pow_secret="short"
    )
    storage = settings.open_storage()
    api.configure(storage=storage, proofs=settings.open_proofs(storage))
    try:
        status, answer = call(challenge_event("report"))
        assert (status, answer["error"]) == (503, "server_misconfigured")
        assert "short" not in json.dumps(answer)
    finally:
        api.configure()


# --- the sweep -------------------------------------------------------------------------------


def test_the_sweep_removes_old_markers_and_nothing_else(world: World) -> None:
    # Given two cases with spent proofs, long ago, and one spent just now
    open_case()
    token = open_case()
    old = world.files()
    hour_ago = time.time() - 3600
    for name in old:
        os.utime(world.root / name, (hour_ago, hour_ago))
    fresh = proof("followup")
    assert call(followup_event(token, fresh))[0] == 201
    kept = {n: d for n, d in world.files().items() if n not in old or not n.startswith("proofs/")}
    # When the host sweeps: the old markers are older than a challenge's lifetime
    assert world.proofs.sweep(datetime.now(UTC)) == 2
    # Then only the old markers are gone: reports, verifiers and messages stay
    assert world.files() == kept
    assert len(world.markers()) == 1


def test_the_host_sweeps_uploads_and_markers_and_survives_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions import host

    swept: list[str] = []

    class Area:
        def __init__(self, name: str, fail: bool) -> None:
            self.name, self.fail = name, fail

        def sweep(self, now: datetime) -> int:
            swept.append(self.name)
            if self.fail:
                raise OSError("disk full")
            return 0

    class Stop(Exception):
        pass

    def nap(seconds: float) -> None:
        raise Stop

    monkeypatch.setattr(host.time, "sleep", nap)
    with pytest.raises(Stop):
        host.sweep_forever(Area("uploads", True), Area("proofs", False), every=1)
    assert swept == ["uploads", "proofs"]


# --- never logged ----------------------------------------------------------------------------


def test_the_proof_and_the_challenge_never_reach_a_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stream: io.StringIO
    with api_logs() as stream:
        answer = challenge("report")
        header = solve(answer["challenge"], answer["difficulty"])
        token = new_token()
        assert call(report_event(token, header))[0] == 201
        assert call(report_event(new_token(), header))[0] == 409
        assert call(report_event(new_token(), header[:-1] + "x"))[0] == 400
    written = stream.getvalue() + caplog.text
    for secret in (answer["challenge"], answer["challenge"][:20], header, SECRET.hex()):
        assert secret not in written
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["route"], line["status"], line.get("error")) for line in lines] == [
        ("/api/challenge", 200, None),
        ("/api/reports", 201, None),
        ("/api/reports", 409, "proof_used"),
        ("/api/reports", 400, "bad_proof"),
    ]


# --- the format's own edges ------------------------------------------------------------------


def test_work_bits_counts_leading_zero_bits() -> None:
    found = {fmt.work_bits(f"x.{n}") for n in range(2000)}
    assert {0, 1, 2, 3, 4} <= found
    for n in range(200):
        digest = int.from_bytes(__import__("hashlib").sha256(f"x.{n}".encode()).digest(), "big")
        assert fmt.work_bits(f"x.{n}") == 256 - digest.bit_length()


def test_the_body_layout_is_27_bytes() -> None:
    assert fmt.BODY.size == 27 and struct.calcsize(">BBBQ16s") == 27
    assert fmt.CHALLENGE_BYTES == 59 and fmt.MAX_PROOF_CHARS == 96


# --- through the local host ------------------------------------------------------------------


def test_the_local_host_passes_the_proof_to_the_api(tmp_path: Path) -> None:
    from functions import host
    from tests.support.host import serving

    # Given `wbs serve`'s host, asking 8 bits
    keyring = write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    settings = Settings(
        f"local:{tmp_path / 'storage'}", keyring, home=tmp_path / "home", pow_difficulty=8
    )
    server = host.make_server(None, settings, port=0)

    def send(path: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        try:
            conn.request(
                "POST", path, body.encode(), {"Content-Type": "application/json", **headers}
            )
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    try:
        with serving(server):
            # When the page asks a challenge over HTTP, solves it and sends a report with it
            status, answer = send("/api/challenge", '{"action": "report"}', {})
            assert (status, answer["difficulty"]) == (200, 8)
            token = new_token()
            report = sealed(b"laporan", [INSPECTOR.public_key], mailbox_token.report_id(token))
            headers = {"Authorization": bearer(token), "Wbs-Signing-Key": key_header(token)}
            # Then without the header it is refused, and with it (in any case) stored once
            assert send("/api/reports", envelope_json(report), headers)[1]["error"] == "bad_proof"
            headers["WBS-PROOF"] = solve(answer["challenge"], answer["difficulty"])
            assert send("/api/reports", envelope_json(report), headers)[0] == 201
            assert send("/api/reports", envelope_json(report), headers)[1]["error"] == "proof_used"
    finally:
        api.configure()
    assert (tmp_path / "home" / "pow-secret").stat().st_mode & 0o777 == 0o600
    assert len(list(LocalStorage(tmp_path / "storage").list("proofs/"))) == 1


def test_the_host_forwards_the_proof_header_and_still_nothing_about_the_client() -> None:
    from functions.host import api_event

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/reports",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "2",
        "HTTP_AUTHORIZATION": "Bearer x",
        "HTTP_WBS_PROOF": "p.1",
        "HTTP_USER_AGENT": "Mozilla",
        "HTTP_X_FORWARDED_FOR": "198.51.100.23",
        "REMOTE_ADDR": "198.51.100.23",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    event = api_event(environ)
    assert event["headers"] == {
        "content-type": "application/json",
        "authorization": "Bearer x",
        "wbs-proof": "p.1",
        "content-length": "2",
    }
