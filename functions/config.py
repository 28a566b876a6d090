"""Settings from the environment (docs/architecture.md) and the storage they name."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from functions.errors import InvalidKey, WbsError
from functions.notify import Notifier
from functions.notify import from_env as notifier_from_env
from functions.proofs import DEFAULT_DIFFICULTY, Proofs
from functions.proofs import secret as proof_secret
from functions.proofs.challenge import MAX_SETTING
from functions.storage import LocalStorage, S3Storage, Storage, addressing
from functions.storage import lock as object_lock
from functions.storage.lock import ObjectLock
from functions.uploads import Limits, LocalUploads, S3Uploads, Uploads
from functions.uploads.local import load_secret
from functions.uploads.s3 import upload_client

# S3's bucket naming rules, the part that matters for telling a bucket from a typo.
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
DIFFICULTY_VARIABLE = "WBS_POW_DIFFICULTY"
# The routing rules (docs/spec/desks-v2.md section 4): the routing.json `wbs build` writes
# beside the page. Unset: every report goes to the keyring's only desk.
ROUTING_VARIABLE = "WBS_ROUTING"
STORAGE_HINT = "set WBS_STORAGE to local:/path/to/folder or s3://bucket/optional/prefix"
# The inspector API of a self-hosted service (docs/spec/inspector-api-v1.md): off unless "on".
INSPECTOR_API_VARIABLE = "WBS_INSPECTOR_API"
# An inspector API as the inspectors' tool names it (wbs/remote_storage.py); http only for
# the loopback (tests, a tunnel).
REMOTE_SCHEMES = ("wbs+https://", "wbs+http://")


class ConfigError(WbsError, ValueError):
    """A setting has a value this project cannot use."""


@dataclass(frozen=True)
class Settings:
    storage_url: str
    keyring_path: Path
    s3_endpoint: str | None = None
    # How S3 clients name the bucket (functions/storage/addressing.py): WBS_S3_ADDRESSING.
    s3_addressing: addressing.Addressing = "auto"
    # Where the local host keeps its generated upload secret; None: a fresh one per process.
    home: Path | None = None
    upload_secret: str | None = field(default=None, repr=False)
    upload_limits: Limits = field(default_factory=Limits)
    # Proof of work (docs/spec/pow-v1.md): bits asked of each report and follow-up, 0 = off.
    # Settings built in code (tests, benchmarks) take WBS_POW_DIFFICULTY from the process.
    pow_difficulty: int = field(
        default_factory=lambda: difficulty_from_env(os.environ, DEFAULT_DIFFICULTY)
    )
    pow_secret: str | None = field(default=None, repr=False)
    pow_secret_parameter: str | None = None  # on AWS: the SSM SecureString holding the key
    routing_path: Path | None = None  # wbs-routing/1; None: the keyring's only desk
    inspector_api: bool = False  # serve /inspector/v1/ (functions/inspector_api.py)
    # How the inspectors' tool opens an inspector API's URL (wbs+https://...): set by
    # wbs/commands/options.py, which holds the key that signs. None: such a URL is refused.
    remote: Callable[[str], Storage] | None = field(default=None, repr=False, compare=False)
    # S3 Object Lock of each object written (functions/storage/lock.py): WBS_OBJECT_LOCK.
    object_lock: ObjectLock | None = None
    # Who is told of a new report or follow-up (functions/notify/): the SNS topic of
    # WBS_NOTIFY_TOPIC, the mail server of WBS_SMTP_HOST, or nobody.
    notifier: Notifier | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("WBS_HOME") or "~/.local/share/wbs").expanduser()
        try:
            limits = Limits.from_env(env)
        except ValueError as exc:
            raise ConfigError(f"upload limits: {exc}", hint="see docs/architecture.md") from None
        try:
            s3_addressing = addressing.from_env(env)
        except ValueError as exc:
            raise ConfigError(
                str(exc), hint="leave it unset (auto): see docs/self-hosting.md"
            ) from None
        try:
            lock = object_lock.from_env(env)
        except ValueError as exc:
            raise ConfigError(str(exc), hint='see docs/aws.md, "Object Lock"') from None
        try:
            notifier = notifier_from_env(env)
        except ValueError as exc:
            raise ConfigError(str(exc), hint='see docs/self-hosting.md, "Alerts"') from None
        return cls(
            storage_url=env.get("WBS_STORAGE") or f"local:{home / 'storage'}",
            pow_difficulty=difficulty_from_env(env, DEFAULT_DIFFICULTY),
            pow_secret=env.get(proof_secret.VARIABLE) or None,
            pow_secret_parameter=env.get(proof_secret.PARAMETER_VARIABLE) or None,
            keyring_path=Path(env.get("WBS_KEYRING") or "keys/keyring.json").expanduser(),
            routing_path=_optional_path(env.get(ROUTING_VARIABLE)),
            inspector_api=_switch(env, INSPECTOR_API_VARIABLE),
            s3_endpoint=env.get("WBS_S3_ENDPOINT") or None,
            s3_addressing=s3_addressing,
            home=home,
            upload_secret=env.get("WBS_UPLOAD_SECRET") or None,
            upload_limits=limits,
            object_lock=lock,
            notifier=notifier,
        )

    def open_storage(self) -> Storage:
        return open_storage(
            self.storage_url,
            self.s3_endpoint,
            self.s3_addressing,
            remote=self.remote,
            lock=self.object_lock,
        )

    def open_uploads(self, storage: Storage) -> Uploads:
        """The upload protocol on ``storage``: the local host's own multipart store for a
        folder, presigned multipart uploads for S3."""
        if isinstance(storage, LocalStorage):
            try:
                secret = load_secret(self.upload_secret, self.home)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"no usable upload secret: {exc}") from None
            return Uploads(storage, LocalUploads(storage.root, secret), self.upload_limits)
        if isinstance(storage, S3Storage):
            client = upload_client(self.s3_endpoint, self.s3_addressing)
            backend = S3Uploads(storage.bucket, storage.prefix, client, storage.lock)
            return Uploads(storage, backend, self.upload_limits)
        raise ConfigError(f"uploads are not supported on {storage!r}")

    def open_proofs(self, storage: Storage) -> Proofs:
        """The proof-of-work gate on ``storage``. Its key is read on first use: from SSM
        when a parameter is named, else the host's own (``WBS_POW_SECRET``, or the file)."""

        def load() -> bytes:
            try:
                if self.pow_secret_parameter:
                    return proof_secret.from_parameter(self.pow_secret_parameter)
                return proof_secret.from_host(self.pow_secret, self.home)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"no usable proof-of-work secret: {exc}") from None

        return Proofs(storage, load, self.pow_difficulty)


def _switch(env: Mapping[str, str], name: str) -> bool:
    """A setting that is "on" or "off" (or unset: off)."""
    text = (env.get(name) or "off").strip().lower()
    if text not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off", hint="see docs/self-hosting.md")
    return text == "on"


def _optional_path(text: str | None) -> Path | None:
    return Path(text).expanduser() if text else None


def difficulty_from_env(env: Mapping[str, str], default: int) -> int:
    """``WBS_POW_DIFFICULTY`` (0 turns the check off), else ``default``."""
    text = env.get(DIFFICULTY_VARIABLE) or ""
    if not text:
        return default
    if not (text.isascii() and text.isdecimal() and int(text) <= MAX_SETTING):
        raise ConfigError(
            f"{DIFFICULTY_VARIABLE} must be a whole number from 0 (off) to {MAX_SETTING}",
            hint="see docs/architecture.md",
        )
    return int(text)


def open_storage(
    url: str,
    endpoint: str | None = None,
    chosen: addressing.Addressing = "auto",
    *,
    remote: Callable[[str], Storage] | None = None,
    lock: ObjectLock | None = None,
) -> Storage:
    """``local:/path`` is a folder; ``s3://bucket/optional/prefix`` is a bucket (``endpoint``
    for S3-compatible stores, addressed as ``chosen``; ``lock``: the retention each object
    written gets); ``wbs+https://host`` is a self-hosted service's inspector API, opened by
    ``remote`` (the inspectors' tool only; the service's own storage applies its own lock).
    Raise ConfigError for anything else, and for a lock on a folder."""
    if url.startswith(REMOTE_SCHEMES):
        if remote is None:
            raise ConfigError(
                f"storage URL {url!r} is an inspector API: only the inspectors' tool reaches it",
                hint="the service's own WBS_STORAGE is local:/path or s3://bucket/prefix",
            )
        return remote(url)
    if url.startswith("local:"):
        folder = url.removeprefix("local:")
        if not folder:
            raise ConfigError("storage URL local: names no folder", hint=STORAGE_HINT)
        if lock is not None:
            raise ConfigError(
                f"{object_lock.VARIABLE} is set, but {url} is a folder: Object Lock is S3's,"
                " and a folder would keep nothing locked",
                hint=f"unset {object_lock.VARIABLE} for a local store, or name the S3 bucket"
                " it is for with WBS_STORAGE",
            )
        return LocalStorage(Path(folder).expanduser())
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not BUCKET_RE.fullmatch(bucket):
            raise ConfigError(f"storage URL {url!r} names no valid S3 bucket", hint=STORAGE_HINT)
        try:
            return S3Storage(
                bucket, prefix.removesuffix("/"), endpoint_url=endpoint, chosen=chosen, lock=lock
            )
        except InvalidKey:
            raise ConfigError(
                f"storage URL {url!r} has a prefix that is not a/b/c of A-Z a-z 0-9 . _ -",
                hint=STORAGE_HINT,
            ) from None
    raise ConfigError(f"unknown storage URL {url!r}", hint=STORAGE_HINT)
