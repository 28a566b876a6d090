"""`wbs inbox` against a self-hosted service's inspector API (wbs+http://, wbs/remote_storage.py):
the same work as on the store's folder, the same objects under the same keys, byte for byte."""

from __future__ import annotations

import base64
import contextlib
import datetime
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import urllib3
from nacl.public import PrivateKey

from functions.config import ConfigError, Settings
from functions.errors import AlreadyExists, NotFound, StorageError
from functions.host import make_server
from functions.storage import LocalStorage, layout
from tests.support.host import serving
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    desk_keys,
    payload,
    post_followup,
    put,
    upload,
    use_private_home,
    wbs,
)
from tests.support.reporter import case_key_text
from wbs import attachments, keyfile
from wbs.cache import Cache
from wbs.crypto import Identity
from wbs.remote_storage import RemoteStorage, close_pools

PHOTO, SCAN = "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4"
OPENED: list[urllib3.PoolManager] = []
OBJECT_FOLDERS = (layout.REPORTS, layout.MAILBOXES, layout.NOTES, layout.DESKS, layout.SHARES)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def pools(monkeypatch: pytest.MonkeyPatch) -> list[urllib3.PoolManager]:
    """Every connection pool the tool opens, so that ``inspector_api`` can close their
    kept-alive connections (a failed command's traceback may hold one open)."""
    real = urllib3.PoolManager

    def kept(*args: Any, **kwargs: Any) -> urllib3.PoolManager:
        pool = real(*args, **kwargs)
        OPENED.append(pool)
        return pool

    monkeypatch.setattr(urllib3, "PoolManager", kept)
    return OPENED


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    """The service's own store (and the test institution's: its grants are written there)."""
    return LocalStorage(tmp_path / "store")


@contextlib.contextmanager
def inspector_api(store: LocalStorage, keyring: Path) -> Iterator[str]:
    """The self-hosted service on a free port with the inspector API on; yields its URL as the
    tool names it."""
    settings = Settings(f"local:{store.root}", keyring, inspector_api=True)
    server = make_server(None, settings, port=0)
    with serving(server):
        try:
            yield f"wbs+http://127.0.0.1:{server.effective_port}"
        finally:
            while OPENED:  # no kept-alive connection holds the server's loop open
                close_pools(OPENED.pop())


def objects(root: Path) -> dict[str, bytes]:
    """Every object of a store or a cache under the folders both hold, by key."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for folder in OBJECT_FOLDERS
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def test_an_inspector_works_a_case_through_the_api_as_on_the_store_itself(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    # Given: two reports in the service's store, one with two files and a reporter's follow-up
    files = {"foto.jpg": os.urandom(1000), "scan.pdf": os.urandom(attachments.CHUNK + 7)}
    manifest = [
        upload(store, FIRST, file_id, name, files[name])
        for file_id, name in ((PHOTO, "foto.jpg"), (SCAN, "scan.pdf"))
    ]
    reporter = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    content = payload(
        attachments=manifest,
        reporter_public_key=reporter,
        reporter_signing_key=case_key_text(FIRST),
    )
    put(store, FIRST, inspector, content)
    put(store, SECOND, inspector)
    sent = datetime.datetime(2024, 3, 2, 8, 0, tzinfo=datetime.UTC)
    post_followup(store, FIRST, f"Bukti tambahan {CANARY}", sent, desk_keys())
    text = tmp_path / "balasan.txt"
    text.write_text(f"Terima kasih, kami periksa. {CANARY}\n", encoding="utf-8")
    keyring = Path(os.environ["WBS_KEYRING"])

    with inspector_api(store, keyring) as url:
        remote = ("--storage", url)
        # When: the inspector syncs, reads, replies, notes, moves the case and exports its files
        synced = wbs("inbox", "sync", *remote)
        assert synced.exit_code == 0, synced.output
        assert "2 new reports" in synced.output and "1 new message" in synced.output
        shown = wbs("inbox", "show", FIRST, *remote)
        assert shown.exit_code == 0, shown.output
        assert f"Bukti tambahan {CANARY}" in shown.output and "foto.jpg" in shown.output
        for command in (
            ("reply", FIRST, "--file", str(text)),
            ("note", FIRST, "--file", str(text)),
        ):
            done = wbs("inbox", *command, *remote)
            assert done.exit_code == 0, done.output
        moved = wbs("inbox", "status", FIRST, "dalam-investigasi", *remote)
        assert moved.exit_code == 0, moved.output
        out = tmp_path / "kasus"
        exported = wbs("inbox", "export", FIRST, "--to", str(out), *remote)
        assert exported.exit_code == 0, exported.output
        again = wbs("inbox", "sync", *remote)
        assert again.exit_code == 0, again.output

    # Then: the files come out whole, and what the inspector wrote is in the service's store
    for name, plain in files.items():
        assert (out / name).read_bytes() == plain
    stored = objects(store.root)
    written = [k for k in stored if k.startswith((f"notes/{FIRST}/", f"mailboxes/{FIRST}/"))]
    replies = [k for k in written if layout.sender(k) == "inspectorate"]
    notes = [k for k in written if layout.is_note(k)]
    assert len(replies) == 2  # the reply and the status change
    assert len(notes) >= 3  # the note, and the access records of show and export
    assert all(f"-{inspector.kid}-" in k for k in notes)
    # ... byte for byte what the tool cached, and what a run on the folder itself caches
    through_api = objects(Cache.for_storage(url).root)
    assert through_api == stored
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0  # WBS_STORAGE: the folder
    assert objects(Cache.for_storage(os.environ["WBS_STORAGE"]).root) == through_api


def test_the_storage_interface_holds_over_the_api(store: LocalStorage, inspector: Identity) -> None:
    # Given: the service, and the inspector's unlocked key
    keyring = Path(os.environ["WBS_KEYRING"])
    key = f"notes/{FIRST}/20240301T023000000000Z-{inspector.kid}-0badc0de.json"
    with inspector_api(store, keyring) as url:
        remote = RemoteStorage(url, lambda: inspector)
        # When / Then: create-only writes, reads, streams and sorted, paged listings
        remote.put_new(key, b'{"note": 1}', desks=["inspektorat"])
        assert store.get(key) == remote.get(key) == b'{"note": 1}'
        with pytest.raises(AlreadyExists):
            remote.put_new(key, b'{"note": 2}')
        assert store.get(key) == b'{"note": 1}'
        with pytest.raises(NotFound):
            remote.get(f"notes/{SECOND}/20240301T023000000000Z-{inspector.kid}-00000000.json")
        stream = remote.stream(key)
        assert stream.read(4) + stream.read(100) == b'{"note": 1}'
        stream.close()
        listed = [(i.key, i.size) for i in remote.list(layout.DESKS)]
        assert listed == [(i.key, i.size) for i in store.list(layout.DESKS)] and listed
        assert [i.key for i in remote.list("notes/")] == [key]
        remote.close()


def test_paged_listings_return_every_key_once_in_order(
    store: LocalStorage, inspector: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wbs import remote_storage

    monkeypatch.setattr(remote_storage, "PAGE_SIZE", 3)
    keys = [
        f"notes/{FIRST}/20240301T02300000000{i}Z-{inspector.kid}-0000000{i}.json" for i in range(8)
    ]
    for key in reversed(keys):
        store.put_new(key, b"{}")
    with inspector_api(store, Path(os.environ["WBS_KEYRING"])) as url:
        remote = RemoteStorage(url, lambda: inspector)
        assert [i.key for i in remote.list("notes/")] == keys
        remote.close()


def test_a_retired_key_gets_a_clear_error_and_a_hint(
    store: LocalStorage, inspector: Identity
) -> None:
    from tests.support.membership import Institution

    Institution.here().person(inspector, "Inspektur", active=False)
    with inspector_api(store, Path(os.environ["WBS_KEYRING"])) as url:
        result = wbs("inbox", "sync", "--storage", url)
    assert result.exit_code == 1
    assert "retired" in result.output and "hint: your key is retired" in result.output


def test_a_wrong_passphrase_sends_nothing(store: LocalStorage, inspector: Identity) -> None:
    with inspector_api(store, Path(os.environ["WBS_KEYRING"])) as url:
        result = wbs("inbox", "sync", "--storage", url, passphrase="salah")
    assert result.exit_code == 1 and "passphrase" in result.output
    assert not Cache.for_storage(url).ids()


@pytest.mark.parametrize(
    "url",
    [
        "wbs+http://wbs.example.go.id",  # plain http to another machine
        "wbs+https://wbs.example.go.id/wbs",  # a path: the API is at the root
        "wbs+https://inspektur:rahasia@wbs.example.go.id",
        "wbs+https://",
        "wbs+https://wbs.example.go.id:port",
    ],
)
def test_a_url_that_names_no_service_is_refused_up_front(url: str) -> None:
    with pytest.raises(ConfigError):
        RemoteStorage(url, keyfile.generate)
    result = wbs("inbox", "sync", "--storage", url, passphrase=None)
    assert result.exit_code == 1 and "wbs: error: storage URL" in result.output
    assert "hint:" in result.output


def test_the_service_itself_never_stores_through_an_api() -> None:
    settings = Settings("wbs+https://wbs.example.go.id", Path("keyring.json"))
    with pytest.raises(ConfigError, match="only the inspectors' tool"):
        settings.open_storage()


def test_an_unreachable_service_is_a_storage_error_with_a_hint(inspector: Identity) -> None:
    from tests.support.host import free_port

    remote = RemoteStorage(f"wbs+http://127.0.0.1:{free_port()}", lambda: inspector)
    with pytest.raises(StorageError) as caught:
        remote.get(f"reports/{FIRST}.json")
    assert "cannot reach" in str(caught.value) and caught.value.hint


@pytest.mark.slow  # builds the site and runs `wbs serve` in its own process: about 3 s
def test_wbs_serve_gives_the_api_the_keyring_of_the_site_it_serves(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    from tests.support.host import wbs_serve

    put(store, FIRST, inspector)
    env = {
        **os.environ,
        "WBS_INSPECTOR_API": "on",
        "WBS_STORAGE": f"local:{store.root}",
        "WBS_POW_DIFFICULTY": "0",
    }
    log = tmp_path / "serve.log"
    args = ["--keyring", os.environ["WBS_KEYRING"], "--site-out", str(tmp_path / "site")]
    with wbs_serve(args, env, log) as base:
        synced = wbs("inbox", "sync", "--storage", "wbs+" + base)
        refused = wbs(
            "inbox", "sync", "--storage", "wbs+" + base, "--key", str(_stranger(tmp_path))
        )
    assert synced.exit_code == 0, synced.output
    assert "1 new report" in synced.output
    assert refused.exit_code == 1 and "not in the keyring" in refused.output
    text = log.read_text()
    assert '"error":"unknown_key"' in text.replace(" ", "")  # the kind of the refusal, only
    for secret in (inspector.kid, FIRST, "/inspector/", "python-urllib3"):
        assert secret not in text


def _stranger(tmp_path: Path) -> Path:
    """A key file of someone the keyring does not list, with the test's passphrase."""
    from tests.support.inbox import PASSPHRASE

    path = tmp_path / "stranger.key"
    keyfile.create(path, keyfile.generate(), PASSPHRASE, "Orang lain")
    return path


def test_the_workbench_syncs_through_the_api_with_its_unlocked_key(
    store: LocalStorage, inspector: Identity, home: Path
) -> None:
    from tests.support.workbench import ADDRESS, Client, key_file
    from wbs import config
    from wbs.workbench.app import Config, Workbench
    from wbs.workbench.guard import Guard
    from wbs.workbench.session import Session

    put(store, FIRST, inspector)
    keyring = Path(os.environ["WBS_KEYRING"])
    with inspector_api(store, keyring) as url:
        # Given: the workbench, its storage signed with its session's key (as `wbs workbench
        # --storage URL` opens it: wbs/commands/workbench.py)
        session = Session(key_file(home), 900)
        opener = partial(RemoteStorage, signer=session.signing_identity)
        configured = Settings(url, keyring, remote=opener)
        app = Workbench(
            Config(key_file(home), url, configured.open_storage, keyring, config.load(None)),
            Guard(ADDRESS, 41234),
            session,
        )
        # When: locked, storage refuses to sign; unlocked, "Sync now" fetches the report
        with pytest.raises(StorageError, match="the key is locked"):
            list(configured.open_storage().list(layout.REPORTS))
        client = Client(app)
        client.enter()
        assert client.post("/unlock", {"passphrase": PASSPHRASE}).status == 303
        client.sync()
    # Then
    assert Cache.for_storage(url).ids() == [FIRST]


def test_a_desk_member_is_added_through_the_api_with_one_passphrase(
    store: LocalStorage, inspector: Identity
) -> None:
    from tests.support.membership import Institution

    # Given: a colleague in the keyring who is no member of the desk yet
    colleague = keyfile.generate()
    Institution.here().person(colleague, "Inspektur II")
    with inspector_api(store, Path(os.environ["WBS_KEYRING"])) as url:
        # When: the inspector grants the desk through the API (one passphrase line typed)
        added = wbs(
            "desks", "add-member", "--desk=inspektorat", f"--member={colleague.kid}",
            "--storage", url,
        )  # fmt: skip
    # Then: the grant is in the service's store, and the colleague reads the desk with it
    assert added.exit_code == 0, added.output
    grants = [i.key for i in store.list(layout.desk_grants("inspektorat"))]
    assert layout.desk_grant("inspektorat", 1, colleague.kid) in grants
    assert Institution.here().members_of(colleague)


def test_a_service_without_the_api_is_named_with_the_setting_that_turns_it_on(
    store: LocalStorage, inspector: Identity
) -> None:
    settings = Settings(f"local:{store.root}", Path(os.environ["WBS_KEYRING"]))  # API off
    server = make_server(None, settings, port=0)
    with serving(server):
        result = wbs("inbox", "sync", "--storage", f"wbs+http://127.0.0.1:{server.effective_port}")
        while OPENED:
            close_pools(OPENED.pop())
    assert result.exit_code == 1
    assert "not as an inspector API" in result.output and "WBS_INSPECTOR_API=on" in result.output


def test_a_private_ca_is_taken_from_wbs_ca_bundle_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WBS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/requests.pem")
    remote = RemoteStorage.from_env("wbs+https://wbs.example.go.id", keyfile.generate)
    assert remote._pool.connection_pool_kw["ca_certs"] == "/etc/ssl/requests.pem"
    monkeypatch.setenv("WBS_CA_BUNDLE", "/etc/wbs/ca.pem")
    remote = RemoteStorage.from_env("wbs+https://wbs.example.go.id", keyfile.generate)
    assert remote._pool.connection_pool_kw["ca_certs"] == "/etc/wbs/ca.pem"
    assert remote._pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"


@pytest.mark.slow  # the service started as systemd starts it: its own process, a site build
def test_the_service_as_systemd_starts_it_serves_inspectors(
    inspector: Identity, tmp_path: Path
) -> None:
    from tests import test_selfhost as selfhost

    # Given: the unit's ExecStart= with wbs.env, the API turned on as docs/self-hosting.md says
    keyring = Path(os.environ["WBS_KEYRING"])
    base = tmp_path / "service"
    base.mkdir()
    turned_on = {**selfhost.overrides(keyring), "WBS_INSPECTOR_API": "on"}
    running = selfhost.start(base, turned_on, selfhost.env_file())
    try:
        root = Path(running.env["WBS_STORAGE"].removeprefix("local:"))
        put(LocalStorage(root), FIRST, inspector)
        # When: an inspector syncs from it
        synced = wbs("inbox", "sync", "--storage", f"wbs+http://127.0.0.1:{running.port}")
    finally:
        selfhost.stop(running.process)
    # Then
    assert synced.exit_code == 0, synced.output
    assert "1 new report" in synced.output
    assert inspector.kid not in running.log.read_text()


@pytest.mark.slow  # runs Debian's nginx and Caddy with the shipped configs
@pytest.mark.parametrize("name", ["nginx", "caddy"])
def test_the_shipped_proxies_pass_signed_requests_through_verified_tls(
    name: str, store: LocalStorage, inspector: Identity, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from tests.support import proxies

    if proxies.missing():
        pytest.skip(f"{', '.join(proxies.missing())} not installed: {proxies.INSTALL}")
    key = f"notes/{FIRST}/20240301T023000000000Z-{inspector.kid}-0badc0de.json"
    settings = Settings(f"local:{store.root}", Path(os.environ["WBS_KEYRING"]), inspector_api=True)
    server = make_server(None, settings, port=0)
    start = proxies.nginx if name == "nginx" else proxies.caddy
    with serving(server), start(tmp_path / name, server.effective_port) as proxy:
        url = "wbs+" + proxy.origin
        # Without the service's CA, TLS is refused before anything is sent
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("WBS_CA_BUNDLE", raising=False)
        with pytest.raises(StorageError, match="cannot reach"):
            list(RemoteStorage.from_env(url, lambda: inspector).list(layout.REPORTS))
        # With it (WBS_CA_BUNDLE), the path, query and signature headers arrive unchanged
        monkeypatch.setenv("WBS_CA_BUNDLE", str(tmp_path / name / "fullchain.pem"))
        remote = RemoteStorage.from_env(url, lambda: inspector)
        remote.put_new(key, b'{"note": 1}', desks=["inspektorat"])
        assert remote.get(key) == store.get(key) == b'{"note": 1}'
        assert [i.key for i in remote.list(f"notes/{FIRST}/")] == [key]
        remote.close()
