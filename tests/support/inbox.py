"""Helpers for the `wbs inbox` tests: a private WBS_HOME, sealed reports and messages."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Collection, Iterable
from pathlib import Path

import nacl.bindings
import nacl.pwhash.argon2id as argon2id
import nacl.utils
import pytest
from click.testing import CliRunner, Result
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey
from rich.console import Console

from functions import envelope as fmt
from functions import mailbox
from functions.errors import StorageError
from functions.storage import LocalStorage, Storage, layout
from tests.support import reporter
from tests.support.membership import DESK, Institution
from wbs import attachments, config, console, keyfile, messages, paths
from wbs.cli import cli
from wbs.crypto import Identity, Recipient, key_id, seal
from wbs.reports import Reader

PASSPHRASE = "kata sandi yang panjang"
CANARY = "CANARY-7f3a9"
FIRST, SECOND, THIRD = "7K3MQ2X9ABCDEFGH", "7K3MZZZZ00000000", "8ABCDEFGHJKMNPQR"


def use_private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """WBS_HOME, WBS_STORAGE and WBS_KEYRING (not written yet: ``add_inspector_key`` makes it)
    under tmp_path, fast key files, built-in deadline rules."""
    monkeypatch.setattr(keyfile, "OPSLIMIT", argon2id.OPSLIMIT_INTERACTIVE)
    monkeypatch.setattr(keyfile, "MEMLIMIT", argon2id.MEMLIMIT_INTERACTIVE)
    for name in ("WBS_PASSPHRASE", "WBS_KEYRING", "WBS_KEY", "WBS_S3_ENDPOINT", "WBS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WBS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WBS_STORAGE", f"local:{tmp_path / 'store'}")
    monkeypatch.setenv("WBS_KEYRING", str(tmp_path / "home" / "keyring.json"))
    monkeypatch.setattr(config, "DEFAULT_PATH", tmp_path / "no-config.toml")
    # A wide terminal, so that table cells are not wrapped across lines.
    monkeypatch.setattr(console, "out", Console(width=200, highlight=False))
    return tmp_path / "home"


def add_inspector_key(label: str = "Inspektur", desks: Iterable[str] = (DESK,)) -> Identity:
    """A new inspector key file in $WBS_HOME/keys, and its holder a member of ``desks``: a
    person of the keyring (WBS_KEYRING, made with desk inspektorat and the recovery key if
    there is none yet) with a grant of every generation of each desk in the test storage
    (tests/support/membership.py)."""
    identity = keyfile.generate()
    paths.make_private_dir(paths.keys_dir())
    keyfile.create(paths.keys_dir() / f"{identity.kid}.key", identity, PASSPHRASE, label)
    if Institution.in_use():  # else (S3 storage) the test makes its own keyring
        Institution.here().add_member(identity, label, desks)
    return identity


def desk_keys(desks: Iterable[str] = (DESK,)) -> list[bytes]:
    """The public keys the page seals a report of ``desks`` to: each desk's active generation
    and the recovery key (the test institution's, tests/support/membership.py)."""
    return Institution.here().public_keys(desks)


def payload(**overrides: object) -> dict[str, object]:
    report: dict[str, object] = {
        "schema": "wbs-report/1",
        "lang": "id",
        "category": {"id": "pungutan-liar", "label": "Pungutan Liar"},
        "title": f"Pungli di loket {CANARY}",
        "what": f"Petugas meminta uang pelicin.\nBaris kedua — ümlaut ✓ {CANARY}",
        "who": [
            {"name": "Budi Santoso", "position": "Kepala Seksi", "unit": "Subbag Umum"},
            {"name": "Siti Aminah", "position": "Staf", "unit": "Keuangan"},
        ],
        "where": "Kantor KPU Jakarta Pusat",
        "when": {"date": "2024-02-14", "note": "sekitar pukul 10 pagi"},
        "how": "Melalui perantara",
        "loss": "1500000",
        "reporter": {"anonymous": True, "name": "", "contact": "", "relation": "public"},
        "declarations": {
            "truthful": True,
            "not_involved": True,
            "aware_of_sanctions": True,
            "confidential": True,
        },
    }
    report.update(overrides)
    return report


def put(
    store: Storage,
    report_id: str,
    to: Identity | list[bytes],
    content: object = None,
    received: str = "2024-03-01T02:30:00Z",
) -> None:
    """Store a report sealed to a list of public keys, or as the page seals it for an
    inspector: to the desks ``to`` is a member of and the recovery key (to ``to``'s own key
    if it is a member of none); the default content registers the case's reporter key
    (tests/support/reporter.py)."""
    if content is None:
        content = payload(reporter_signing_key=reporter.case_key_text(report_id))
    plaintext = json.dumps(content).encode()
    keys = sealed_for(to) if isinstance(to, Identity) else to
    envelope = seal("report", report_id, plaintext, [Recipient(k) for k in keys])
    stored = {"received": received, "envelope": envelope.to_json()}
    store.put_new(f"reports/{report_id}.json", json.dumps(stored).encode())


def desk_reader(identity: Identity) -> Reader:
    """A reader holding what ``identity``'s grants in the test storage give it (its desks'
    keys, shared cases), checked against the test keyring, as `wbs inbox` unlocks one."""
    return Institution.here().reader(identity)


def sealed_to(report_id: str, store: Storage | None = None) -> set[str]:
    """The key ids the stored report is sealed to."""
    store = store or Institution.here().store
    stored = json.loads(store.get(layout.report(report_id)))
    return {r["kid"] for r in stored["envelope"]["recipients"]}


def case_kids(desks: Iterable[str] = (DESK,)) -> list[str]:
    """The key ids an inspector's writing on a case of ``desks`` is sealed to: the active
    generation of each, and the recovery key."""
    ring = Institution.here().ring
    assert ring.recovery is not None
    return [*(ring.desk(d).kid for d in desks), ring.recovery.kid]


def sealed_for(identity: Identity) -> list[bytes]:
    """The public keys a report that ``identity`` reads is sealed to: the active generation
    of each desk it belongs to, and the recovery key; its own key if it belongs to none (or
    the test's storage is not the test institution's)."""
    if not Institution.in_use():
        return [identity.public_key]
    here = Institution.here()
    desks = here.desks_of(identity) if here.path.exists() else []
    return here.public_keys(desks) if desks else [identity.public_key]


def upload(
    store: Storage,
    report_id: str,
    file_id: str,
    name: str,
    plain: bytes,
    kind: str = "application/octet-stream",
) -> dict:
    """Store one encrypted file as the browser would; return its manifest entry."""
    key = nacl.bindings.crypto_secretstream_xchacha20poly1305_keygen()
    sink = io.BytesIO()
    digest = attachments.encrypt(io.BytesIO(plain), sink, report_id, file_id, key)
    store.put_new(layout.attachment(report_id, file_id), sink.getvalue())
    return {
        "id": file_id,
        "name": name,
        "type": kind,
        "size": digest.size,
        "chunk": attachments.CHUNK,
        "key": fmt.b64encode(key),
        "sha256": digest.sha256,
    }


def post_followup(
    store: Storage,
    report_id: str,
    text: str,
    sent: datetime.datetime,
    to: list[bytes],
    stored_at: datetime.datetime | None = None,
    message_type: messages.Type = "message",
    signed_by: SigningKey | None = None,
    signed: bool = True,
) -> mailbox.Message:
    """Store a reporter's follow-up as the API would, signed by the case's reporter key
    (``signed_by`` another; ``signed=False``: unsigned); ``stored_at`` names its storage key."""
    message = messages.new(message_type, by="", now=sent, text=text, status="")
    if message_type == "status":
        message = message._replace(status="selesai")
    envelope = seal("followup", report_id, messages.encode(message), [Recipient(k) for k in to])
    key = signed_by or reporter.case_key(report_id)
    signature = reporter.sign(envelope, key) if signed else None
    return mailbox.post(store, report_id, "reporter", envelope, stored_at or sent, signature)


def wbs(*args: str, passphrase: str | None = PASSPHRASE, more: str = "") -> Result:
    """Run `wbs`; the passphrase (if any) is the first line of stdin, ``more`` follows it."""
    typed = ("" if passphrase is None else passphrase + "\n") + more
    return CliRunner().invoke(cli, list(args), input=typed or None, prog_name="wbs")


def refuse_notes(patch: pytest.MonkeyPatch) -> None:
    """Make local storage refuse every write under notes/, as storage out of reach would."""
    real = LocalStorage.put_new

    def offline(
        self: LocalStorage, key: str, data: bytes, *, desks: Collection[str] = frozenset()
    ) -> None:
        if key.startswith("notes/"):
            raise StorageError("storage is out of reach")
        real(self, key, data, desks=desks)

    patch.setattr(LocalStorage, "put_new", offline)


def write_format_1_key(path: Path, secret: PrivateKey, passphrase: str, label: str) -> None:
    """A key file as `wbs keys new` wrote them before keys could sign (wbs-private-key/1)."""
    salt = nacl.utils.random(argon2id.SALTBYTES)
    ops, mem = argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE
    box = SecretBox(argon2id.kdf(32, passphrase.encode(), salt, opslimit=ops, memlimit=mem))
    public = bytes(secret.public_key)
    document = {
        "format": keyfile.FORMAT_1,
        "kid": key_id(public),
        "public_key": fmt.b64encode(public),
        "label": label,
        "kdf": {
            "alg": keyfile.KDF_ALG,
            "opslimit": ops,
            "memlimit": mem,
            "salt": fmt.b64encode(salt),
        },
        "box": fmt.b64encode(bytes(box.encrypt(bytes(secret)))),
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps(document))
    path.chmod(0o600)
