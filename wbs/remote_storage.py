"""A self-hosted service's inspector API as storage (docs/spec/inspector-api-v1.md): the third
implementation of ``functions.storage.base.Storage``, beside the folder and S3, for
``--storage wbs+https://wbs.example.go.id``.

Every request is signed with the inspector's own Ed25519 key, which the command unlocks
(``signer`` is asked for it at the first request). TLS is verified against the system's
authorities, or WBS_CA_BUNDLE (else REQUESTS_CA_BUNDLE) for a private one. A request that
fails on the way (a dropped connection, 502-504) is sent again, signed anew; a create-only
write whose repeat finds its key taken is checked byte for byte, as on S3.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from urllib.parse import urlencode, urlsplit

import nacl.utils
import urllib3
from urllib3.exceptions import HTTPError

from functions.config import ConfigError
from functions.envelope import b64encode
from functions.errors import AlreadyExists, Denied, NotFound, StorageError
from functions.inspector_api import OBJECTS, PAGE_SIZE
from functions.inspector_auth import (
    KEY_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    body_digest,
    canonical,
)
from functions.storage.base import ObjectInfo, Readable, check_key, check_prefix
from functions.storage.tags import tag_value
from wbs.crypto import Identity
from wbs.signing import CannotSign

SCHEMES = {"wbs+https": "https", "wbs+http": "http"}
CA_VARIABLES = ("WBS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")
URL_HINT = "name the service as wbs+https://host[:port] (wbs+http:// only for 127.0.0.1)"
ATTEMPTS = 3
RETRIED_STATUSES = frozenset({502, 503, 504})
TIMEOUT = urllib3.Timeout(connect=10, read=60)
# What to do next, for the refusals an inspector can fix.
HINTS = {
    "unknown_key": "your key is not in the keyring the service's site was built from: ask the"
    " admin to add it (wbs keys add), and wait for the site to be rebuilt",
    "retired_key": "your key is retired in the service's keyring: use your current key (--key)",
    "stale_time": "this machine's clock is off: set it (timedatectl set-ntp true), then retry",
    "bad_signature": "check that the URL names the service itself, with no path: a proxy must"
    " forward /inspector/ unchanged",
}

Signer = Callable[[], Identity]


def is_url(url: str) -> bool:
    return url.startswith(tuple(f"{scheme}://" for scheme in SCHEMES))


class RemoteStorage:
    """The store of the service at ``url`` (``wbs+https://host[:port]``), reached with the
    key ``signer`` gives."""

    def __init__(
        self,
        url: str,
        signer: Signer,
        *,
        ca_bundle: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.base = _base(url)
        self._signer = signer
        self._clock = clock
        self._pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle, timeout=TIMEOUT, retries=False
        )

    @classmethod
    def from_env(cls, url: str, signer: Signer) -> RemoteStorage:
        bundle = next((os.environ[v] for v in CA_VARIABLES if os.environ.get(v)), None)
        return cls(url, signer, ca_bundle=bundle)

    def __repr__(self) -> str:
        return f"RemoteStorage({self.url!r})"

    def close(self) -> None:
        """Close the connections kept alive (they close anyway when the storage is freed)."""
        close_pools(self._pool)

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        path = f"{OBJECTS}/{check_key(key)}"
        query = urlencode({"desks": ",".join(sorted(set(desks)))}) if desks else ""
        if desks:
            tag_value(desks)  # a set no tag can name: TagError here, as on every store
        response, retried = self._request("PUT", path, query, data)
        if response.status == 201:
            return
        if response.status == 409:
            if retried and self._holds(key, data):
                return  # an earlier attempt of this very write landed; its answer was lost
            raise AlreadyExists(f"{key} already exists")
        raise self._failure("write", key, response)

    def _holds(self, key: str, data: bytes) -> bool:
        try:
            return self.get(key) == data
        except NotFound:
            return False

    def get(self, key: str) -> bytes:
        body = self._open(key)
        try:
            return body.read_all()
        finally:
            body.close()

    def stream(self, key: str) -> Readable:
        return self._open(key)

    def _open(self, key: str) -> _Body:
        response, _ = self._request("GET", f"{OBJECTS}/{check_key(key)}", "", b"", stream=True)
        if response.status == 200:
            return _Body(key, response)
        response.data  # noqa: B018 - read (and kept) before the connection goes back
        response.release_conn()
        if response.status == 404 and _code(response) == "not_found":
            raise NotFound(f"no object {key}")
        raise self._failure("read", key, response)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        after = ""
        while True:
            query = urlencode({"prefix": prefix, "after": after, "limit": PAGE_SIZE})
            response, _ = self._request("GET", OBJECTS, query, b"")
            if response.status != 200:
                raise self._failure("list", prefix or "/", response)
            try:
                page = json.loads(response.data)
                for item in page["objects"]:
                    modified = datetime.fromisoformat(item["modified"])
                    yield ObjectInfo(check_key(item["key"]), int(item["size"]), modified)
                after = page["next"]
            except (ValueError, KeyError, TypeError):
                raise StorageError(f"{self.url} answered a listing that is not one") from None
            if after is None:
                return

    def _request(
        self, method: str, path: str, query: str, body: bytes, *, stream: bool = False
    ) -> tuple[urllib3.BaseHTTPResponse, bool]:
        """Send a signed request, again (signed anew) after a failure on the way; return the
        answer and whether an earlier attempt may have reached the service."""
        url = self.base + path + (f"?{query}" if query else "")
        for attempt in range(ATTEMPTS):
            headers = self._signed(method, path, query, body)
            try:
                response = self._pool.request(
                    method, url, body=body or None, headers=headers, preload_content=not stream
                )
            except HTTPError as exc:
                if attempt + 1 == ATTEMPTS:
                    raise StorageError(
                        f"cannot reach {self.url}: {_why(exc)}",
                        hint="check the address and your network; the service may restrict"
                        " /inspector/ to the office network",
                    ) from None
                continue
            if response.status in RETRIED_STATUSES and attempt + 1 < ATTEMPTS:
                response.drain_conn()
                time.sleep(0.5 * (attempt + 1))
                continue
            return response, attempt > 0
        raise AssertionError("unreachable")  # the loop returns or raises

    def _signed(self, method: str, path: str, query: str, body: bytes) -> dict[str, str]:
        identity = self._signer()
        if identity.signing_key is None:
            raise CannotSign(
                f"your key {identity.kid} cannot sign requests to {self.url}",
                hint="give it its signing key (same passphrase): wbs keys upgrade --key PATH",
            )
        moment = int(self._clock())
        nonce = nacl.utils.random(16).hex()
        message = canonical(method, path, query, identity.kid, moment, nonce, body_digest(body))
        signature = identity.signing_key.sign(message).signature
        return {
            KEY_HEADER: identity.kid,
            TIME_HEADER: str(moment),
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: b64encode(signature),
            "Content-Type": "application/octet-stream",
        }

    def _failure(self, action: str, key: str, response: urllib3.BaseHTTPResponse) -> StorageError:
        code = _code(response)
        if code is None:
            return StorageError(
                f"cannot {action} {key}: {self.url} answered {response.status}, not as an"
                " inspector API",
                hint="the admin turns it on with WBS_INSPECTOR_API=on (docs/self-hosting.md)",
            )
        message = _message(response)
        if response.status == 403 and code == "not_readable":
            return Denied(f"cannot {action} {key}: {message}")
        return StorageError(f"cannot {action} {key} at {self.url}: {message}", hint=HINTS.get(code))


class _Body:
    """An object's body being downloaded; a failure midway is a StorageError."""

    def __init__(self, key: str, response: urllib3.BaseHTTPResponse) -> None:
        self._key = key
        self._response = response

    def read(self, size: int, /) -> bytes:
        try:
            return self._response.read(size)
        except (HTTPError, OSError) as exc:
            raise StorageError(f"cannot read {self._key}: {_why(exc)}") from None

    def read_all(self) -> bytes:
        try:
            return self._response.read()
        except (HTTPError, OSError) as exc:
            raise StorageError(f"cannot read {self._key}: {_why(exc)}") from None

    def close(self) -> None:
        """Give the connection back if the body was read to its end, else close it: the rest
        of a large file is not downloaded only to be dropped."""
        if getattr(self._response, "length_remaining", None) == 0:
            self._response.release_conn()  # back to the pool, for the next request
        self._response.close()  # what is left of this answer (its connection, if not given back)


def close_pools(manager: urllib3.PoolManager) -> None:
    """Close every connection ``manager`` keeps: its ``clear()`` only forgets them."""
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118 - not a dict
    manager.clear()
    for pool in pools:
        pool.close()


def _base(url: str) -> str:
    """``https://host[:port]`` for ``wbs+https://host[:port]``; ConfigError for anything else."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        raise ConfigError(f"storage URL {url!r} is not a URL", hint=URL_HINT) from None
    scheme = SCHEMES.get(parts.scheme)
    if scheme is None or not parts.hostname or parts.username or parts.password:
        raise ConfigError(f"storage URL {url!r} names no service", hint=URL_HINT)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"storage URL {url!r} has a path: the service's root only", hint=URL_HINT)
    if scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(
            f"storage URL {url!r} is plain http to another machine",
            hint="use wbs+https://: the API carries ciphertext, but its metadata and your"
            " signed requests deserve TLS",
        )
    return f"{scheme}://{parts.netloc}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _code(response: urllib3.BaseHTTPResponse) -> str | None:
    """The API's error code, or None for an answer that is not the API's (a proxy's page)."""
    try:
        found = json.loads(response.data).get("error")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _message(response: urllib3.BaseHTTPResponse) -> str:
    try:
        text = json.loads(response.data).get("message")
    except (ValueError, AttributeError):
        text = None
    return f"{response.status} {text}" if isinstance(text, str) else str(response.status)


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return type(reason or exc).__name__
