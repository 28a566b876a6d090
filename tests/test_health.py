"""``wbs health``: one line and exit 0 when the deployment is up; one line naming the first
failure and exit 1 otherwise. Against the real local host, a stand-in API over https with a
throwaway CA, and a temporary store; and the systemd timer's own ExecStart= line."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from waitress.server import create_server

from tests.support.host import free_port, serving
from tests.support.tls import Authority, https_serving, make_authority
from wbs import health as check
from wbs.cli import cli

SELFHOST = Path(__file__).resolve().parents[1] / "infra" / "selfhost"
DOC = Path(__file__).resolve().parents[1] / "docs" / "self-hosting.md"
BIN = Path(shutil.which("wbs") or Path(sys.executable).with_name("wbs")).parent


class StandInApi:
    """Answers /api/health with ``status`` and ``body``."""

    def __init__(self) -> None:
        self.status, self.body = "200 OK", b'{"ok": true}'

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] != check.HEALTH:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response(self.status, [("Content-Type", "application/json")])
        return [self.body]


@pytest.fixture
def api() -> Iterator[tuple[str, StandInApi]]:
    app = StandInApi()
    server = create_server(app, host="127.0.0.1", port=0)
    with serving(server):
        yield f"http://127.0.0.1:{server.effective_port}", app


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("ca"), days=90)


def health(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["health", *args], env={"WBS_STORAGE": "", **(env or {})})


def failure(result: Result) -> tuple[str, str]:
    """The one-line reason and its hint of a failed check."""
    assert result.exit_code == 1, result.output
    error, hint = result.stderr.splitlines()
    assert error.startswith("wbs: error: ") and hint.startswith("hint: ")
    assert result.stdout == ""
    return error.removeprefix("wbs: error: "), hint.removeprefix("hint: ")


def test_the_local_host_is_healthy(site_server: tuple[str, Path]) -> None:
    # Given the real local host and its store
    url, storage = site_server
    # When checked with its store, Then one line says what was checked, with exit 0
    result = health(url, "--storage", f"local:{storage}")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"ok: {url}/api/health answers ok; storage {storage} has ")
    assert line.endswith(" free")


def test_a_store_from_wbs_storage_is_checked(site_server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = site_server
    result = health(url, env={"WBS_STORAGE": f"local:{tmp_path / 'absent'}"})
    assert failure(result) == (
        f"storage {tmp_path / 'absent'} does not exist",
        "check WBS_STORAGE in /etc/wbs/wbs.env",
    )
    s3 = health(url, env={"WBS_STORAGE": "s3://bucket/prefix"})
    assert s3.exit_code == 0, s3.output
    assert "the S3 store is not checked here" in s3.stdout


def test_a_store_short_of_space_fails(api: tuple[str, StandInApi], tmp_path: Path) -> None:
    url, _ = api
    free = shutil.disk_usage(tmp_path).free
    wanted = (free >> 20) + 1024
    reason, hint = failure(health(url, "--storage", str(tmp_path), "--min-free-mib", str(wanted)))
    assert reason.startswith(f"storage {tmp_path} has ") and reason.endswith(
        f"free, less than {check.size(wanted << 20)}"
    )
    assert hint.startswith("free or add space")


def test_a_store_on_a_read_only_file_system_fails(
    api: tuple[str, StandInApi], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a read-only mount needs root: the file system's flags are played)
    real = os.statvfs(tmp_path)

    class ReadOnly:
        def __getattr__(self, name: str) -> Any:
            return os.ST_RDONLY if name == "f_flag" else getattr(real, name)

    monkeypatch.setattr(check.os, "statvfs", lambda path: ReadOnly())
    url, _ = api
    reason, _ = failure(health(url, "--storage", str(tmp_path)))
    assert reason == f"storage {tmp_path} is on a read-only file system: no report can be stored"


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        ("503 Service Unavailable", b'{"ok": true}', "answered HTTP 503"),
        ("200 OK", b'{"ok": false}', "answered HTTP 200 without ok"),
        ("200 OK", b"<html>a proxy's page</html>", "answered HTTP 200 without ok"),
    ],
)
def test_an_api_that_is_not_ok_fails(
    api: tuple[str, StandInApi], status: str, body: bytes, reason: str
) -> None:
    url, app = api
    app.status, app.body = status, body
    found, hint = failure(health(url))
    assert found == f"{url}/api/health {reason}"
    assert hint.startswith("systemctl status wbs")


def test_an_api_that_does_not_answer_fails() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    reason, _ = failure(health(url))
    assert reason.startswith(f"{url}/api/health did not answer: ")


def test_https_with_a_private_ca_needs_ca_and_reports_the_certificates_days(
    authority: Authority,
) -> None:
    with https_serving(StandInApi(), authority) as url:
        # Without the CA: the certificate is named, and --ca is the hint
        reason, hint = failure(health(url))
        assert reason.startswith(f"{url}/api/health: the certificate is not trusted")
        assert "--ca FILE" in hint
        # With it: the API and the certificate's days (90, less the test's seconds)
        result = health(url, "--ca", str(authority.ca))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == (
            f"ok: {url}/api/health answers ok; the certificate expires in 89 days"
        )


def test_a_certificate_about_to_expire_fails(tmp_path: Path) -> None:
    short = make_authority(tmp_path, days=5)
    with https_serving(StandInApi(), short) as url:
        reason, hint = failure(health(url, "--ca", str(short.ca), "--cert-days", "14"))
        assert reason == "the certificate of 127.0.0.1 expires in 5.0 days (fewer than 14)"
        assert hint.startswith("renew it")
        assert health(url, "--ca", str(short.ca), "--cert-days", "3").exit_code == 0


def test_an_address_that_is_not_an_origin_is_refused() -> None:
    reason, _ = failure(health("https://example.org/lapor/"))
    assert reason == "https://example.org/lapor/ is not a site's address"


# --- the systemd timer ------------------------------------------------------------------------


def unit(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (SELFHOST / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_timers_command_is_this_command(site_server: tuple[str, Path]) -> None:
    # Given the unit's ExecStart= line, its address and store mapped to the test's
    service, timer = unit("wbs-health.service"), unit("wbs-health.timer")
    (command,) = service["ExecStart"]
    program, name, documented_url, *options = shlex.split(command)
    assert (program, name) == ("/opt/wbs/.venv/bin/wbs", "health")
    assert f"ExecStart={command}" in DOC.read_text(encoding="utf-8")
    url, storage = site_server
    # When run as the timer runs it (WBS_STORAGE from wbs.env)
    result = health(url, *options, env={"WBS_STORAGE": f"local:{storage}"})
    # Then it passes against a healthy server, and the unit is a oneshot the timer starts
    assert documented_url.startswith("https://")
    assert result.exit_code == 0, result.output
    assert service["Type"] == ["oneshot"] and service["EnvironmentFile"] == ["/etc/wbs/wbs.env"]
    assert timer["Unit"] == ["wbs-health.service"] and timer["WantedBy"] == ["timers.target"]
    assert timer["OnUnitActiveSec"] == ["5min"]


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for name in ("wbs-health.service", "wbs-health.timer"):
        text = (SELFHOST / name).read_text().replace("/opt/wbs/.venv/bin/", f"{BIN}/")
        (tmp_path / name).write_text(text)
    verify = subprocess.run(
        [analyze, "verify", str(tmp_path / "wbs-health.timer")], capture_output=True, text=True
    )
    assert (verify.returncode, verify.stderr) == (0, "")
