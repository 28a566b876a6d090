"""The real reverse proxies of docs/self-hosting.md, Debian's nginx and caddy, run with the
shipped configs (infra/selfhost/nginx.conf, Caddyfile) in front of the self-hosted service:
each config's install paths, ports and certificate mapped into a temporary folder, on
127.0.0.1, in the foreground, never as a service. Used by tests/test_selfhost_proxies.py and
bench/bench_slow_phone.py.

nginx runs under Debian's own /etc/nginx/nginx.conf (its ``gzip on``, its access log), the
site's file included where sites-enabled/ would hold its link: what an admin's nginx loads.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import hashlib
import http.client
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from requests.structures import CaseInsensitiveDict

from tests.support.host import free_port
from tests.support.selfhost import SELFHOST, port

NGINX = os.environ.get("WBS_NGINX", "/usr/sbin/nginx")
CADDY = os.environ.get("WBS_CADDY", "/usr/bin/caddy")
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
INSTALL = "run ./dev test, which installs them (or: apt-get install nginx caddy)"


@dataclass
class Proxy:
    """A proxy running in front of the service: its HTTPS origin and the folder that holds
    everything it may write (logs, pid, temporary files)."""

    name: str
    origin: str
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def logs(self) -> str:
        """Everything the proxy wrote about what it did: its output (caddy logs there) and
        every file of its logs folder (nginx's error and access logs)."""
        found = [self.folder / "output.log", *sorted((self.folder / "logs").glob("*"))]
        return "\n".join(p.read_text(errors="replace") for p in found if p.is_file())


def missing() -> list[str]:
    """The proxies' programs that are not installed."""
    return [p for p in (NGINX, CADDY) if not Path(p).is_file()]


@functools.cache
def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def spki_sha256() -> str:
    """The base64 SHA-256 of the certificates' public key (one key a process): what
    Chromium's --ignore-certificate-errors-spki-list takes to trust them as if a CA had
    signed them, so that its HTTP cache keeps their answers as it would a real site's."""
    from cryptography.hazmat.primitives import serialization

    spki = (
        _key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, where certbot's would be."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def mapped(text: str, changes: Mapping[str, str], what: str) -> str:
    """``text`` with each change made; a change that finds nothing is an error, so that the
    test never runs a config other than the shipped one without saying so."""
    for old, new in changes.items():
        if old not in text:
            raise AssertionError(f"{what} has no {old!r} any more: update tests/support/proxies.py")
        text = text.replace(old, new)
    return text


def wait_for_port(process: subprocess.Popen[bytes], listen: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", listen), 1):
            return
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the proxy did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


@contextlib.contextmanager
def proxy_process(name: str, command: list[str], folder: Path, listen: int) -> Iterator[Proxy]:
    log = folder / "output.log"
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(folder / "home"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(process, listen, log)
        yield Proxy(name, f"https://127.0.0.1:{listen}", folder, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def nginx(folder: Path, upstream: int) -> Iterator[Proxy]:
    """nginx with infra/selfhost/nginx.conf in front of 127.0.0.1:``upstream``."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = certificate(folder)
    https, plain = free_port(), free_port()
    for sub in ("logs", "www", "temp"):
        (folder / sub).mkdir()
    site = mapped(
        (SELFHOST / "nginx.conf").read_text(),
        {
            "listen [::]:80;\n": "",
            "listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{plain};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
            "/etc/letsencrypt/live/lapor.example.go.id/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/lapor.example.go.id/privkey.pem": str(key),
            "/var/log/nginx/": f"{folder}/logs/",
            "/var/www/html": f"{folder}/www",
            f"http://127.0.0.1:{port()}": f"http://127.0.0.1:{upstream}",
        },
        "infra/selfhost/nginx.conf",
    )
    (folder / "wbs.conf").write_text(site)
    temp = "".join(
        f"\t{kind}_temp_path {folder}/temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, the workers stay root: the temporary folder is private to this user.
    user = "user root;" if os.geteuid() == 0 else ""
    main = mapped(
        DEBIAN_NGINX_CONF.read_text(),
        {
            "user www-data;": user,
            "pid /run/nginx.pid;": f"pid {folder}/nginx.pid;",
            "/var/log/nginx/": f"{folder}/logs/",
            "include /etc/nginx/conf.d/*.conf;": "",
            "include /etc/nginx/sites-enabled/*;": f"include {folder}/wbs.conf;\n{temp}",
        },
        str(DEBIAN_NGINX_CONF),
    )
    (folder / "nginx.conf").write_text(main)
    command = [NGINX, "-p", str(folder), "-e", f"{folder}/logs/error.log"]
    command += ["-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with proxy_process("nginx", command, folder, https) as running:
        yield running


@contextlib.contextmanager
def caddy(folder: Path, upstream: int) -> Iterator[Proxy]:
    """caddy with infra/selfhost/Caddyfile in front of 127.0.0.1:``upstream``: its own
    certificate instead of ACME's, no admin endpoint, no redirect server on port 80."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = certificate(folder)
    https = free_port()
    text = mapped(
        (SELFHOST / "Caddyfile").read_text(),
        {
            "\n{\n": "\n{\n\tadmin off\n\tauto_https disable_redirects\n",
            "lapor.example.go.id {\n": (
                f"https://127.0.0.1:{https} {{\n\tbind 127.0.0.1\n\ttls {cert} {key}\n"
            ),
            f"reverse_proxy 127.0.0.1:{port()}": f"reverse_proxy 127.0.0.1:{upstream}",
        },
        "infra/selfhost/Caddyfile",
    )
    (folder / "Caddyfile").write_text(text)
    command = [CADDY, "run", "--adapter", "caddyfile", "--config", str(folder / "Caddyfile")]
    with proxy_process("caddy", command, folder, https) as running:
        yield running


# Where the tests' requests come from: an address of the loopback network no server or proxy
# uses, so that finding it in a log can only mean the client was logged.
CLIENT_ADDRESS = "127.0.0.77"


def connection(origin: str) -> http.client.HTTPSConnection:
    """An HTTPS connection to a proxy from CLIENT_ADDRESS (its certificate is the test's
    own: not verified)."""
    host, _, number = origin.removeprefix("https://").rpartition(":")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection(
        host, int(number), timeout=30, context=context, source_address=(CLIENT_ADDRESS, 0)
    )


def burst(origin: str, path: str, count: int, headers: Mapping[str, str]) -> list[int]:
    """``count`` GETs of ``path`` one after another on one kept-alive connection, as fast as
    they go: their statuses."""
    conn = connection(origin)
    statuses = []
    try:
        for _ in range(count):
            conn.request("GET", path, headers=dict(headers))
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


def request(
    origin: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, CaseInsensitiveDict[str], bytes]:
    """One request on a connection of its own. A header sent twice comes back as one, its
    values joined with ", "."""
    conn = connection(origin)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        answer: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for name, value in response.getheaders():
            answer[name] = f"{answer[name]}, {value}" if name in answer else value
        return response.status, answer, response.read()
    finally:
        conn.close()
