"""Issue 16 (3): the site is replaced whole (wbs/build/output.py) and `wbs serve` builds it
again when its keyring or config changes (wbs/rebuild.py), so that the page and the API's
copies of the keyring and routing rules change together."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from functions import keyring as keyrings
from tests.support.api import write_keyring
from tests.support.site import build_site
from wbs.build.output import KEYRING_COPY, MARKER, write_output
from wbs.rebuild import Rebuilder

FIRST, SECOND = (bytes(PrivateKey.generate().public_key) for _ in range(2))


def make_keyring(path: Path, rotated: bool = False) -> None:
    """Desk inspektorat at its first generation or, ``rotated``, at its second."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if rotated:
        write_keyring(path, [SECOND], inactive=[FIRST])
    else:
        write_keyring(path, [FIRST])


def test_the_api_gets_the_very_keyring_the_page_was_built_from(tmp_path: Path) -> None:
    ring = tmp_path / "keys" / "keyring.json"
    make_keyring(ring)
    site = build_site(ring, tmp_path / "site")
    assert (site / KEYRING_COPY).read_bytes() == ring.read_bytes()
    assert keyrings.load_active(site / KEYRING_COPY) == keyrings.load_active(ring)


def test_a_new_build_replaces_the_old_one_whole_while_it_is_read(tmp_path: Path) -> None:
    out = tmp_path / "site"
    versions = [
        {MARKER: b"m", "index.html": b"one", "a/b.js": b"1"},
        {MARKER: b"m", "index.html": b"two", "a/b.js": b"2"},
    ]
    write_output(out, versions[0])
    seen: list[tuple[bytes, bytes] | str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.append(((out / "index.html").read_bytes(), (out / "a" / "b.js").read_bytes()))
            except OSError as exc:
                seen.append(type(exc).__name__)

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(60):
        write_output(out, versions[n % 2])
    done.set()
    reader.join()
    # Never a moment without the site, and nothing left beside it
    assert all(isinstance(s, tuple) for s in seen), {s for s in seen if isinstance(s, str)}
    assert {s[0] for s in seen if isinstance(s, tuple)} <= {b"one", b"two"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (out / "index.html").read_bytes() == b"two"


def test_a_folder_that_is_no_build_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    with pytest.raises(Exception, match="not a previous build"):
        write_output(out, {MARKER: b"m"})
    assert (out / "thesis.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_the_site_is_built_again_when_the_keyring_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ring = tmp_path / "keys" / "keyring.json"
    make_keyring(ring)
    out = tmp_path / "site"
    builds: list[int] = []

    def rebuild() -> None:
        build_site(ring, out)
        builds.append(1)

    watcher = Rebuilder((ring,), rebuild)
    rebuild()
    assert watcher.check() is False and len(builds) == 1  # nothing changed

    make_keyring(ring, rotated=True)
    assert watcher.check() is True and len(builds) == 2
    assert (out / KEYRING_COPY).read_bytes() == ring.read_bytes()
    assert "rebuilt" in capsys.readouterr().err


def test_a_keyring_the_build_refuses_leaves_the_served_site_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ring = tmp_path / "keys" / "keyring.json"
    make_keyring(ring)
    out = build_site(ring, tmp_path / "site")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    watcher = Rebuilder((ring,), lambda: build_site(ring, out))

    ring.write_text("{ not json")
    assert watcher.check() is False
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    err = capsys.readouterr().err
    assert "the site was not rebuilt, the previous one is still served" in err
    assert "not valid JSON" in err
    assert watcher.check() is False  # not tried again until the file changes again
