"""End to end on S3-compatible storage named by a host name (issue 16, item 1).

`wbs serve` stores in an S3-compatible store it reaches as ``http://localhost:<port>`` (moto's
S3 under waitress, tests/test_selfhost.py's stand-in for MinIO), with the S3 settings of
infra/selfhost/wbs.env and nothing else: WBS_S3_ADDRESSING is left unset. The page (real
Chromium) sends a report with an evidence file; its parts go the way infra/selfhost/nginx-s3.conf
routes them (its ``proxy_pass``, written for this endpoint: only the body, ``Host`` and
``Content-Length``), and the store recomputes each part's SigV4 signature on what it
receives, as S3 and MinIO do: a part URL signed for another host or path is refused. The
inspector then syncs and exports the file, byte-identical, through the same store.

Before path-style was chosen for an endpoint, the grant asked ``<bucket>.localhost``, which
resolves nowhere: the report was stored, every /api/uploads answered 503, and no file came.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

import boto3
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from waitress.server import create_server

from tests.support.host import serving, wbs_serve
from tests.support.selfhost import env_file, nginx_directives
from tests.support.system import PASSPHRASE, wbs
from tests.test_e2e_upload_browser import fill_report
from tests.test_selfhost import MotoS3

pytestmark = pytest.mark.browser

SIZE = 9 * 1024 * 1024 + 4321  # two parts of the default 8 MiB
REFUSED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
    b"<Message>The request signature we calculated does not match the signature you "
    b"provided.</Message></Error>"
)


class Signed:
    """A WSGI store that recomputes the SigV4 signature of every presigned PUT (a part) on
    the host, path, query and length it receives, refuses it 403 if it does not hold, and
    hands the rest to ``app``."""

    def __init__(self, app: MotoS3, access_key: str, secret: str, region: str) -> None:
        self._app = app
        self._credentials = Credentials(access_key, secret)
        self._region = region
        self._lock = threading.Lock()
        self.checked: list[tuple[str, bool]] = []  # (path, whether the signature held)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        query = environ.get("QUERY_STRING", "")
        if environ["REQUEST_METHOD"] == "PUT" and "X-Amz-Signature=" in query:
            holds = self._holds(environ, query)
            with self._lock:
                self.checked.append((environ["PATH_INFO"], holds))
            if not holds:
                environ["wsgi.input"].read()
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [REFUSED]
        return self._app(environ, start_response)

    def _holds(self, environ: WSGIEnvironment, query: str) -> bool:
        pairs = parse_qsl(query, keep_blank_values=True)
        fields = dict(pairs)
        unsigned = urlencode([(k, v) for k, v in pairs if k != "X-Amz-Signature"])
        url = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}?{unsigned}"
        headers = {"Content-Length": environ.get("CONTENT_LENGTH", "0")}
        request = AWSRequest(method="PUT", url=url, headers=headers)
        request.context["timestamp"] = fields["X-Amz-Date"]
        auth = S3SigV4QueryAuth(
            self._credentials, "s3", self._region, expires=int(fields["X-Amz-Expires"])
        )
        computed = auth.signature(
            auth.string_to_sign(request, auth.canonical_request(request)), request
        )
        return bool(computed == fields["X-Amz-Signature"])


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Signed, Any]]:
    """The S3-compatible store as ``http://localhost:<port>``, its bucket made as the admin
    makes it; yields its endpoint, the signature check, and an admin's client."""
    settings = env_file(s3=True)
    checked = Signed(
        MotoS3(),
        settings["AWS_ACCESS_KEY_ID"],
        settings["AWS_SECRET_ACCESS_KEY"],
        settings["AWS_DEFAULT_REGION"],
    )
    server: Any = create_server(checked, host="127.0.0.1", port=0)
    endpoint = f"http://localhost:{server.effective_port}"  # a name, not an IP address
    with serving(server):
        monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", endpoint)  # requests to it are S3's
        admin = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings["AWS_DEFAULT_REGION"],
            aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
        )
        bucket = settings["WBS_STORAGE"].removeprefix("s3://").partition("/")[0]
        admin.create_bucket(Bucket=bucket)  # the admin's step: docs/self-hosting.md
        yield endpoint, checked, admin


@pytest.fixture
def s3_system(
    tmp_path: Path, inspector_keys: Path, store: tuple[str, Signed, Any]
) -> Iterator[dict[str, Any]]:
    """`wbs serve` on the store with wbs.env's S3 settings, the desks' grants (made by `wbs
    desks init` in the session's folder) copied into its bucket and prefix."""
    endpoint, checked, admin = store
    settings = env_file(s3=True)
    bucket, _, prefix = settings["WBS_STORAGE"].removeprefix("s3://").partition("/")
    for path in sorted((inspector_keys / "storage").rglob("*")):
        name = path.relative_to(inspector_keys / "storage").as_posix()
        if path.is_file() and not name.startswith("."):
            admin.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=path.read_bytes())
    shutil.copytree(inspector_keys / "keyring", tmp_path / "keyring")
    shutil.copytree(inspector_keys / "keys", tmp_path / "home" / "keys")
    keyring = tmp_path / "keyring" / "keyring.json"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "WBS_", "MOTO_"))
    }
    env.update(
        {
            "WBS_HOME": str(tmp_path / "home"),
            "WBS_PASSPHRASE": PASSPHRASE,
            "WBS_KEYRING": str(keyring),
            "COLUMNS": "1000",
            # No proof of work: its marker is an empty PUT with "Expect: 100-continue",
            # which waitress, under the stand-in, never hands to the app (MinIO takes it).
            "WBS_POW_DIFFICULTY": "0",
            **{
                name: value
                for name, value in settings.items()
                if name.startswith("AWS_") or name == "WBS_STORAGE"
            },
            "WBS_S3_ENDPOINT": endpoint,
        }
    )
    assert "WBS_S3_ADDRESSING" not in env  # the default, auto
    args = ["--keyring", str(keyring), "--site-out", str(tmp_path / "site")]
    keys = {"anna": tmp_path / "home" / "keys" / "anna.key"}
    with wbs_serve(args, env, tmp_path / "server.log") as base:
        yield {
            "base": base,
            "env": env,
            "keys": keys,
            "tmp": tmp_path,
            "log": tmp_path / "server.log",
            "endpoint": endpoint,
            "checked": checked,
            "admin": admin,
            "bucket": bucket,
            "prefix": prefix,
        }


def parts_route(endpoint: str) -> str:
    """Where nginx-s3.conf sends /attachments/, its proxy_pass written for ``endpoint``: the
    documented endpoint (wbs.env's WBS_S3_ENDPOINT) replaced by this one."""
    (target,) = [d[1] for d in nginx_directives("nginx-s3.conf") if d[0] == "proxy_pass"]
    documented = env_file(s3=True)["WBS_S3_ENDPOINT"]
    assert target.startswith(documented + "/")
    return endpoint + target.removeprefix(documented)


def test_a_report_with_a_file_reaches_a_store_named_by_host_and_exports_byte_identical(
    browser: Any, s3_system: dict[str, Any]
) -> None:
    tmp = Path(s3_system["tmp"])
    data = os.urandom(SIZE)
    (tmp / "evidence").mkdir()
    (tmp / "evidence" / "rekaman.bin").write_bytes(data)
    route_to = parts_route(s3_system["endpoint"])
    sent: list[int] = []

    def proxy(route: Any) -> None:
        # nginx-s3.conf: PUT only, the body and the query unchanged, no header of the
        # client's; Host is proxy_pass's host:port ($proxy_host), Content-Length the body's
        request = route.request
        assert request.method == "PUT"
        url = urlsplit(request.url)
        target = urlsplit(route_to + url.path.removeprefix("/attachments/"))
        body = request.post_data_buffer or b""
        conn = http.client.HTTPConnection(target.netloc, timeout=60)
        try:
            conn.request("PUT", f"{target.path}?{url.query}", body=body)
            answer = conn.getresponse()
            sent.append(answer.status)
            headers = {k: v for k, v in answer.getheaders() if k.lower() != "content-length"}
            route.fulfill(status=answer.status, headers=headers, body=answer.read())
        finally:
            conn.close()

    context = browser.new_context()
    page = context.new_page()
    page.route("**/attachments/**", proxy)
    # Given a report with one evidence file, on a server whose store is named by host
    fill_report(
        page, s3_system["base"], "Bukti setoran terlampir.", [tmp / "evidence" / "rekaman.bin"]
    )
    # When it is sent
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    number = page.inner_text("#registration-number").strip()
    page.wait_for_selector("#uploads[data-state]", timeout=120_000)
    # Then the file arrived: each part once, each signature held where the store received it
    assert page.get_attribute("#uploads", "data-state") == "done"
    context.close()
    assert sent == [200, 200]
    checked = s3_system["checked"].checked
    assert len(checked) == 2 and all(holds for _, holds in checked), checked
    prefix = f"/{s3_system['bucket']}/{s3_system['prefix']}/attachments/"
    assert all(path.startswith(prefix) for path, _ in checked)  # path-style, as routed
    # And the server's log holds no failed request
    log = Path(s3_system["log"]).read_text()
    assert '"status":503' not in log and "storage_unavailable" not in log

    # When the inspector syncs and exports the case from the same store
    synced = wbs(s3_system, "inbox", "sync")
    assert synced.returncode == 0, synced.stderr
    out = tmp / "export"
    exported = wbs(s3_system, "inbox", "export", number, "--to", str(out))
    assert exported.returncode == 0, exported.stderr
    # Then the file is byte-identical
    assert os.listdir(out) == ["rekaman.bin"]
    assert (
        hashlib.sha256((out / "rekaman.bin").read_bytes()).digest() == hashlib.sha256(data).digest()
    )
    # And the bucket holds it under the prefix, ciphertext only
    admin = s3_system["admin"]
    listed = admin.list_objects_v2(
        Bucket=s3_system["bucket"], Prefix=f"{s3_system['prefix']}/attachments/"
    )
    (stored,) = listed["Contents"]
    assert stored["Size"] > SIZE
    body = admin.get_object(Bucket=s3_system["bucket"], Key=stored["Key"])["Body"].read()
    assert data[:4096] not in body
