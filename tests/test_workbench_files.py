"""Evidence files in the workbench: decrypted in memory and shown in the page when their
type is on the short list (images, audio, video, PDF); everything else is a download that
cannot run on the workbench's origin. In-process, then once in Chromium."""

from __future__ import annotations

import base64
import html
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import FIRST, PASSPHRASE, add_inspector_key, payload, put, upload
from tests.support.workbench import Client, in_chromium, key_file, workbench
from wbs import attachments
from wbs.crypto import Identity

PHOTO, PAGE, DRAWING = "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4", "0123456789ABCDEF"
HOSTILE = b"<html><script>alert(document.cookie)</script></html>"


def png(width: int = 3, height: int = 2) -> bytes:
    """A real PNG (red pixels), so that the browser can decode it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def store(tmp_path: Path, home: Path) -> LocalStorage:
    """A report with a photo, an HTML page and an SVG drawing (both typed as what they are)."""
    inspector: Identity = add_inspector_key()
    store = LocalStorage(tmp_path / "store")
    manifest = [
        upload(store, FIRST, PHOTO, "foto bukti.png", png(), "image/png"),
        upload(store, FIRST, PAGE, "halaman.html", HOSTILE, "text/html"),
        upload(store, FIRST, DRAWING, "gambar.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"),
    ]
    reporter = base64.b64encode(bytes(32)).decode()
    put(store, FIRST, inspector, payload(attachments=manifest, reporter_public_key=reporter))
    return store


@pytest.fixture
def client(home: Path, store: LocalStorage) -> Client:
    client = Client(workbench(key_file(home), store))
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    client.sync()
    return client


def test_an_image_is_shown_from_memory_byte_for_byte(client: Client) -> None:
    page = client.get(f"/case/{FIRST}").body
    assert f'<img class="evidence" src="/case/{FIRST}/file/{PHOTO}"' in page

    answer = client.get(f"/case/{FIRST}/file/{PHOTO}")

    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"] == "inline; filename*=UTF-8''foto%20bukti.png"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.data == png()


def test_files_of_other_types_are_downloads_that_cannot_run_here(client: Client) -> None:
    page = client.get(f"/case/{FIRST}").body
    assert f'src="/case/{FIRST}/file/{PAGE}"' not in page
    assert f'src="/case/{FIRST}/file/{DRAWING}"' not in page
    for file_id in (PAGE, DRAWING):
        answer = client.get(f"/case/{FIRST}/file/{file_id}")
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"].startswith("attachment;")
    download = client.get(f"/case/{FIRST}/file/{PHOTO}?download=1")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")


def test_a_tampered_or_unknown_file_is_refused_with_its_reason(
    client: Client, store: LocalStorage
) -> None:
    path = store.root / "attachments" / FIRST / PHOTO
    data = bytearray(path.read_bytes())
    data[60] ^= 1
    path.chmod(0o600)
    path.write_bytes(bytes(data))

    answer = client.get(f"/case/{FIRST}/file/{PHOTO}")

    assert answer.status == 303 and answer.headers["location"] == f"/case/{FIRST}"
    page = html.unescape(client.follow(answer).body)
    assert "Berkas bukti ini tidak dapat dibuka" in page and "authenticate" not in page
    assert client.get(f"/case/{FIRST}/file/ZZZZZZZZZZZZZZZZ").status == 404


def test_a_range_of_a_file_is_answered_with_just_those_bytes(client: Client) -> None:
    here, plain = f"/case/{FIRST}/file/{PHOTO}", png()
    total = len(plain)
    whole = client.get(here)
    assert whole.status == 200 and whole.headers["accept-ranges"] == "bytes"

    for header, first, last in (
        ("bytes=10-19", 10, 19),
        ("bytes=10-", 10, total - 1),
        ("bytes=-7", total - 7, total - 1),
        ("bytes=0-999999", 0, total - 1),
    ):
        answer = client.get(here, headers={"Range": header})

        assert answer.status == 206, header
        assert answer.data == plain[first : last + 1]
        assert answer.headers["content-range"] == f"bytes {first}-{last}/{total}"
        assert answer.headers["content-length"] == str(last + 1 - first)
        assert answer.headers["content-type"] == "image/png"
        assert answer.headers["accept-ranges"] == "bytes"
        assert answer.headers["cache-control"] == "no-store"


def test_a_range_outside_the_file_is_refused_without_its_bytes(client: Client) -> None:
    total = len(png())

    answer = client.get(f"/case/{FIRST}/file/{PHOTO}", headers={"Range": f"bytes={total}-"})

    assert answer.status == 416
    assert answer.headers["content-range"] == f"bytes */{total}"
    assert answer.data == b"" and answer.headers["content-length"] == "0"


def test_several_ranges_a_malformed_one_or_an_if_range_get_the_whole_file(
    client: Client,
) -> None:
    here = f"/case/{FIRST}/file/{PHOTO}"
    for headers in (
        {"Range": "bytes=0-1,4-5"},
        {"Range": "bytes=9-2"},
        {"Range": "lines=1-2"},
        {"Range": "bytes=0-1", "If-Range": '"some-etag"'},  # no validator of ours matches
    ):
        answer = client.get(here, headers=headers)

        assert answer.status == 200, headers
        assert answer.data == png() and "content-range" not in answer.headers


def test_head_answers_the_headers_of_the_file_without_its_bytes(client: Client) -> None:
    here = f"/case/{FIRST}/file/{PHOTO}"
    for headers in ({}, {"Range": "bytes=0-3"}):  # a Range is for GET only (RFC 9110)
        answer = client.request("HEAD", here, headers=headers)

        assert answer.status == 200
        assert answer.headers["content-length"] == str(len(png()))
        assert answer.headers["accept-ranges"] == "bytes"
        assert answer.data == b""


def test_the_range_requests_of_a_seek_decrypt_the_file_once_and_the_lock_drops_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    decrypted: list[str] = []
    real = attachments.decrypt

    def counting(*args: Any, **kwargs: Any) -> Any:
        decrypted.append(args[3].id)  # (source, sink, report_id, entry, name)
        return real(*args, **kwargs)

    monkeypatch.setattr(attachments, "decrypt", counting)
    photo, page = f"/case/{FIRST}/file/{PHOTO}", f"/case/{FIRST}/file/{PAGE}"

    first = client.get(photo, headers={"Range": "bytes=0-"})
    second = client.get(photo, headers={"Range": "bytes=20-29"})
    download = client.get(photo + "?download=1")

    assert [first.status, second.status, download.status] == [206, 206, 200]
    assert second.data == png()[20:30] and download.data == png()
    assert decrypted == [PHOTO]
    kept = client.app.session.file
    assert kept is not None and kept.data == png()
    # One file's plaintext at a time: another file takes its place
    assert client.get(page).data == HOSTILE
    assert client.get(photo, headers={"Range": "bytes=0-3"}).data == png()[:4]
    assert decrypted == [PHOTO, PAGE, PHOTO]

    client.post("/lock", {})

    assert client.app.session.file is None
    client.post("/unlock", {"passphrase": PASSPHRASE})
    assert client.get(photo, headers={"Range": "bytes=0-3"}).status == 206
    assert decrypted == [PHOTO, PAGE, PHOTO, PHOTO]


def test_a_file_kept_for_seeking_is_dropped_by_the_idle_lock(client: Client) -> None:
    session = client.app.session
    client.get(f"/case/{FIRST}/file/{PHOTO}", headers={"Range": "bytes=0-3"})
    assert session.file is not None

    session.clock = lambda: float("inf")  # long after the idle time
    session.expire()

    assert session.file is None and session.reader is None


@pytest.mark.browser
def test_chromium_shows_the_image_under_the_workbench_s_csp(
    browser: Any, home: Path, store: LocalStorage
) -> None:
    with in_chromium(browser, home, store) as (page, errors):
        page.click("#sync")
        page.wait_for_selector(f"tr[data-id='{FIRST}'] a")
        page.click(f"tr[data-id='{FIRST}'] a")
        image = page.wait_for_selector("img.evidence")
        page.wait_for_function("img => img.complete", arg=image)
        assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [3, 2]
        assert errors == []
