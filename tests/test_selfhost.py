"""Self-hosting (docs/self-hosting.md): the server started as systemd starts it, from the
``ExecStart=`` line of infra/selfhost/wbs.service with the settings of infra/selfhost/wbs.env,
their install folders mapped into a temporary one, passes the local host's own tests.

Those tests (tests/test_host.py and the upload protocol of tests/test_uploads.py) are imported
below, so pytest collects them again here, where ``server``, ``system`` and ``local`` are this
module's fixtures: the self-hosted process over HTTP, with local storage and with S3 storage.
For S3, moto's S3 behind a waitress server stands in for MinIO; it checks no signature
(tests/test_uploads.py recomputes them), and parts go to it the way infra/selfhost/nginx-s3.conf
routes them. The reverse proxies' files are checked for what they must (and must not) do.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

import boto3
import pytest
from requests.structures import CaseInsensitiveDict
from waitress.server import create_server

from functions import host, mailbox_token
from functions.headers import SECURITY_HEADERS
from functions.storage import LocalStorage, S3Storage, Storage
from functions.uploads import Limits, LocalUploads
from functions.uploads.s3 import CLIENT_CONFIG
from tests import test_uploads
from tests.support import reporter, selfhost
from tests.support.api import (
    CLIENT_IP,
    USER_AGENT_MARK,
    bearer,
    envelope_json,
    new_token,
    sealed,
    write_keyring,
)
from tests.support.host import serving
from tests.support.selfhost import (
    BIN,
    ROOT,
    SELFHOST,
    env_file,
    exec_start,
    nginx_directives,
    port,
    stop,
    unit,
)
from tests.test_host import (  # noqa: F401 - collected again by pytest, on this module's `server`
    INSPECTOR,
    OUTSIDE_TEXT,
    Server,
    assert_security_headers,
    test_api_answers_carry_security_headers,
    test_api_errors_are_json,
    test_folder_without_slash_redirects,
    test_head_sends_headers_only,
    test_not_found_and_no_way_out,
    test_oversized_body_is_413_json,
    test_pages,
    test_static_post_is_refused,
)
from tests.test_host import test_content_types as check_content_type
from tests.test_uploads import (  # noqa: F401 - collected again, on `system` and `local` here
    Answer,
    System,
    test_a_cut_connection_stores_nothing_and_the_part_is_sent_again,
    test_a_failed_part_is_sent_again_without_resending_the_others,
    test_a_file_is_granted_uploaded_in_parts_and_completed,
    test_a_file_over_the_largest_size_is_413,
    test_a_missing_part_cannot_be_completed,
    test_a_part_after_completion_is_refused,
    test_a_part_over_or_under_its_size_is_refused_before_it_is_read,
    test_a_tampered_url_is_refused,
    test_another_cases_upload_cannot_be_renewed_or_completed,
    test_completing_twice_is_409_and_the_object_is_unchanged,
    test_malformed_completions_are_400_and_write_nothing,
    test_malformed_grant_requests_are_400,
    test_only_put_is_answered_on_attachments,
    test_parts_live_where_no_listing_shows_them,
    test_the_api_keeps_its_1_mib_limit_under_the_raised_part_limit,
)

pytestmark = pytest.mark.slow  # the self-hosted service as systemd starts it, in its own processes

DOC = ROOT / "docs" / "self-hosting.md"
# test_content_types of test_host.py names files of its own site; these are the built site's.
SITE_FILES = {
    "/assets/js/app.mjs": "text/javascript; charset=utf-8",
    "/assets/css/site.css": "text/css; charset=utf-8",
    "/assets/img/icon.svg": "image/svg+xml",
    "/build-manifest.json": "application/json",
}


# --- the self-hosted server ---------------------------------------------------------------------


@dataclass
class SelfHosted:
    kind: str
    port: int
    storage: Storage
    log: Path
    storage_root: Path | None = None  # a local folder's
    s3: Any = None  # S3: a client of the store
    parts_to: str = ""  # S3: where the proxy sends /attachments/ (nginx-s3.conf's proxy_pass)

    def output(self) -> str:
        """Everything the server wrote (after the launcher's line)."""
        return self.log.read_text().partition("\n")[2]

    def empty(self) -> None:
        """Remove every object and unfinished upload: test_uploads.py's tests each expect a
        store of their own. The server keeps no state of its own about them."""
        if self.storage_root is not None:
            children = self.storage_root.iterdir() if self.storage_root.exists() else []
            for child in children:
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            return
        assert isinstance(self.storage, S3Storage)
        bucket = self.storage.bucket
        for item in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            self.s3.delete_object(Bucket=bucket, Key=item["Key"])
        for upload in self.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            self.s3.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )


def start(base: Path, env_overrides: dict[str, str], env_values: dict[str, str]) -> Any:
    """The service started (tests/support/selfhost.py), with what test_not_found_and_no_way_out
    must never see in its site: a hidden file, a link out."""
    running = selfhost.start(base, env_overrides, env_values)
    try:
        site = base / "cache" / "site"
        (site / ".hidden").write_text(OUTSIDE_TEXT)
        (base / "cache" / "secret.txt").write_text(OUTSIDE_TEXT)
        (site / "escape").symlink_to(base / "cache" / "secret.txt")
    except BaseException:
        running.process.kill()
        raise
    return running


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The repository's keyring has no active key: the test's inspector replaces it.
    return write_keyring(tmp_path_factory.mktemp("keys") / "keyring.json", [INSPECTOR.public_key])


def overrides(keyring: Path) -> dict[str, str]:
    """The only settings the tests change: their keyring, test_uploads.py's part size, and no
    proof of work: the API and upload tests run here post reports as they do in process
    (tests/test_pow.py covers the proof over HTTP; tests/support/system.py's `wbs serve`
    asks it)."""
    return {
        "WBS_KEYRING": str(keyring),
        "WBS_UPLOAD_PART_BYTES": str(test_uploads.PART),
        "WBS_POW_DIFFICULTY": "0",
    }


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory, keyring: Path) -> Iterator[SelfHosted]:
    base = tmp_path_factory.mktemp("selfhost-local")
    running = start(base, overrides(keyring), env_file())
    try:
        root = Path(running.env["WBS_STORAGE"].removeprefix("local:"))
        assert root.is_relative_to(base / "state")  # storage in StateDirectory=
        yield SelfHosted("local", running.port, LocalStorage(root), running.log, storage_root=root)
    finally:
        stop(running.process)


class MotoS3:
    """moto's S3 as an HTTP endpoint (a WSGI app under waitress), without moto's server
    extra: moto's own proxy routes each request to its S3 backend."""

    def __init__(self) -> None:
        # Imported here: moto's proxy package configures logging when it is first imported.
        from moto.moto_proxy.proxy3 import MotoRequestHandler

        self._handler = MotoRequestHandler(0)  # the port only marks moto's own API
        self._lock = threading.Lock()  # moto's backends are not thread-safe

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k[:5] == "HTTP_"
        }
        for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
            if environ.get(key):
                headers[name] = environ[key]
        query = environ.get("QUERY_STRING")
        path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        body = environ["wsgi.input"].read()
        with self._lock:
            status, answer_headers, data = self._handler.parse_request(
                environ["REQUEST_METHOD"], "http://" + environ["HTTP_HOST"], path, headers, body
            )
        data = data.encode() if isinstance(data, str) else data or b""
        answer = [(k, str(v)) for k, v in answer_headers.items() if k.lower() != "content-length"]
        start_response(f"{status} S3", answer)
        return [data]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, keyring: Path) -> Iterator[SelfHosted]:
    base = tmp_path_factory.mktemp("selfhost-s3")
    values = env_file(s3=True)
    endpoint: Any = create_server(MotoS3(), host="127.0.0.1", port=0)
    # Named by host, as a MinIO on another machine would be: path-style is what makes it work
    # (functions/storage/addressing.py; tests/test_e2e_s3_hostname_browser.py checks the
    # signatures of parts sent through this route)
    url = f"http://localhost:{endpoint.effective_port}"
    with pytest.MonkeyPatch.context() as patch, serving(endpoint):
        patch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", url)  # requests to it are S3's
        bucket, _, prefix = values["WBS_STORAGE"].removeprefix("s3://").partition("/")
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name=values["AWS_DEFAULT_REGION"],
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            config=CLIENT_CONFIG,
        )
        client.create_bucket(Bucket=bucket)  # the admin's step: docs/self-hosting.md
        # The documented endpoint is where the store would listen; here, the stand-in.
        (target,) = (d[1] for d in nginx_directives("nginx-s3.conf") if d[0] == "proxy_pass")
        running = start(base, {**overrides(keyring), "WBS_S3_ENDPOINT": url}, values)
        try:
            yield SelfHosted(
                "s3",
                running.port,
                S3Storage(bucket, prefix, client=client),
                running.log,
                s3=client,
                parts_to=url + urlsplit(target).path,
            )
        finally:
            stop(running.process)


@pytest.fixture(scope="module", params=["local", "s3"])
def selfhosted(request: pytest.FixtureRequest) -> SelfHosted:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(selfhosted: SelfHosted) -> Server:
    """What test_host.py's tests talk to."""
    return Server(selfhosted.port, selfhosted.storage)  # type: ignore[arg-type]


# --- test_uploads.py's tests over HTTP ----------------------------------------------------------


def over_http(selfhosted: SelfHosted, monkeypatch: pytest.MonkeyPatch) -> System:
    """test_uploads.py's System for the self-hosted server; its API calls (``call``,
    ``open_case``), which it makes in-process, go over HTTP instead."""
    api = Server(selfhosted.port, selfhosted.storage)  # type: ignore[arg-type]

    def call(path: str, body: Any, token: bytes | None, raw: str | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = bearer(token)
        text = raw if raw is not None else json.dumps(body)
        headers |= reporter.headers(path, headers.get("Authorization"), text)
        status, answer_headers, data = api.request("POST", path, text.encode(), headers)
        return Answer(status, json.loads(data), CaseInsensitiveDict(answer_headers))

    def open_case() -> tuple[bytes, str]:
        token = new_token()
        report = sealed(b"report", [INSPECTOR.public_key], mailbox_token.report_id(token))
        assert call("/api/reports", report.to_json(), token).status == 201
        return token, report.id

    def send(url: str, data: bytes) -> Answer:
        if selfhosted.kind == "s3":  # the reverse proxy's route to the store
            target = urlsplit(selfhosted.parts_to + url.removeprefix("/attachments/"))
            status, headers, body = put(target.netloc, f"{target.path}?{target.query}", data)
            return Answer(status, {}, headers)
        status, headers, body = put(f"127.0.0.1:{selfhosted.port}", url, data)
        return Answer(status, json.loads(body), headers)

    selfhosted.empty()
    monkeypatch.setattr(test_uploads, "call", call)
    monkeypatch.setattr(test_uploads, "open_case", open_case)
    root = selfhosted.storage_root
    # For test_uploads.part_files: where the local host keeps parts (the secret is unused).
    uploads = SimpleNamespace(backend=LocalUploads(root, b"-" * 32)) if root else None
    return System(
        selfhosted.kind,
        selfhosted.storage,
        uploads,  # type: ignore[arg-type]
        test_uploads.Clock(),
        send,
        selfhosted.port,
    )


def put(netloc: str, target: str, data: bytes) -> tuple[int, CaseInsensitiveDict[str], bytes]:
    conn = http.client.HTTPConnection(netloc, timeout=30)
    try:
        conn.request("PUT", target, body=data)
        response = conn.getresponse()
        return response.status, CaseInsensitiveDict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def system(selfhosted: SelfHosted, monkeypatch: pytest.MonkeyPatch) -> System:
    return over_http(selfhosted, monkeypatch)


@pytest.fixture
def local(local_server: SelfHosted, monkeypatch: pytest.MonkeyPatch) -> System:
    return over_http(local_server, monkeypatch)


# --- this module's own tests --------------------------------------------------------------------


@pytest.mark.parametrize(("path", "content_type"), SITE_FILES.items())
def test_built_site_content_types(server: Server, path: str, content_type: str) -> None:
    check_content_type(server, path, content_type)


def test_the_built_sites_text_is_gzipped_and_revalidated(server: Server) -> None:
    # Every text file of the built site, libsodium included, as its manifest lists them
    manifest = json.loads(server.request("GET", "/build-manifest.json")[2])["files"]
    text = {
        name: digest
        for name, digest in manifest.items()
        if Path(name).suffix in {".mjs", ".js", ".css", ".svg", ".json", ".wasm"}
        and not name.startswith(".")  # the build's own records (.wbs-keyring.json): never served
    }
    assert "assets/js/vendor/libsodium-sumo.mjs" in text
    raw = packed = 0
    for name, digest in text.items():
        path = "/" + name
        # Asked for by a browser that accepts gzip: the file's own bytes, compressed
        status, headers, body = server.request("GET", path, headers={"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Vary"] == "Accept-Encoding", path
        assert headers["Cache-Control"] == "no-cache", path
        assert_security_headers(headers)
        data = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
        assert hashlib.sha256(data).hexdigest() == digest, path
        # Asked for again with its ETag: 304, nothing sent
        status, again, rest = server.request(
            "GET", path, headers={"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]}
        )
        assert (status, rest, again["ETag"]) == (304, b"", headers["ETag"]), path
        if Path(name).suffix in {".mjs", ".js", ".wasm"}:
            raw, packed = raw + len(data), packed + len(body)
    # The scripts (libsodium holds its WebAssembly as base64) cross at 40% of their size or less
    assert packed <= raw * 0.4, (raw, packed)


def test_report_and_mailbox_leave_no_client_trace_in_the_output(
    selfhosted: SelfHosted, server: Server
) -> None:
    # Given a report and a mailbox read, sent with a user agent, a forwarded address, a cookie
    token = new_token()
    report = sealed(
        b"what: CANARY-selfhost", [INSPECTOR.public_key], mailbox_token.report_id(token)
    )
    auth = {"Authorization": bearer(token)}
    headers = {"Content-Type": "application/json", **auth}
    headers |= reporter.headers("/api/reports", bearer(token), b"")
    status, answer_headers, body = server.request(
        "POST", "/api/reports", envelope_json(report).encode(), headers
    )
    read = server.request("GET", "/api/mailbox", headers=auth)
    # Then they were stored and answered as on the local host
    assert status == 201, body
    assert_security_headers(answer_headers)
    assert (read[0], json.loads(read[2])["messages"]) == (200, [])
    assert b"CANARY-selfhost" not in server.storage.get(f"reports/{report.id}.json")
    # And the server's output (stdout and stderr, the journal under systemd) holds one
    # allow-listed JSON line per request and nothing about any client of any test so far
    output = selfhosted.output()
    lines = [json.loads(line) for line in output.splitlines()]
    assert {"method": "POST", "route": "/api/reports", "status": 201}.items() <= lines[-2].items()
    assert {"method": "GET", "route": "/api/mailbox", "status": 200}.items() <= lines[-1].items()
    secrets = [CLIENT_IP, "127.0.0.1", USER_AGENT_MARK, "Mozilla", "CANARY", report.id]
    for secret in [*secrets, bearer(token), mailbox_token.verifier(token)]:
        assert secret not in output, secret


def test_the_server_ran_without_writable_executable_memory(selfhosted: SelfHosted) -> None:
    first = selfhosted.log.read_text().splitlines()[0]
    if first == "mdwe: unavailable":
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")
    # Every check of this module ran against a server that cannot map writable code.
    assert first == "mdwe: on"


def test_the_unit_passes_systemd_checks(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit as installed, with the wbs command where this checkout has it
    text = (SELFHOST / "wbs.service").read_text().replace("/opt/wbs/.venv/bin/", f"{BIN}/")
    (tmp_path / "wbs.service").write_text(text)
    verify = subprocess.run(
        [analyze, "verify", str(tmp_path / "wbs.service")], capture_output=True, text=True
    )
    assert (verify.returncode, verify.stderr) == (0, "")
    # And systemd rates its exposure at most 2.0 of 10 (0.9, "SAFE", when written)
    security = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=20", str(tmp_path / "wbs.service")],
        capture_output=True,
        text=True,
    )
    assert security.returncode == 0, security.stdout[-2000:]


def test_the_unit_runs_the_documented_command_as_an_unprivileged_service() -> None:
    service = unit()
    command = exec_start()
    # The documented command, verbatim
    assert f"ExecStart={service['ExecStart'][0]}" in DOC.read_text()
    assert command[:2] == ["/opt/wbs/.venv/bin/wbs", "serve"]
    assert command[command.index("--host") + 1] == "127.0.0.1"  # only the proxy reaches it
    assert service["SocketBindAllow"] == [f"tcp:{port()}"]
    assert service["EnvironmentFile"] == ["/etc/wbs/wbs.env"]
    for key, value in {
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "MemoryDenyWriteExecute": "yes",
        "CapabilityBoundingSet": "",
        "StateDirectory": "wbs",
        "CacheDirectory": "wbs",
    }.items():
        assert service[key] == [value], key
    # Everything it writes is in StateDirectory= and CacheDirectory=
    settings = env_file()
    assert settings["WBS_HOME"] == "/var/lib/wbs"
    assert settings["WBS_STORAGE"] == "local:/var/lib/wbs/storage"
    assert command[command.index("--site-out") + 1].startswith("/var/cache/wbs/")


# --- the reverse proxies ----------------------------------------------------------------------


def test_nginx_keeps_no_log_and_streams_parts_to_the_app() -> None:
    directives = nginx_directives("nginx.conf")
    servers = [d for d in directives if d[0] == "server"]
    # No access log anywhere, errors only at emerg (nginx names the client in each request's)
    assert [d for d in directives if d[0] == "access_log"] == [["access_log", "off"]] * len(servers)
    assert not [d for d in directives if d[0] == "log_format"]
    assert {d[-1] for d in directives if d[0] == "error_log"} == {"emerg"}
    # Nothing about the client is passed on
    sent = {d[1].lower(): d[2] for d in directives if d[0] == "proxy_set_header"}
    assert "x-forwarded-for" not in sent and "x-real-ip" not in sent
    assert sent["user-agent"] == sent["cookie"] == sent["referer"] == ""
    # HSTS as the app sends it, once
    hsts = SECURITY_HEADERS["Strict-Transport-Security"]
    assert ["add_header", "Strict-Transport-Security", hsts, "always"] in directives
    assert ["proxy_hide_header", "Strict-Transport-Security"] in directives
    # Everything goes to the port of ExecStart=
    upstreams = {d[1] for d in directives if d[0] == "proxy_pass"}
    assert upstreams == {f"http://127.0.0.1:{port()}"}
    # Bodies stream to the app, never to nginx's disk; a whole default part fits
    assert [d for d in directives if d[0] == "proxy_request_buffering"] == [
        ["proxy_request_buffering", "off"]
    ]
    parts = directives[directives.index(["location", "/attachments/"]) :]
    assert nginx_size(parts, "client_max_body_size") >= Limits().part_bytes
    # The API is throttled as a whole, keyed on nothing about the client
    (zone,) = [d for d in directives if d[0] == "limit_req_zone"]
    assert zone[1] == "$server_name" and "remote_addr" not in " ".join(zone)
    api = directives[directives.index(["location", "/api/"]) :]
    assert [d[0] for d in api[:4]].count("limit_req") == 1


# What the site serves that compresses (functions/host.py CONTENT_TYPES and COMPRESSIBLE):
# nginx's gzip_types, where text/html is always included and must not be repeated.
COMPRESSED_TYPES = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "application/wasm",
}


def test_nginx_compresses_the_sites_text_and_passes_revalidation_on() -> None:
    directives = nginx_directives("nginx.conf")
    # The types of the site's text, every one the local host compresses
    (types,) = [d[1:] for d in directives if d[0] == "gzip_types"]
    assert set(types) >= COMPRESSED_TYPES and "text/html" not in types
    compressed = {host.CONTENT_TYPES[s].split(";")[0] for s in host.COMPRESSIBLE}
    assert compressed - {"text/html"} <= set(types)
    assert ["gzip_vary", "on"] in directives and ["etag", "on"] in directives
    # gzip on for the site's location only: never the API's answers (BREACH) or the uploads,
    # off for the server whatever the http block says (Debian's nginx.conf has "gzip on")
    site = directives[directives.index(["location", "/"]) :]
    assert [d for d in directives if d[0] == "gzip"] == [["gzip", "off"], ["gzip", "on"]]
    assert directives.index(["gzip", "off"]) > directives.index(["listen", "443", "ssl", "http2"])
    assert ["gzip", "on"] in site[: site.index(["location", "/api/"])]
    # Revalidation reaches the app: If-None-Match is not cleared, no cache of nginx's own
    # answers in its place, and the app's ETag and Cache-Control pass unchanged
    cleared = {d[1].lower() for d in directives if d[0] == "proxy_set_header"}
    assert not cleared & {"if-none-match", "if-modified-since", "accept-encoding"}
    for name in ("proxy_cache", "proxy_ignore_headers", "proxy_hide_header"):
        values = {d[1].lower() for d in directives if d[0] == name}
        assert not values & {"etag", "cache-control", "vary"}, name
    assert not [d for d in directives if d[0] == "proxy_cache"]
    # The S3 route answers PUT only, and gets no compression
    assert not [d for d in nginx_directives("nginx-s3.conf") if d[0].startswith("gzip")]


def test_caddy_compresses_the_sites_text_but_not_the_api() -> None:
    text = re.sub(r"#.*", "", (SELFHOST / "Caddyfile").read_text())
    words = [shlex.split(line) for line in text.splitlines() if line.strip()]
    assert ["@site", "not", "path", "/api/*", "/attachments/*"] in words
    assert ["encode", "@site", "zstd", "gzip", "{"] in words
    matched = {w[2].rstrip("*") for w in words if w[:2] == ["header", "Content-Type"]}
    assert matched >= {"text/", *COMPRESSED_TYPES - {"text/css", "text/javascript"}}
    # Revalidation reaches the app: no request header of the browser's is dropped but these
    dropped = {w[1] for w in words if w[0] == "header_up"}
    assert not {h for h in dropped if "if-" in h.lower() or "encoding" in h.lower()}


def nginx_size(directives: list[list[str]], name: str) -> int:
    (value,) = [d[1] for d in directives if d[0] == name][:1]
    units = {"k": 1024, "m": 1024 * 1024}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


def test_nginx_s3_route_restores_what_the_part_urls_are_signed_for() -> None:
    directives = nginx_directives("nginx-s3.conf")
    settings = env_file(s3=True)
    bucket_and_prefix = settings["WBS_STORAGE"].removeprefix("s3://")
    # The store's own host (nginx's default Host for proxy_pass) and the full key
    (target,) = [d[1] for d in directives if d[0] == "proxy_pass"]
    assert target == f"{settings['WBS_S3_ENDPOINT']}/{bucket_and_prefix}/attachments/"
    assert not [d for d in directives if d[:2] == ["proxy_set_header", "Host"]]
    # Nothing of the client's is passed on; the body streams; a whole part fits
    assert ["proxy_pass_request_headers", "off"] in directives
    assert ["proxy_request_buffering", "off"] in directives
    assert nginx_size(directives, "client_max_body_size") >= Limits().part_bytes
    # The store's answers carry the app's security headers
    for name, value in SECURITY_HEADERS.items():
        assert ["add_header", name, value, "always"] in directives, name


def test_caddy_keeps_no_log_and_passes_nothing_about_the_client() -> None:
    text = re.sub(r"#.*", "", (SELFHOST / "Caddyfile").read_text())
    words = [shlex.split(line) for line in text.splitlines() if line.strip()]
    # No access log (Caddy writes one only for a `log` directive), no error log of requests
    assert ["log", "default", "{"] in words and ["exclude", "http.log.error"] in words
    assert [w for w in words if w[0] == "log"] == [["log", "default", "{"]]
    for header in ("X-Forwarded-For", "User-Agent", "Cookie", "Referer"):
        assert ["header_up", f"-{header}"] in words, header
    assert ["reverse_proxy", f"127.0.0.1:{port()}", "{"] in words
    hsts = SECURITY_HEADERS["Strict-Transport-Security"]
    assert ["Strict-Transport-Security", hsts] in words and ["defer"] in words
