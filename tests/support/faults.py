"""Storage faults for the fault tests (tests/test_faults.py): each one injected where it
really happens, below the code under test.

- ``S3Faults``: S3's own failures, on moto, through botocore's ``before-send`` event. The
  handler stands in for moto's stubber on the clients it is given: it lets a request through
  to moto, answers it with S3's throttling or error XML instead, raises botocore's timeouts,
  or lets the request land in moto and *then* fails it (the write happened, the client saw a
  timeout). botocore's own retries run as in production; only their sleeps are skipped.
- ``DiskFaults``: the disk's failures under a folder, at the system calls: a file's
  ``os.fsync`` failing (ENOSPC, EIO: the write did not land) or a folder's (the new name is
  already linked: the write landed, the caller saw an error), and ``os.stat`` and
  ``os.listdir`` failing. ``LocalStorage``, the local uploads and the inspector's cache
  flush every file they write, so every write passes there.
- ``Faulty``: a ``Storage`` wrapper for the API-level tests, failing an operation before or
  after the store underneath performs it, on either backend alike.
- ``Slow``: a ``Storage`` wrapper that sleeps before and after every call, so that requests
  run together overlap as they do on S3 (tests/test_limits_race.py).
"""

from __future__ import annotations

import errno
import io
import os
import random
import stat
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff
from moto.core.models import botocore_stubber

from functions.errors import StorageError
from functions.storage import ObjectInfo, Readable, Storage

# What S3 answers (status, code): throttling and a server error, as botocore retries them.
S3_ERRORS = {
    "slow_down": (503, "SlowDown", "Please reduce your request rate."),
    "unavailable": (503, "ServiceUnavailable", "Service is unable to handle request."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
    "access_denied": (403, "AccessDenied", "Access Denied"),  # not retried
    # Another conditional write to the key is in flight (not retried)
    "conflict": (409, "ConditionalRequestConflict", "A conflicting operation is in progress."),
}
# Failures that happen before S3 acted: nothing was written.
S3_BEFORE = ("slow_down", "unavailable", "internal", "read_timeout", "connect_timeout")
# Failures after S3 acted: the request landed, the client saw a timeout or an error.
S3_AFTER = ("landed_read_timeout", "landed_internal")
# Failures of a download's body: truncated, or the socket timing out halfway.
S3_BODY = ("truncated", "socket_timeout")


class _Raw(io.BytesIO):
    """A response body as botocore reads it (``stream()`` and ``read()``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


class _Stalling(_Raw):
    """A body whose socket times out after its first ``keep`` bytes."""

    def __init__(self, data: bytes, keep: int) -> None:
        super().__init__(data[:keep])

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        if not data or size is None or size < 0:
            raise TimeoutError("timed out")  # what a socket read raises (socket.timeout)
        return data


@dataclass
class Rule:
    kind: str
    operation: str  # botocore's name: PutObject, GetObject, ListObjectsV2, ...
    key: str  # the request's object key (after the bucket) starts with this
    times: int
    skip: int  # let this many matching requests through first


@dataclass
class S3Faults:
    """Failures injected into the S3 requests of some boto3 clients (or a session)."""

    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (operation, key) sent
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, operation, key)

    def attach(self, events: Any) -> None:
        """Stand in for moto's stubber on a client's (or a session's) event emitter."""
        events.unregister("before-send", botocore_stubber)
        events.register("before-send", self._send)

    def inject(
        self, kind: str, operation: str, key: str = "", *, times: int = 1, skip: int = 0
    ) -> None:
        assert kind in (*S3_ERRORS, *S3_BEFORE, *S3_AFTER, *S3_BODY, "interrupt"), kind
        self.rules.append(Rule(kind, operation, key, times, skip))

    def _send(self, request: Any, event_name: str, **kwargs: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        key = unquote(urlsplit(request.url).path.lstrip("/"))
        self.seen.append((operation, key))
        rule = next(
            (
                r
                for r in self.rules
                if r.times and r.operation == operation and key.startswith(r.key)
            ),
            None,
        )
        if rule is not None and rule.skip:
            rule.skip -= 1
            rule = None
        if rule is None:
            return botocore_stubber(event_name, request, **kwargs)
        rule.times -= 1
        self.failed.append((rule.kind, operation, key))
        match rule.kind:
            case "read_timeout":
                raise ReadTimeoutError(endpoint_url=request.url)
            case "connect_timeout":
                raise ConnectTimeoutError(endpoint_url=request.url)
            case "interrupt":
                raise KeyboardInterrupt
            case "landed_read_timeout":
                botocore_stubber(event_name, request, **kwargs)
                raise ReadTimeoutError(endpoint_url=request.url)
            case "landed_internal":
                botocore_stubber(event_name, request, **kwargs)
                return _error(request.url, "internal")
            case "truncated" | "socket_timeout":
                real = botocore_stubber(event_name, request, **kwargs)
                assert real is not None and real.status_code == 200
                data = real.content
                raw = _Raw(data[: len(data) // 2])
                if rule.kind == "socket_timeout":
                    raw = _Stalling(data, len(data) // 2)
                return AWSResponse(request.url, 200, real.headers, raw)
        return _error(request.url, rule.kind)


def _error(url: str, kind: str) -> AWSResponse:
    status, code, message = S3_ERRORS[kind]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<RequestId>FAULT</RequestId></Error>"
    ).encode()
    return AWSResponse(url, status, {"Content-Type": "application/xml"}, _Raw(body))


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries without their sleeps (up to 7 s for a throttled request): which
    errors are retried, and how often, stay as configured."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


# --- the disk ----------------------------------------------------------------------------


@dataclass
class DiskRule:
    error: int  # errno; 0: the user presses Ctrl-C (KeyboardInterrupt) at that moment
    what: str
    under: Path
    times: int
    skip: int


class DiskFaults:
    """The disk failing under a folder, as a full or failing disk does:

    - ``file``: a file's ``os.fsync`` (the write did not land: its name is not linked yet);
    - ``folder``: a folder's ``os.fsync`` (after a new name was linked: the write landed);
    - ``stat``, ``listdir``: reading a file's metadata, a folder's names."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.rules: list[DiskRule] = []
        self.failed: list[Path] = []
        self._patched: set[str] = set()

    def inject(self, error: int, what: str, under: Path, *, times: int = 1, skip: int = 0) -> None:
        assert what in ("file", "folder", "stat", "listdir")
        self.rules.append(DiskRule(error, what, under, times, skip))
        name = "fsync" if what in ("file", "folder") else what
        if name not in self._patched:
            self._patched.add(name)
            self.monkeypatch.setattr(os, name, getattr(self, f"_{name}")(getattr(os, name)))

    def _fail(self, what: str, path: Path) -> None:
        for rule in self.rules:
            if rule.times and rule.what == what and path.is_relative_to(rule.under):
                if rule.skip:
                    rule.skip -= 1
                    return
                rule.times -= 1
                self.failed.append(path)
                if rule.error == 0:
                    raise KeyboardInterrupt
                raise OSError(rule.error, os.strerror(rule.error), str(path))

    def _fsync(self, real: Callable[[int], None]) -> Callable[[int], None]:
        def fsync(fd: int) -> None:
            path = Path(os.readlink(f"/proc/self/fd/{fd}"))
            self._fail("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file", path)
            real(fd)

        return fsync

    def _stat(self, real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def stat_(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if isinstance(path, str | Path):
                self._fail("stat", Path(path))
            return real(path, *args, **kwargs)

        return stat_

    def _listdir(self, real: Callable[..., list[str]]) -> Callable[..., list[str]]:
        def listdir(path: Any = ".") -> list[str]:
            if isinstance(path, str | Path):
                self._fail("listdir", Path(path))
            return real(path)

        return listdir


ENOSPC, EIO = errno.ENOSPC, errno.EIO


# --- any store ---------------------------------------------------------------------------


@dataclass
class StoreRule:
    operation: str  # put_new, get, list, stream
    key: str  # prefix of the key (or of the listed prefix)
    after: bool  # the store acted, then the caller saw the failure
    times: int
    skip: int


class Faulty:
    """A ``Storage`` that fails as told, before or after the store under it acts."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.rules: list[StoreRule] = []
        self.failed: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"Faulty({self.inner!r})"

    def fail(
        self, operation: str, key: str = "", *, after: bool = False, times: int = 1, skip: int = 0
    ) -> None:
        self.rules.append(StoreRule(operation, key, after, times, skip))

    def _check(self, operation: str, key: str, after: bool) -> None:
        for rule in self.rules:
            if rule.operation == operation and key.startswith(rule.key) and rule.after == after:
                if not rule.times:
                    continue
                if rule.skip:
                    rule.skip -= 1
                    return
                rule.times -= 1
                self.failed.append((operation, key))
                raise StorageError(f"injected: cannot {operation} {key}")

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        self._check("put_new", key, False)
        self.inner.put_new(key, data, desks=desks)
        self._check("put_new", key, True)

    def get(self, key: str) -> bytes:
        self._check("get", key, False)
        data = self.inner.get(key)
        self._check("get", key, True)
        return data

    def stream(self, key: str) -> Readable:
        self._check("stream", key, False)
        return self.inner.stream(key)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._check("list", prefix, False)
        return self.inner.list(prefix)


class Slow:
    """A ``Storage`` that takes ``low`` to ``high`` seconds (at random) before and after each
    call, as S3 does over the network: two requests that check, then write, find each other's
    writes only after the fact unless something atomic stands between."""

    def __init__(self, inner: Storage, low: float = 0.02, high: float = 0.05) -> None:
        self.inner = inner
        self.low, self.high = low, high
        self._random = random.Random(13)  # noqa: S311 (delays, not secrets)

    def __repr__(self) -> str:
        return f"Slow({self.inner!r})"

    def _wait(self) -> None:
        time.sleep(self._random.uniform(self.low, self.high))

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        self._wait()
        try:
            self.inner.put_new(key, data, desks=desks)
        finally:
            self._wait()

    def get(self, key: str) -> bytes:
        self._wait()
        try:
            return self.inner.get(key)
        finally:
            self._wait()

    def stream(self, key: str) -> Readable:
        self._wait()
        return self.inner.stream(key)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._wait()
        found = list(self.inner.list(prefix))  # what was there when the store was asked
        self._wait()
        return iter(found)
