"""Is a running deployment healthy? The checks behind ``wbs health``, for a systemd timer or
any monitor: each returns what it found, or raises ``Unhealthy`` with a one-line reason.

- the API answers ``GET /api/health`` with 200 ``{"ok": true}`` (functions/app.py);
- over https, the certificate is trusted (the system's CAs, or ``--ca``'s) and does not expire
  within the given days;
- the local store, when given: it exists, its file system is not mounted read-only, and it
  has free space and free inodes left.

Nothing here writes anywhere: the store is looked at with ``statvfs``, never written to, so
that the check can run beside the service without touching its data.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from functions.errors import WbsError
from wbs.verify import Origin, opener

HEALTH = "/api/health"
TIMEOUT = 10.0
MAX_BYTES = 4096
DAY = 86_400
LOCAL = "local:"


class Unhealthy(WbsError, RuntimeError):
    """A check failed: the message is the one-line reason."""


@dataclass(frozen=True)
class Storage:
    path: Path
    free_bytes: int


def check_api(origin: Origin, context: ssl.SSLContext | None) -> None:
    """``GET /api/health`` answers 200 ``{"ok": true}``."""
    url = origin.base + HEALTH
    # Only the http(s) origin given on the command line (site_origin) gets here.
    request = urllib.request.Request(url, headers={"User-Agent": "wbs-health"})  # noqa: S310
    try:
        with opener(context).open(request, timeout=TIMEOUT) as response:
            status, body = response.status, response.read(MAX_BYTES)
    except urllib.error.HTTPError as exc:
        with exc:
            raise Unhealthy(f"{url} answered HTTP {exc.code}", hint=_SERVICE_HINT) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise Unhealthy(
                f"{url}: the certificate is not trusted ({reason.verify_message})",
                hint="renew it; for a private CA, give its certificate with --ca FILE (PEM)",
            ) from None
        raise Unhealthy(f"{url} did not answer: {reason}", hint=_SERVICE_HINT) from None
    try:
        ok = status == 200 and json.loads(body) == {"ok": True}
    except ValueError:
        ok = False
    if not ok:
        raise Unhealthy(f"{url} answered HTTP {status} without ok", hint=_SERVICE_HINT)


_SERVICE_HINT = "systemctl status wbs; journalctl -u wbs (docs/self-hosting.md, Monitoring)"


def certificate_days(origin: Origin, context: ssl.SSLContext | None) -> float:
    """Days until the certificate the origin presents expires (it is verified first)."""
    context = context or ssl.create_default_context()
    try:
        with (
            socket.create_connection((origin.host, origin.port), timeout=TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=origin.host) as tls,
        ):
            certificate = tls.getpeercert()
    except ssl.SSLCertVerificationError as exc:
        raise Unhealthy(
            f"{origin.base}: the certificate is not trusted ({exc.verify_message})",
            hint="renew it; for a private CA, give its certificate with --ca FILE (PEM)",
        ) from None
    except OSError as exc:
        raise Unhealthy(f"{origin.base}: no TLS connection: {exc}", hint=_SERVICE_HINT) from None
    not_after = str((certificate or {}).get("notAfter", ""))
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / DAY


def check_certificate(origin: Origin, context: ssl.SSLContext | None, least_days: int) -> int:
    """Whole days left on the certificate; Unhealthy if fewer than ``least_days``."""
    days = certificate_days(origin, context)
    if days < least_days:
        raise Unhealthy(
            f"the certificate of {origin.host} expires in {max(days, 0):.1f} days"
            f" (fewer than {least_days})",
            hint="renew it (certbot renew, or your CA), then reload the reverse proxy",
        )
    return int(days)


def storage_path(value: str) -> Path | None:
    """The folder of a ``local:`` storage URL or a plain path; None for S3 (not checked)."""
    if value.startswith(LOCAL):
        return Path(value[len(LOCAL) :])
    if "://" in value:
        return None
    return Path(value)


def check_storage(path: Path, least_bytes: int) -> Storage:
    """The store exists, can be written (its file system is not read-only) and has at least
    ``least_bytes`` and some inodes free. Looked at, never written to."""
    try:
        stats = os.statvfs(path)
    except FileNotFoundError:
        raise Unhealthy(
            f"storage {path} does not exist", hint="check WBS_STORAGE in /etc/wbs/wbs.env"
        ) from None
    except OSError as exc:
        raise Unhealthy(
            f"storage {path} cannot be looked at: {exc.strerror}",
            hint="run the check as root, or as the service's user (docs/self-hosting.md)",
        ) from None
    if not path.is_dir():
        raise Unhealthy(f"storage {path} is not a folder", hint="check WBS_STORAGE")
    if stats.f_flag & os.ST_RDONLY:
        raise Unhealthy(
            f"storage {path} is on a read-only file system: no report can be stored",
            hint="look at the disk (dmesg; mount): a file system remounts read-only on errors",
        )
    free = stats.f_bavail * stats.f_frsize
    if free < least_bytes:
        raise Unhealthy(
            f"storage {path} has {size(free)} free, less than {size(least_bytes)}",
            hint="free or add space; reports and evidence are refused when it is full",
        )
    if stats.f_files and stats.f_favail == 0:
        raise Unhealthy(f"storage {path} has no free inode left", hint="free or add space")
    return Storage(path, free)


def size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
