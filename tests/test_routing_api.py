"""The API accepts only the recipient sets the routing rules allow (docs/spec/desks-v2.md
sections 4 and 5), called as Lambda calls it: a report is sealed to the desks some answers of
the reporter route to and the recovery key, a follow-up to its case's desks (those of the
report, and those it was shared with by a verified case grant), the recovery key and the
reporter. Anything else is a stale or tampered page: 422 stale_keys, and nothing is written,
its proof of work included."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import envelope as fmt
from functions import keyring, mailbox_token, recipients, routing
from functions.config import Settings
from functions.host import make_server
from functions.mailbox_token import verifier
from functions.proofs import Proofs
from functions.routing import Routing
from functions.storage import LocalStorage, layout
from tests.support import reporter
from tests.support.api import (
    RECOVERY,
    api_logs,
    bearer,
    envelope_json,
    get_event,
    identity,
    new_token,
    post_event,
    sealed,
    write_desks,
)
from tests.support.host import serving
from tests.support.pow import new_proof
from wbs.crypto import Identity
from wbs.deploy.package import ROUTING_ENTRY, package
from wbs.desks import grants

MAILBOX = "/api/mailbox"
REPORTS = "/api/reports"
# Each desk's active key; "jabar" has an older generation, JABAR_1
DESKS = {
    "inspektorat": identity(10),
    "jabar": identity(11),
    "jatim": identity(12),
    "pimpinan": identity(13),
    "pengadaan": identity(14),
}
JABAR_1 = identity(15)
INSPECTOR = identity(20)  # a member of inspektorat, granted by the recovery key
STRANGER = identity(21)  # in no keyring
ESCALATOR = identity(22)  # a member of pimpinan, granted by the recovery key
OUTSIDER = identity(23)  # a member of jatim only
LEAVER = identity(24)  # a member of jabar's generation 1 only: left at the rotation
SELF_MADE = identity(25)  # a person holding a grant of inspektorat that they signed themselves
NOBODY = identity(26)  # a person of the keyring holding no grant
PERSONS = [INSPECTOR, ESCALATOR, OUTSIDER, LEAVER, SELF_MADE, NOBODY]
READER = identity(3)  # the reporter's X25519 key, derived from the receipt code in real life
RULES = Routing(
    central="inspektorat",
    central_receives="all",
    escalation="pimpinan",
    offices=(("kab-bandung", "jabar"), ("kota-surabaya", "jatim"), ("kpu-pusat", "inspektorat")),
    categories=(("pengadaan-barang-jasa", ("pengadaan",)),),
)
# Keys that are no desk's active one, by the name the tests give them
OTHERS = {"jabar-1": JABAR_1, "person": INSPECTOR, "stranger": STRANGER, "reporter": READER}


def key(name: str) -> bytes:
    return (DESKS.get(name) or OTHERS[name]).public_key


class World:
    def __init__(self, base: Path, receives: str) -> None:
        self.root = base / "storage"
        self.storage = LocalStorage(self.root)
        self.keyring = base / "keyring.json"
        self.routing = base / "routing.json"
        generations = {d: [i.public_key] for d, i in DESKS.items()}
        generations["jabar"] = [JABAR_1.public_key, DESKS["jabar"].public_key]
        self.generations = generations
        self.ring = write_desks(self.keyring, generations, PERSONS)
        self.rules(receives)
        # Membership as desks-v2 section 3.6 counts it: rooted at the recovery key (a
        # generation without a founder), except the grant SELF_MADE signed for themselves
        self.grant("inspektorat", INSPECTOR)
        self.grant("pimpinan", ESCALATOR)
        self.grant("jatim", OUTSIDER)
        self.grant("jabar", LEAVER, generation=1)
        self.grant("inspektorat", SELF_MADE, granter=SELF_MADE)

    def grant(
        self, desk: str, member: Identity, granter: Identity = RECOVERY, generation: int = 0
    ) -> None:
        """A membership grant of ``desk`` (its active generation, or ``generation``)."""
        entry = self.ring.generations(desk)[generation - 1] if generation else self.ring.desk(desk)
        secret = JABAR_1 if (desk, entry.generation) == ("jabar", 1) else DESKS[desk]
        name, data = grants.desk_grant(
            entry, secret.private_key, member.kid, member.public_key, granter
        )
        self.storage.put_new(name, data)

    def rules(self, receives: str, rules: Routing = RULES) -> None:
        document = Routing(rules.central, receives, *_rest(rules)).to_json()
        self.routing.write_text(json.dumps(document), encoding="utf-8")

    def rotate(self, desk: str, new: Identity) -> None:
        """The desk's next generation becomes active (a member left)."""
        self.generations[desk] = [*self.generations[desk], new.public_key]
        self.ring = write_desks(self.keyring, self.generations, PERSONS)

    def files(self) -> dict[str, bytes]:
        """Every file under the storage folder, hidden ones (spent proofs...) included."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }

    def verifier(self, case: str) -> dict[str, Any]:
        record: dict[str, Any] = json.loads(self.storage.get(layout.verifier(case)))
        return record


def _rest(rules: Routing) -> tuple[Any, ...]:
    return (rules.escalation, rules.offices, rules.categories)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The handlers on the desks above and the routing rules, with the proof-of-work gate on
    (8 bits), so that a spent proof would show in storage."""
    found = World(tmp_path, "all")
    proofs = Proofs(found.storage, lambda: b"s" * 32, 8)
    api.configure(
        storage=found.storage,
        keyring_path=found.keyring,
        routing_path=found.routing,
        proofs=proofs,
    )
    yield found
    api.configure()


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def report_event(
    token: bytes, names: list[str], *, recovery: bool = True, proof: str | None = None
) -> dict[str, Any]:
    case = mailbox_token.report_id(token)
    sent = sealed(b'{"what":"laporan"}', [key(n) for n in names], case, recovery=recovery)
    event = post_event(envelope_json(sent), authorization=bearer(token))
    event["headers"]["wbs-proof"] = proof or new_proof("report")
    return event


def open_case(names: list[str]) -> tuple[bytes, str]:
    token = new_token()
    status, answer = call(report_event(token, names))
    assert status == 201, answer
    return token, answer["id"]


def followup_event(token: bytes, names: list[str], *, recovery: bool = True) -> dict[str, Any]:
    case = mailbox_token.report_id(token)
    sent = sealed(b"tindak lanjut", [key(n) for n in names], case, "followup", recovery)
    event = post_event(envelope_json(sent), authorization=bearer(token), path=MAILBOX)
    event["headers"]["wbs-proof"] = new_proof("followup")
    return event


def mailbox_desks(token: bytes) -> list[str]:
    status, answer = call(get_event(MAILBOX, bearer(token)))
    assert status == 200, answer
    desks: list[str] = answer["desks"]
    return desks


def assert_stale(answer: tuple[int, dict[str, Any]]) -> None:
    status, body = answer
    assert (status, body.get("error")) == (422, "stale_keys"), body
    assert "Reload the page" in body["message"]


# --- reports -----------------------------------------------------------------------------

ACCEPTED = {
    "no office: the central desk": ("all", ["inspektorat"]),
    "the central desk's own office": ("none", ["inspektorat"]),
    "an office on a regional desk, the central desk receives all": (
        "all",
        ["jabar", "inspektorat"],
    ),
    "an office on a regional desk, the central desk receives none": ("none", ["jabar"]),
    "about the inspectorate's own staff: the escalation desk alone": ("all", ["pimpinan"]),
    "a category with a desk of its own": ("all", ["inspektorat", "pengadaan"]),
    "an office and a category": ("all", ["jabar", "inspektorat", "pengadaan"]),
    "an office and a category, the central desk receives none": ("none", ["jabar", "pengadaan"]),
}


@pytest.mark.parametrize(("receives", "names"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_every_set_the_rules_give_is_accepted(
    world: World, receives: str, names: list[str]
) -> None:
    # Given rules whose central desk receives all or none of the offices' reports
    world.rules(receives)
    # When a report is sealed to the desks some answers route to, and the recovery key
    token = new_token()
    status, answer = call(report_event(token, names))
    # Then it is stored, and its verifier records the desks, sorted
    assert status == 201, answer
    case = mailbox_token.report_id(token)
    assert world.storage.get(layout.report(case))
    assert world.verifier(case)["desks"] == sorted(names)
    # And the mailbox tells the page which desks its follow-ups go to
    assert mailbox_desks(token) == sorted(names)


def test_every_set_of_the_rules_is_one_route_gives(world: World) -> None:
    # The sets the API accepts are exactly route()'s, each with the recovery key
    ring = keyring.load(world.keyring)
    allowed = recipients.Recipients.load(world.keyring, world.routing).reports
    answers = [
        (office, staff, category)
        for office in ("", "kab-bandung", "kota-surabaya", "kpu-pusat", "elsewhere")
        for staff in (False, True)
        for category in ("", "pengadaan-barang-jasa", "lainnya")
    ]
    routed = {RULES.route(*a) for a in answers}
    assert allowed == {
        frozenset({RECOVERY.kid, *(ring.desk(d).kid for d in desks)}) for desks in routed
    }


REFUSED = {
    "without the recovery key": ("all", ["inspektorat"], False),
    "the recovery key alone": ("all", [], True),
    "a staff report also sealed to the regular desk": ("all", ["pimpinan", "inspektorat"], True),
    "the escalation desk and a category desk": ("all", ["pimpinan", "pengadaan"], True),
    "an office desk without the central desk, which receives all": ("all", ["jabar"], True),
    "an office desk with the central desk, which receives none": (
        "none",
        ["jabar", "inspektorat"],
        True,
    ),
    "two offices' desks": ("all", ["jabar", "jatim", "inspektorat"], True),
    "a category desk alone": ("all", ["pengadaan"], True),
    "a rotated desk's earlier generation": ("all", ["jabar-1", "inspektorat"], True),
    "a person's key instead of a desk": ("all", ["person"], True),
    "a key outside the keyring": ("all", ["stranger"], True),
    "the right desks and one more key": ("all", ["inspektorat", "stranger"], True),
}


@pytest.mark.parametrize(("receives", "names", "recovery"), REFUSED.values(), ids=REFUSED.keys())
def test_a_set_the_rules_do_not_give_is_refused_and_nothing_is_written(
    world: World, receives: str, names: list[str], recovery: bool
) -> None:
    # Given the rules, and a stale or tampered page's report
    world.rules(receives)
    token = new_token()
    proof = new_proof("report")
    before = world.files()
    # When it is sent
    answer = call(report_event(token, names, recovery=recovery, proof=proof))
    # Then it is refused as out of date, and storage is byte for byte as it was: no report,
    # no verifier, no spent proof
    assert_stale(answer)
    assert world.files() == before
    # And the proof still buys the reloaded page's report, under the same receipt code
    status, stored = call(report_event(token, ["inspektorat"], proof=proof))
    assert status == 201, stored


def test_rules_changed_on_disk_apply_to_the_next_request(world: World) -> None:
    # Given rules where the central desk receives every office's report
    token = new_token()
    assert_stale(call(report_event(token, ["jabar"])))
    # When the rules are rebuilt so that it receives none (no restart)
    world.rules("none")
    # Then the same report is taken
    assert call(report_event(token, ["jabar"]))[0] == 201


def test_unchanged_files_are_read_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the handlers counting how often they read the keyring and the rules
    reads: list[str] = []
    load_ring, load_rules = keyring.load_active, routing.load
    monkeypatch.setattr(keyring, "load_active", lambda p: reads.append("k") or load_ring(p))
    monkeypatch.setattr(routing, "load", lambda p: reads.append("r") or load_rules(p))
    # When five reports arrive and neither file changes
    for _ in range(5):
        assert call(report_event(new_token(), ["inspektorat"]))[0] == 201
    # Then both were read once
    assert reads == ["k", "r"]
    # And read again once the keyring changes
    world.rotate("jatim", identity(16))
    assert call(report_event(new_token(), ["inspektorat"]))[0] == 201
    assert reads == ["k", "r", "k", "r"]


MISCONFIGURED = {
    "rules naming a desk the keyring lacks": lambda w: w.rules(
        "all", Routing("inspektorat", "all", "leadership")
    ),
    "rules that are not JSON": lambda w: w.routing.write_text("{", encoding="utf-8"),
    "rules of another format": lambda w: w.routing.write_text('{"format": 1}', encoding="utf-8"),
    "no rules file": lambda w: w.routing.unlink(),
}


@pytest.mark.parametrize("spoil", MISCONFIGURED.values(), ids=MISCONFIGURED.keys())
def test_unusable_rules_are_the_servers_fault_and_nothing_is_written(
    world: World, spoil: Any
) -> None:
    spoil(world)
    before = world.files()
    with api_logs() as logs:
        status, answer = call(report_event(new_token(), ["inspektorat"]))
    assert (status, answer["error"]) == (503, "server_misconfigured")
    assert world.files() == before
    messages = [json.loads(line)["message"] for line in logs.getvalue().splitlines()]
    assert "server misconfigured" in messages


# --- follow-ups --------------------------------------------------------------------------


def test_a_followup_is_sealed_to_every_desk_of_its_case(world: World) -> None:
    # Given a report about an office, sent to its regional desk and the central desk
    token, _ = open_case(["jabar", "inspektorat"])
    assert mailbox_desks(token) == ["inspektorat", "jabar"]
    before = world.files()
    # Then a follow-up missing one of them, the recovery key or the reporter is refused
    for names, recovery in (
        (["inspektorat", "reporter"], True),
        (["jabar", "reporter"], True),
        (["jabar", "inspektorat", "reporter"], False),
        (["jabar", "inspektorat"], True),
        (["jabar", "inspektorat", "reporter", "pimpinan"], True),
    ):
        assert_stale(call(followup_event(token, names, recovery=recovery)))
    assert world.files() == before
    # And one sealed to both desks, the recovery key and the reporter is stored
    assert call(followup_event(token, ["jabar", "inspektorat", "reporter"]))[0] == 201


def test_a_followup_to_a_rotated_desks_earlier_generation_is_refused(world: World) -> None:
    # Given a case of desk jabar, whose generation 2 then gave way to generation 3
    token, _ = open_case(["jabar", "inspektorat"])
    newest = identity(17)
    world.rotate("jabar", newest)
    # Then a follow-up from a page still holding generation 2 must reload
    assert_stale(call(followup_event(token, ["jabar", "inspektorat", "reporter"])))
    # And once sealed to generation 3, it is stored
    OTHERS["jabar-3"] = newest
    try:
        assert call(followup_event(token, ["jabar-3", "inspektorat", "reporter"]))[0] == 201
    finally:
        del OTHERS["jabar-3"]


def share(world: World, case: str, desk: str, signer: Identity, when: int = 0) -> str:
    """A case grant of ``case`` to ``desk``'s active generation, signed by ``signer``, stored
    as the inspector's tool stores it; its storage key."""
    moment = datetime.datetime(2024, 5, 1, 8, 0, when, tzinfo=datetime.UTC)
    payload = grants.case_keys("eskalasi", {bytes(24): bytes(32)})
    name, data = grants.case_grant(case, world.ring.desk(desk), payload, signer, moment)
    world.storage.put_new(name, data)
    return name


def test_a_case_shared_with_another_desk_takes_followups_sealed_to_it_too(world: World) -> None:
    # Given a case of the central desk, shared by an inspector with the escalation desk
    token, case = open_case(["inspektorat"])
    share(world, case, "pimpinan", INSPECTOR)
    # Then the mailbox tells the page both desks
    assert mailbox_desks(token) == ["inspektorat", "pimpinan"]
    # And a follow-up sealed to the case's own desk only is refused, writing nothing
    before = world.files()
    assert_stale(call(followup_event(token, ["inspektorat", "reporter"])))
    assert world.files() == before
    # And one sealed to both is stored
    assert call(followup_event(token, ["inspektorat", "pimpinan", "reporter"]))[0] == 201


def test_a_share_signed_by_the_recovery_key_counts(world: World) -> None:
    token, case = open_case(["inspektorat"])
    share(world, case, "jabar", RECOVERY)
    assert mailbox_desks(token) == ["inspektorat", "jabar"]


def test_a_case_handed_on_by_a_member_of_a_desk_it_was_shared_with(world: World) -> None:
    # Given a case of the central desk, which a member of pimpinan shares on with jatim
    token, case = open_case(["inspektorat"])
    share(world, case, "jatim", ESCALATOR, when=1)
    # Then that counts for nothing while the case is not pimpinan's
    assert mailbox_desks(token) == ["inspektorat"]
    # And once a member of the central desk has shared it with pimpinan, both count
    share(world, case, "pimpinan", INSPECTOR, when=2)
    assert mailbox_desks(token) == ["inspektorat", "jatim", "pimpinan"]
    assert call(followup_event(token, ["inspektorat", "jatim", "pimpinan", "reporter"]))[0] == 201


def test_junk_among_the_membership_grants_changes_nothing(world: World) -> None:
    # Given objects under the central desk's grants that are no grants at all
    folder = f"{layout.desk_grants('inspektorat')}1/"
    world.storage.put_new(f"{folder}{NOBODY.kid}.json", b"{}")
    world.storage.put_new(f"{folder}{STRANGER.kid}.json", b"not json")
    world.storage.put_new(f"{folder}notes.txt", b"x")
    # Then a share by a rooted member still counts, and nobody else became a member
    token, case = open_case(["inspektorat"])
    share(world, case, "pimpinan", INSPECTOR, when=1)
    share(world, case, "jatim", NOBODY, when=2)
    assert mailbox_desks(token) == ["inspektorat", "pimpinan"]


NOT_MEMBERS = {
    "a member of another desk": (["inspektorat"], OUTSIDER),
    "a person whose membership grant is signed by themselves": (["inspektorat"], SELF_MADE),
    "a leaver, who holds only the desk's earlier generation": (["jabar", "inspektorat"], LEAVER),
    "a person of the keyring holding no grant at all": (["inspektorat"], NOBODY),
}


@pytest.mark.parametrize(("routed", "signer"), NOT_MEMBERS.values(), ids=NOT_MEMBERS.keys())
def test_a_share_by_someone_who_is_no_member_of_the_cases_desks_does_not_count(
    world: World, routed: list[str], signer: Identity
) -> None:
    # Given a case, shared with the escalation desk by someone whose signature verifies
    # against the keyring, but who is no rooted member of the case's desks (section 6.5)
    token, case = open_case(routed)
    name = share(world, case, "pimpinan", signer)
    # Then the share does not count, and the log names it
    with api_logs() as logs:
        assert mailbox_desks(token) == sorted(routed)
    assert name.rpartition("/")[2] in logs.getvalue()
    # And follow-ups are not sealed to pimpinan
    assert call(followup_event(token, [*routed, "reporter"]))[0] == 201


def _forged(world: World, case: str, other: str, how: str) -> str:
    """A case grant that must not count, written by someone with storage access."""
    if how == "signed by a key outside the keyring":
        return share(world, case, "pimpinan", STRANGER)
    if how == "a grant of another case, copied":
        name = share(world, other, "pimpinan", INSPECTOR)
        copied = layout.shares(case) + name.rpartition("/")[2]
        world.storage.put_new(copied, world.storage.get(name))
        return copied
    moment = datetime.datetime(2024, 5, 1, 9, 0, 0, tzinfo=datetime.UTC)
    payload = grants.case_keys("x", {bytes(24): bytes(32)})
    name, data = grants.case_grant(case, world.ring.desk("pimpinan"), payload, INSPECTOR, moment)
    document = json.loads(data)
    if how == "its signature altered":
        sig = bytearray(fmt.b64decode(document["signature"]["sig"], "sig"))
        sig[0] ^= 1
        document["signature"]["sig"] = fmt.b64encode(bytes(sig))
    elif how == "its desk changed after signing":
        document["desk"], document["desk_kid"] = "jatim", world.ring.desk("jatim").kid
        name = layout.share(case, moment, "jatim")
    elif how == "named for another desk than inside":
        name = layout.share(case, moment, "jatim")
    elif how == "a desk generation the keyring lacks":
        document["generation"] = 7
    elif how == "not JSON":
        world.storage.put_new(name, b"{not json")
        return name
    elif how == "an empty JSON object":
        world.storage.put_new(name, b"{}")
        return name
    world.storage.put_new(name, fmt.canonical_json(document))
    return name


FORGERIES = [
    "signed by a key outside the keyring",
    "its signature altered",
    "its desk changed after signing",
    "named for another desk than inside",
    "a desk generation the keyring lacks",
    "a grant of another case, copied",
    "not JSON",
    "an empty JSON object",
]


@pytest.mark.parametrize("how", FORGERIES)
def test_a_share_that_does_not_verify_is_ignored_and_logged_by_name(world: World, how: str) -> None:
    # Given a case, and a case grant that does not check out against the keyring
    token, case = open_case(["inspektorat"])
    _, other = open_case(["inspektorat"])
    name = _forged(world, case, other, how)
    # When the reporter opens the mailbox
    with api_logs() as logs:
        desks = mailbox_desks(token)
    # Then the share counts for nothing, and the log names the object, nothing else of it
    assert desks == ["inspektorat"]
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    (ignored,) = [line for line in lines if line["message"] == "case grant ignored"]
    assert ignored["object_name"] == name.rpartition("/")[2]
    assert case not in logs.getvalue() and other not in logs.getvalue()
    # And follow-ups go to the case's own desk, as before
    assert call(followup_event(token, ["inspektorat", "reporter"]))[0] == 201
    assert_stale(call(followup_event(token, ["inspektorat", "pimpinan", "reporter"])))


def test_a_verifier_without_desks_falls_back_to_the_central_desk(world: World) -> None:
    # Given a case whose verifier records no desks (written before they existed)
    token = new_token()
    case = mailbox_token.report_id(token)
    record = {
        "received": "2024-05-01T08:00:00Z",
        "verifier": verifier(token),
        "report": "0" * 64,
        "signing_key": reporter.key_header(token),
    }
    world.storage.put_new(layout.verifier(case), fmt.canonical_json(record))
    # Then its follow-ups go to the central desk
    assert mailbox_desks(token) == ["inspektorat"]
    assert call(followup_event(token, ["inspektorat", "reporter"]))[0] == 201


def test_recorded_desks_the_keyring_no_longer_has_are_left_out(world: World) -> None:
    token = new_token()
    case = mailbox_token.report_id(token)
    record = {
        "received": "2024-05-01T08:00:00Z",
        "verifier": verifier(token),
        "report": "0" * 64,
        "signing_key": reporter.key_header(token),
        "desks": ["dibubarkan", "jabar"],
    }
    world.storage.put_new(layout.verifier(case), fmt.canonical_json(record))
    assert mailbox_desks(token) == ["jabar"]
    assert call(followup_event(token, ["jabar", "reporter"]))[0] == 201


# --- the settings, the local host, the function zip -----------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WBS_ROUTING": "/srv/site/routing.json"}, Path("/srv/site/routing.json")),
        ({"WBS_ROUTING": ""}, None),
        ({}, None),
    ],
)
def test_wbs_routing_names_the_rules(environ: Mapping[str, str], expected: Path | None) -> None:
    assert Settings.from_env(environ).routing_path == expected


def _post(base: str, path: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    url = base + path
    request = urllib.request.Request(url, body.encode(), headers, method="POST")  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with contextlib.closing(error):
            return error.code, json.loads(error.read())


def test_the_local_host_checks_reports_against_its_rules(tmp_path: Path) -> None:
    # Given the local host (waitress) serving the API with the rules of WBS_ROUTING
    found = World(tmp_path, "none")
    environ = {
        "WBS_STORAGE": f"local:{found.root}",
        "WBS_KEYRING": str(found.keyring),
        "WBS_ROUTING": str(found.routing),
        "WBS_HOME": str(tmp_path / "home"),
        "WBS_POW_DIFFICULTY": "0",
    }
    server = make_server(None, Settings.from_env(environ), port=0)
    base = f"http://127.0.0.1:{server.effective_port}"

    def send(names: list[str]) -> tuple[int, dict[str, Any]]:
        token = new_token()
        case = mailbox_token.report_id(token)
        body = envelope_json(sealed(b"laporan", [key(n) for n in names], case))
        headers = {
            "Content-Type": "application/json",
            "Authorization": bearer(token),
            "Wbs-Signing-Key": reporter.key_header(token),
        }
        return _post(base, REPORTS, body, headers)

    try:
        with serving(server):
            # Then an office's report to its desk alone is taken (the central desk receives
            # none), and one also sealed to the central desk is refused
            assert send(["jabar"])[0] == 201
            status, answer = send(["jabar", "inspektorat"])
            assert (status, answer["error"]) == (422, "stale_keys")
    finally:
        api.configure()


def test_the_function_zip_holds_the_rules_it_is_given(tmp_path: Path) -> None:
    # Given a keyring of several desks and the rules the build wrote beside the page
    found = World(tmp_path, "all")
    # When the function zip is built with them
    built = package(found.keyring, routing=found.routing)
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        bundled = archive.read(ROUTING_ENTRY)
        task = tmp_path / "task"
        archive.extractall(task, members=["keys/keyring.json", ROUTING_ENTRY])
    # Then it holds the very file, next to the keyring
    assert ROUTING_ENTRY == "keys/routing.json"
    assert bundled == found.routing.read_bytes()
    # And the function, given WBS_ROUTING=keys/routing.json, accepts what the rules allow
    allowed = recipients.Recipients.load(task / "keys/keyring.json", task / ROUTING_ENTRY)
    assert allowed.report_desks(frozenset({key_id("jabar"), key_id("inspektorat"), RECOVERY.kid}))
    assert allowed.report_desks(frozenset({key_id("jabar"), RECOVERY.kid})) is None


def key_id(desk: str) -> str:
    return DESKS[desk].kid


def test_the_function_zip_of_one_desk_needs_no_rules(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    write_desks(path, {"inspektorat": [DESKS["inspektorat"].public_key]})
    built = package(path)
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        rules = routing.parse(json.loads(archive.read(ROUTING_ENTRY)))
    assert rules == Routing(central="inspektorat")
    assert package(path).data == built.data  # still reproducible


def test_the_function_zip_refuses_rules_that_do_not_fit_the_keyring(tmp_path: Path) -> None:
    found = World(tmp_path, "all")
    # Several desks and no rules: nothing would say which desk gets a report
    with pytest.raises(routing.RoutingError, match="5 desks but no routing rules"):
        package(found.keyring)
    # Rules naming a desk the keyring does not have
    found.rules("all", Routing("inspektorat", "all", "leadership"))
    with pytest.raises(routing.RoutingError, match="leadership"):
        package(found.keyring, routing=found.routing)
    # Rules that are not a routing document
    found.routing.write_text("[]", encoding="utf-8")
    with pytest.raises(routing.RoutingError):
        package(found.keyring, routing=found.routing)
