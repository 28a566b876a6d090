"""End to end with a hybrid (X-Wing) desk (docs/spec/xwing-v1.md section 8.8): the desks made
by `wbs desks init` are rotated with `wbs desks rotate --hybrid` before `wbs serve` starts;
the real page in Chromium seals a report and a follow-up with `X-Wing` stanzas (xwing.mjs and
noble fetched only then, the desk's key fetched and checked against the page's fingerprint),
and a member reads both with `wbs inbox show`. A stanza tampered in either half of X-Wing does
not open; a tampered key file or vendor module makes the page refuse to send."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions import envelope as fmt
from functions.keyring import parse
from tests.support.host import WBS
from tests.support.system import INSPECTORS, PASSPHRASE, served, wbs
from tests.test_e2e_mailbox_browser import open_case, send_report
from wbs import keyfile
from wbs.crypto import DecryptionError, open_envelope
from wbs.desks.keys import unlock

pytestmark = pytest.mark.browser

ANSWER = "jawaban pelapor: setiap tanggal 5, di ruang bendahara"
MLKEM_CT, X25519_SHARE = 0, 1100  # a byte of each half of the X-Wing ciphertext


@pytest.fixture(scope="module")
def hybrid_keys(tmp_path_factory: pytest.TempPathFactory, inspector_keys: Path) -> Path:
    """``inspector_keys`` with every desk rotated to a hybrid key by anna."""
    folder = tmp_path_factory.mktemp("hybrid") / "inspectors"
    shutil.copytree(inspector_keys, folder)
    keyring = folder / "keyring" / "keyring.json"
    env = {
        **os.environ,
        "WBS_HOME": str(folder / "home"),
        "WBS_PASSPHRASE": PASSPHRASE,
        "WBS_KEYRING": str(keyring),
        "WBS_STORAGE": f"local:{folder / 'storage'}",
        "WBS_KEY": str(folder / "keys" / "anna.key"),
    }
    env.pop("WBS_CONFIG", None)
    for desk in parse(keyring.read_text()).desk_ids():
        rotate = [WBS, "desks", "rotate", f"--desk={desk}", "--hybrid"]
        done = subprocess.run(rotate, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def hybrid_system(tmp_path: Path, hybrid_keys: Path) -> Iterator[dict[str, Any]]:
    with served(tmp_path, hybrid_keys, INSPECTORS) as running:
        yield running


def requested(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def stored_report(system: dict[str, Any], number: str) -> Path:
    (path,) = Path(system["tmp"], "storage").glob(f"**/{number.replace('-', '')}.json")
    return path


def test_a_report_and_a_followup_reach_a_hybrid_desk_sealed_with_x_wing(
    browser: Any, hybrid_system: dict[str, Any]
) -> None:
    system, base = hybrid_system, hybrid_system["base"]
    ring = parse(Path(system["env"]["WBS_KEYRING"]).read_text())
    assert ring.recovery is not None and ring.recovery.xwing_key_bytes is not None
    desks = {d.kid for d in ring.active_desks()}
    assert desks and all(d.hybrid for d in ring.active_desks())
    recovery_kid = ring.recovery_kid(hybrid=True)

    # Given the page, loaded: no X-Wing module, no noble module and no key file fetched
    reporter = browser.new_context()
    page = reporter.new_page()
    urls = requested(page)
    page.goto(base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    page.wait_for_load_state("networkidle")
    assert not [u for u in urls if u.endswith("/xwing.mjs") or "/noble/" in u or "/keys/" in u]
    listed = page.evaluate(
        "JSON.parse(document.getElementById('wbs-xwing').textContent).map((m) => m.href)"
    )

    # When the reporter sends a report
    code, number = send_report(page, base)
    reporter.close()

    # Then xwing.mjs, noble and the desk's and recovery key's key files were fetched at send:
    # exactly the noble modules the page lists with their integrity, no more, no fewer
    assert any(u.endswith("/assets/js/xwing.mjs") for u in urls)
    noble = {u.split(base, 1)[1] for u in urls if "/assets/js/vendor/noble/" in u}
    assert noble == {href for href in listed if "/vendor/noble/" in href}
    assert len(noble) == 9, sorted(noble)  # ML-KEM-768 and SHA-3, not a usage example's sha2
    assert {u.rsplit("/", 1)[1] for u in urls if "/assets/keys/" in u} == {
        f"{kid}.bin" for kid in (*desks, recovery_kid)
    }
    # And the stored report has an X-Wing stanza for each desk and the recovery key, no other
    envelope = fmt.parse(json.loads(stored_report(system, number).read_text())["envelope"])
    stanzas = {(r.type, r.kid) for r in envelope.recipients}
    assert stanzas == {("X-Wing", kid) for kid in (*desks, recovery_kid)}

    # When the reporter sends a follow-up from the status page
    later = browser.new_context()
    page = later.new_page()
    open_case(page, base, code)
    page.fill("#followup-text", ANSWER)
    page.click("#followup button[type=submit]")
    page.wait_for_selector(f"#thread :text('{ANSWER[:30]}')", timeout=60_000)
    later.close()

    # Then a member reads the report and the follow-up with `wbs inbox show`
    assert wbs(system, "inbox", "sync").returncode == 0
    shown = wbs(system, "inbox", "show", number, key="bima")
    assert shown.returncode == 0, shown.stderr
    assert "Bendahara" in shown.stdout and ANSWER in shown.stdout
    assert "NOT VERIFIED" not in shown.stdout
    (followup,) = Path(system["tmp"], "storage").glob("mailboxes/*/*-reporter-*.json")
    sent = fmt.parse(json.loads(followup.read_text())["envelope"])
    types = {r.kid: r.type for r in sent.recipients}
    assert {k for k, t in types.items() if t == "X-Wing"} == {*desks, recovery_kid}
    assert list(types.values()).count("X25519") == 1  # the reporter's own key

    # And the report with one byte of either half of its X-Wing ciphertext flipped does not
    # open for the member
    member = keyfile.unlock(system["keys"]["anna"], PASSPHRASE)
    storage = Path(system["tmp"], "storage")
    grants = [
        (p.relative_to(storage).as_posix(), p.read_bytes())
        for p in storage.rglob("*")
        if p.is_file() and p.relative_to(storage).parts[0] in ("desks", "shares")
    ]
    keys = unlock(member, ring, grants).keys
    assert open_envelope(envelope, keys)
    for at in (MLKEM_CT, X25519_SHARE):
        body = bytearray(envelope.recipients[0].body)
        body[at] ^= 1
        tampered = envelope._replace(
            recipients=(envelope.recipients[0]._replace(body=bytes(body)),)
        )
        with pytest.raises(DecryptionError):
            open_envelope(tampered, keys)


@pytest.mark.parametrize("tampered", ["key", "module"])
def test_a_tampered_key_file_or_module_makes_the_page_refuse_to_send(
    page: Any, hybrid_system: dict[str, Any], tampered: str
) -> None:
    system, base = hybrid_system, hybrid_system["base"]
    site = Path(system["tmp"], "site")
    # Given the served site with a hybrid desk's key file, or a noble module, changed
    if tampered == "key":
        target = next((site / "assets" / "keys").glob("*.bin"))
        data = bytearray(target.read_bytes())
        data[0] ^= 1
        target.write_bytes(bytes(data))
    else:
        target = site / "assets/js/vendor/noble/post-quantum/ml-kem.js"
        target.write_bytes(target.read_bytes() + b"\n// changed\n")
    reports = Path(system["tmp"], "storage")
    before = sorted(p for p in reports.rglob("*") if p.is_file())

    # When the reporter sends a report
    page.goto(base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    fill_report(page, "laporan yang tidak boleh terkirim")
    page.click("#report button[type=submit]")

    # Then the page says it is out of date, and nothing was stored
    page.wait_for_selector("#form-error:has-text('sudah usang')")  # "out of date"
    assert page.is_hidden("#success")
    assert sorted(p for p in reports.rglob("*") if p.is_file()) == before


def fill_report(page: Any, what: str) -> None:
    page.select_option("#category", "pemerasan")
    page.fill("#what", what)
    page.fill("#where", "Sekretariat")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")


def test_a_network_failure_at_send_is_told_apart_from_a_stale_page(
    page: Any, hybrid_system: dict[str, Any]
) -> None:
    # A reporter on a flaky network: noble or a key file that does not arrive is the
    # network's fault, not the page's. The page says to check the connection and press send
    # again (not to copy the text and reload), keeps the text, and the next press sends.
    reports = Path(hybrid_system["tmp"], "storage")
    before = sorted(p for p in reports.rglob("*") if p.is_file())
    dropped = {"module": 1}

    def drop_once(route: Any) -> None:
        if dropped["module"]:
            dropped["module"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/vendor/noble/post-quantum/ml-kem.js", drop_once)
    page.goto(hybrid_system["base"] + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    what = "laporan lewat jaringan yang putus-sambung"
    fill_report(page, what)
    failed = "#form-error:has-text('periksa koneksi internet')"  # "check your connection"
    # When noble's ML-KEM module is cut off once
    page.click("#report button[type=submit]")
    # Then the page says to check the connection, keeps the text, and stores nothing
    page.wait_for_selector(failed)
    assert "sudah usang" not in page.inner_text("#form-error")  # not "out of date"
    assert page.input_value("#what") == what and dropped["module"] == 0
    # And when the key files answer 503 (a proxy while the server restarts), the same
    page.route("**/assets/keys/*.bin", lambda route: route.fulfill(status=503, body=""))
    with page.expect_response("**/assets/keys/*.bin"):
        page.click("#report button[type=submit]:not([disabled])")  # (clears the message)
    page.wait_for_selector(failed)
    assert "sudah usang" not in page.inner_text("#form-error")
    assert sorted(p for p in reports.rglob("*") if p.is_file()) == before
    # And once the network is back, pressing send again sends the report
    page.unroute("**/assets/keys/*.bin")
    page.click("#report button[type=submit]:not([disabled])")
    page.wait_for_selector("#success:not([hidden])")
    assert len(sorted(reports.glob("**/reports/*.json"))) == 1


def test_a_key_file_changed_after_the_report_stops_the_followup(
    browser: Any, hybrid_system: dict[str, Any]
) -> None:
    system, base = hybrid_system, hybrid_system["base"]
    # Given a report sent while the hybrid desk's key file was as the page names it
    reporter = browser.new_context()
    code, _ = send_report(reporter.new_page(), base)
    reporter.close()
    # When that key file is changed on the server, then the reporter writes again
    target = next(Path(system["tmp"], "site", "assets", "keys").glob("*.bin"))
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    mailboxes = Path(system["tmp"], "storage", "mailboxes")
    before = sorted(p for p in mailboxes.rglob("*") if p.is_file())
    later = browser.new_context()
    page = later.new_page()
    open_case(page, base, code)
    page.fill("#followup-text", ANSWER)
    page.click("#followup button[type=submit]")
    # Then the status page says it is out of date, keeps the text, and nothing is stored
    page.wait_for_selector("#followup-error:has-text('sudah usang')")  # "out of date"
    assert page.input_value("#followup-text") == ANSWER
    assert sorted(p for p in mailboxes.rglob("*") if p.is_file()) == before
    later.close()
