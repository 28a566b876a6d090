"""The site build (wbs/build/, run by build.py): languages, SRI, CSP, keyring, refusals."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nacl.public
import nacl.signing
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from functions.attachment_size import stored_size
from functions.keyring import KeyEntry, Keyring, KeyringError, dump, grouped, load
from functions.uploads import Limits
from tests.support.desks import add_desks
from wbs import build
from wbs.config import ConfigFileError
from wbs.config.site import LANGUAGES

PAGES = ("index.html", "en/index.html", "status/index.html", "en/status/index.html")
LANGS = ("id", "en", "id", "en")
SVG_NAMESPACE = b'xmlns="http://www.w3.org/2000/svg"'  # a name, never fetched


def make_keyring(path: Path, count: int = 2) -> Keyring:
    """``count`` inspectors, the desk ``inspektorat`` and the recovery key."""
    ring = Keyring()
    for n in range(count):
        public = bytes(nacl.public.PrivateKey.generate().public_key)
        ring = ring.with_key(KeyEntry.for_public_key(public, f"Inspektur Test {n}", "2026-11-28"))
    dump(ring, path)
    add_desks(path)
    return load(path)


def embedded(page: Path, element: str = "wbs-keys") -> Any:
    """The JSON of a page's data block."""
    found = re.search(
        rf'<script type="application/json" id="{element}">(.*?)</script>', page.read_text()
    )
    assert found is not None, (page, element)
    return json.loads(found[1])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keyring]:
    tmp = tmp_path_factory.mktemp("build")
    ring = make_keyring(tmp / "keys" / "keyring.json")
    build.build(keyring=tmp / "keys" / "keyring.json", out=tmp / "site")
    return tmp / "site", ring


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the text of inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def parse(page: Path) -> Tags:
    tags = Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def asset(site: Path, href: str | None) -> bytes:
    assert href is not None and href.startswith("/assets/")
    return (site / href.lstrip("/")).read_bytes()


def test_every_page_is_rendered_in_every_language(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    for page, lang in zip(PAGES, LANGS, strict=True):
        text = (site / page).read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in text
    assert "Laporkan dugaan pelanggaran" in (site / "index.html").read_text(encoding="utf-8")
    assert "Report a suspected violation" in (site / "en/index.html").read_text(encoding="utf-8")
    assert "<h1>Cek Status Laporan</h1>" in (site / "status/index.html").read_text(encoding="utf-8")
    en_status = (site / "en/status/index.html").read_text(encoding="utf-8")
    assert "<h1>Check report status</h1>" in en_status


@pytest.mark.parametrize(
    ("page", "sections", "languages"),
    [
        ("index.html", ["/", "/status/"], ["/", "/en/"]),
        ("en/index.html", ["/en/", "/en/status/"], ["/", "/en/"]),
        ("status/index.html", ["/", "/status/"], ["/status/", "/en/status/"]),
        ("en/status/index.html", ["/en/", "/en/status/"], ["/status/", "/en/status/"]),
    ],
)
def test_the_header_links_both_pages_and_the_same_page_in_each_language(
    built: tuple[Path, Keyring], page: str, sections: list[str], languages: list[str]
) -> None:
    site, _ = built
    tags = parse(site / page)
    links = [a for t, a in tags.tags if t == "a"]
    assert [a["href"] for a in links[:4]] == [*sections, *languages]
    current = [a["href"] for a in links[:4] if a.get("aria-current") == "page"]
    here = "/" + page.removesuffix("index.html")
    assert current == [here, here]


def test_the_status_page_has_the_code_field_and_status_labels(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    tags = parse(site / "status/index.html")
    (code,) = [a for t, a in tags.tags if t == "input" and a.get("id") == "code"]
    assert code["autocomplete"] == "off" and code["spellcheck"] == "false"
    assert code["autocapitalize"] == "characters"
    statuses = [a["data-status"] for t, a in tags.tags if t == "li" and "data-status" in a]
    assert statuses == [
        "menunggu-verifikasi",
        "sedang-diverifikasi",
        "perlu-informasi-tambahan",
        "dalam-proses",
        "dalam-investigasi",
        "diteruskan",
        "selesai",
        "ditolak",
    ]
    text = (site / "en/status/index.html").read_text(encoding="utf-8")
    assert '<li data-status="perlu-informasi-tambahan"' in text
    assert ">More information needed</li>" in text


def test_every_script_and_stylesheet_has_matching_integrity(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    for page in PAGES:
        tags = parse(site / page)
        scripts = [a for t, a in tags.tags if t == "script" and "src" in a]
        links = [a for t, a in tags.tags if t == "link" and a["rel"] != "icon"]
        assert [a["type"] for a in scripts] == ["module"]
        assert {a["rel"] for a in links} == {"stylesheet", "modulepreload"}
        for attrs in scripts + links:
            assert attrs["integrity"] == sri(asset(site, attrs.get("src") or attrs.get("href")))


SHARED_MODULES = {
    "/assets/js/api.mjs",
    "/assets/js/desk-list.mjs",
    "/assets/js/envelope.mjs",
    "/assets/js/keyring.mjs",
    "/assets/js/pending.mjs",
    "/assets/js/pow-client.mjs",
    "/assets/js/receipt-client.mjs",
    "/assets/js/send.mjs",
    "/assets/js/sodium.mjs",
    "/assets/js/waiting.mjs",  # the steps of a long wait, and their progress
    "/assets/js/xwing-loader.mjs",  # small; xwing.mjs and noble only at send (not preloaded)
    "/assets/js/vendor/libsodium-wrappers.mjs",
    "/assets/js/vendor/libsodium-sumo.mjs",
}


@pytest.mark.parametrize(
    ("page", "entry", "own"),
    [
        (
            "index.html",
            "/assets/js/app.mjs",
            {
                "/assets/js/receipt.mjs",
                "/assets/js/receipt-panel.mjs",
                "/assets/js/report-form.mjs",
                "/assets/js/routing.mjs",
                "/assets/js/office-filter.mjs",
                "/assets/js/attachment.mjs",
                "/assets/js/evidence.mjs",
                "/assets/js/uploads.mjs",
            },
        ),
        (
            "en/status/index.html",
            "/assets/js/status.mjs",
            {
                "/assets/js/case-view.mjs",
                "/assets/js/receipt.mjs",  # a code's length, checked before the derivation
                "/assets/js/signature.mjs",  # signs follow-ups, checks the replies
                "/assets/js/thread.mjs",
                "/assets/js/attachment.mjs",
                "/assets/js/evidence.mjs",
                "/assets/js/uploads.mjs",
            },
        ),
    ],
)
def test_every_module_of_the_import_graph_is_preloaded_with_integrity(
    built: tuple[Path, Keyring], page: str, entry: str, own: set[str]
) -> None:
    site, _ = built
    tags = parse(site / page).tags
    preloaded = {
        a["href"] for t, a in tags if t == "link" and a["rel"] == "modulepreload" and a["integrity"]
    }
    assert preloaded == SHARED_MODULES | own
    assert [a["src"] for t, a in tags if t == "script" and "src" in a] == [entry]
    # The worker is started, not imported: it is not preloaded (it could not use it).
    assert "/assets/js/receipt-worker.mjs" not in preloaded
    assert "/assets/js/upload-worker.mjs" not in preloaded
    assert "/assets/js/pow-worker.mjs" not in preloaded
    # xwing.mjs is imported only when a message goes to a hybrid desk (xwing-v1 8.8)
    assert not {m for m in preloaded if m.endswith("/xwing.mjs") or "/noble/" in m}
    wrappers = (site / "assets/js/vendor/libsodium-wrappers.mjs").read_bytes()
    assert b'from"./libsodium-sumo.mjs"' in wrappers
    assert b'"libsodium-sumo"' not in wrappers


def test_the_receipt_worker_and_everything_it_imports_are_built(
    built: tuple[Path, Keyring],
) -> None:
    site, _ = built
    worker = (site / "assets/js/receipt-worker.mjs").read_bytes()
    assert b"from './vendor/libsodium-wrappers.mjs'" in worker
    assert b"from './receipt.mjs'" in worker
    for module in ("receipt.mjs", "vendor/libsodium-wrappers.mjs", "vendor/libsodium-sumo.mjs"):
        assert (site / "assets/js" / module).is_file()
    manifest = json.loads((site / build.MANIFEST).read_text())["files"]
    assert manifest["assets/js/receipt-worker.mjs"] == hashlib.sha256(worker).hexdigest()
    client = (site / "assets/js/receipt-client.mjs").read_text()
    assert (
        "new Worker(new URL('./receipt-worker.mjs', import.meta.url), { type: 'module' })" in client
    )


def test_a_worker_that_imports_a_missing_module_is_refused(
    built: tuple[Path, Keyring], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site, _ = built
    assets = build.static_assets()
    assets.update(build.vendor_modules(build.NODE_MODULES))
    assets["assets/js/receipt-worker.mjs"] += b"\nimport './missing.mjs';\n"
    monkeypatch.setattr(build, "static_assets", lambda: dict(assets))
    refused(
        tmp_path,
        "receipt-worker.mjs imports ./missing.mjs",
        keyring=site.parent / "keys" / "keyring.json",
    )


@pytest.mark.parametrize("page", PAGES)
def test_csp_and_referrer_policy_are_in_the_page(built: tuple[Path, Keyring], page: str) -> None:
    site, _ = built
    metas = [a for t, a in parse(site / page).tags if t == "meta"]
    csp = next(a["content"] for a in metas if a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "form-action 'none'" in csp
    assert "frame-ancestors" not in csp  # meta tags ignore it; the HTTP header carries it
    assert {"name": "referrer", "content": "no-referrer"} in metas


def test_no_inline_script_or_style_and_no_other_origin(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    for page in PAGES:
        tags = parse(site / page)
        # JSON data blocks only: a browser never runs them, whatever the CSP says
        blocks = [a for t, a in tags.tags if t == "script" and "src" not in a]
        assert [a["type"] for a in blocks] == ["application/json"] * len(blocks)
        assert len(tags.inline_scripts) == len(blocks)
        for data in tags.inline_scripts:
            json.loads(data)
            assert "<" not in data
        for tag, attrs in tags.tags:
            assert tag != "style"
            assert "style" not in attrs
            assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes().replace(SVG_NAMESPACE, b"")
            assert b"http://" not in data and b"https://" not in data, path


def test_the_desks_and_the_recovery_key_are_embedded(built: tuple[Path, Keyring]) -> None:
    site, ring = built
    assert ring.recovery is not None
    desk = ring.desk("inspektorat")
    for page, lang in zip(PAGES, LANGS, strict=True):
        # What the page seals to: the desk's active key, named in the page's language, and
        # the recovery key
        keys = embedded(site / page)
        name = "Inspektorat" if lang == "id" else "Inspectorate"
        assert keys["desks"] == {"inspektorat": {"name": name, "public_key": desk.public_key}}
        assert keys["recovery"] == {
            "label": ring.recovery.label,
            "public_key": ring.recovery.public_key,
        }
        # And what people compare: the desk's and the recovery key's fingerprints
        text = (site / page).read_text(encoding="utf-8")
        assert text.count(grouped(desk.fingerprint)) == (1 if "status" not in page else 0)
        assert text.count(grouped(ring.recovery.fingerprint)) == 1
        # No person's key is one the page seals to
        assert all(k.public_key not in text for k in ring.keys)


def test_signing_keys_are_embedded_retired_ones_too(tmp_path: Path) -> None:
    # Given a keyring: an upgraded key, a key made before keys could sign, a retired signer
    ring = make_keyring(tmp_path / "keys" / "keyring.json", count=3)
    signing = [bytes(nacl.signing.SigningKey.generate().verify_key) for _ in range(2)]
    upgraded, _, retired = ring.keys
    ring = ring.with_signing_key(upgraded.kid, signing[0])
    ring = ring.with_signing_key(retired.kid, signing[1]).with_active(retired.kid, False)
    dump(ring, tmp_path / "keys" / "keyring.json")
    # When the site is built
    build.build(keyring=tmp_path / "keys" / "keyring.json", out=tmp_path / "site")
    # Then every page embeds each person's signing key, a retired one's too (what they
    # signed stays theirs), and not the recovery key's, which signs no reply
    for page in PAGES:
        assert embedded(tmp_path / "site" / page)["signers"] == {
            upgraded.kid: base64.b64encode(signing[0]).decode(),
            retired.kid: base64.b64encode(signing[1]).decode(),
        }


def test_categories_come_from_the_config(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    text = html.unescape((site / "en/index.html").read_text(encoding="utf-8"))
    assert '<option value="pungutan-liar">Illegal levies</option>' in text
    text = (site / "index.html").read_text(encoding="utf-8")
    assert '<option value="pungutan-liar">Pungutan Liar</option>' in text


def test_every_message_is_translated_in_both_catalogues() -> None:
    options = {"trimmed": "true", "silent": "false"}
    msgids = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(build.SITE),
            method_map=[("templates/**.html", "jinja2")],
            options_map={"templates/**.html": options},
        )
    }
    assert len(msgids) > 50
    for lang in LANGUAGES:
        with (build.SITE / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        assert not [m.id for m in catalog if m.id and m.fuzzy], lang
        for msgid in msgids:
            message = catalog.get(msgid)
            assert message is not None and message.string, (lang, msgid)


def test_the_manifest_lists_every_file_with_its_sum(built: tuple[Path, Keyring]) -> None:
    site, _ = built
    files = json.loads((site / build.MANIFEST).read_text())["files"]
    on_disk = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert sorted([*files, build.MANIFEST]) == on_disk
    for path, digest in files.items():
        assert hashlib.sha256((site / path).read_bytes()).hexdigest() == digest


def test_two_builds_are_byte_identical(built: tuple[Path, Keyring], tmp_path: Path) -> None:
    site, _ = built
    again = tmp_path / "again"
    build.build(keyring=site.parent / "keys" / "keyring.json", out=again)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first == second
    build.build(keyring=site.parent / "keys" / "keyring.json", out=again)  # replaces its own


# -- refusals: a clear message, and nothing written ---------------------------------------------


def refused(
    tmp_path: Path,
    match: str,
    *,
    keyring: Path,
    config: Path = build.DEFAULT_CONFIG,
    error: type[Exception] = build.BuildError,
) -> None:
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        build.build(keyring=keyring, out=out, config=config)
    assert not out.exists()


def test_a_keyring_without_desks_is_refused(tmp_path: Path) -> None:
    # Given keyrings of persons only (format 2 and 3), or of nothing
    dump(Keyring(), tmp_path / "keyring.json")
    refused(tmp_path, "no desk", keyring=tmp_path / "keyring.json", error=KeyringError)
    public = bytes(nacl.public.PrivateKey.generate().public_key)
    person = dataclasses.asdict(KeyEntry.for_public_key(public, "Inspektur", "2026-11-28"))
    del person["xwing_key"]  # wbs-keyring/4's member
    (tmp_path / "keyring.json").write_text(
        json.dumps({"format": "wbs-keyring/2", "keys": [person]})
    )
    refused(tmp_path, "no desk", keyring=tmp_path / "keyring.json", error=KeyringError)


def test_a_desk_of_the_config_without_a_key_is_refused(tmp_path: Path) -> None:
    # Given a keyring with the desk inspektorat, and a config that names another desk too
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "config.toml").write_text(
        VALID_START
        + "[[desks]]\nid = 'inspektorat'\nname = {id = 'I', en = 'I'}\n"
        + "[[desks]]\nid = 'jabar'\nname = {id = 'J', en = 'J'}\n"
    )
    # Then the build refuses to make a page that could not seal to it
    refused(
        tmp_path,
        r"config.toml: desks\[2\] 'jabar' has no active key in .*keyring.json",
        keyring=tmp_path / "keyring.json",
        config=tmp_path / "config.toml",
    )


def test_a_keyring_with_private_material_is_refused(tmp_path: Path) -> None:
    make_keyring(tmp_path / "keyring.json")
    text = (tmp_path / "keyring.json").read_text()
    (tmp_path / "keyring.json").write_text(text.replace("Test 0", "wbs-private-key"))
    refused(tmp_path, "private material", keyring=tmp_path / "keyring.json", error=KeyringError)


def test_a_private_key_beside_the_keyring_is_refused(tmp_path: Path) -> None:
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "inspektur.key").write_text("wbs-private-key/1\n...")
    refused(tmp_path, "inspektur.key .*looks like a private key", keyring=tmp_path / "keyring.json")


VALID_START = "[institution]\nname = 'X'\n[[categories]]\nid = 'ok'\nlabel = {id = 'a', en = 'b'}\n"


def test_a_keyring_without_the_default_desk_is_refused(tmp_path: Path) -> None:
    # Given a config without [[desks]] (one desk, inspektorat) and a keyring whose desk is
    # another
    add_desks(tmp_path / "keyring.json", ["pusat"])
    # Then the build names the default desk
    refused(
        tmp_path,
        "the config's default desk 'inspektorat' has no active key",
        keyring=tmp_path / "keyring.json",
    )


def test_the_upload_limits_of_the_config_are_what_the_page_checks_and_says(
    tmp_path: Path,
) -> None:
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "config.toml").write_text(
        VALID_START
        + "[uploads]\nmax_file_size = '600 MiB'\nmax_files = 3\nmax_case_size = '1 GiB'\n"
    )
    build.build(
        keyring=tmp_path / "keyring.json", out=tmp_path / "site", config=tmp_path / "config.toml"
    )
    for page, lang in [("index.html", "id"), ("en/status/index.html", "en")]:
        html = (tmp_path / "site" / page).read_text()
        field = re.search(r'<fieldset id="evidence-field"[^>]*>', html)
        assert field is not None
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', field[0]))
        # At most 600 MiB of plaintext: exactly what fits the server's object limit
        limits = Limits(max_object_bytes=stored_size(600 << 20, 1024))
        assert int(attrs["max-bytes"]) == limits.max_file_bytes >= 600 << 20
        assert (attrs["max-files"], attrs["max-case-bytes"]) == ("3", str(1 << 30))
        assert "600 MB" in attrs["msg-too-large"] and "1 GB" in attrs["msg-too-much"]
        assert "3" in attrs["msg-too-many"] and "20" not in attrs["msg-too-many"]
        assert "600 MB" in html.split("evidence-hint", 1)[1].split("</p>", 1)[0], lang


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_one_language_a_logo_and_the_contact_text_come_from_the_config(tmp_path: Path) -> None:
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "lambang.png").write_bytes(PNG)
    (tmp_path / "config.toml").write_text(
        "languages = ['en']\n"
        "[institution]\nname = 'Inspectorate'\nlogo = 'lambang.png'\n"
        "contact.en = 'Write to Jalan Contoh 1, Jakarta.'\n"
        "[[categories]]\nid = 'ok'\nlabel = {en = 'Corruption'}\n"
    )
    build.build(
        keyring=tmp_path / "keyring.json", out=tmp_path / "site", config=tmp_path / "config.toml"
    )
    site = tmp_path / "site"
    # English only, at /: no other language, and no language switch
    assert not (site / "en").exists() and not (site / "id").exists()
    page = (site / "index.html").read_text()
    assert '<html lang="en">' in page and 'class="languages"' not in page
    assert (site / "status" / "index.html").is_file()
    # The logo is in the site, shown in the header; the contact text at every page's foot
    assert (site / "assets/img/logo.png").read_bytes() == PNG
    assert '<img class="logo" src="/assets/img/logo.png" alt="">' in page
    for name in ("index.html", "status/index.html"):
        footer = (site / name).read_text().split('<footer class="site-footer">', 1)[1]
        assert "Write to Jalan Contoh 1, Jakarta." in footer
    assert "assets/img/logo.png" in json.loads((site / build.MANIFEST).read_text())["files"]


def test_without_contact_text_there_is_no_footer(
    built: tuple[Path, Keyring], tmp_path: Path
) -> None:
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "config.toml").write_text(VALID_START)
    build.build(
        keyring=tmp_path / "keyring.json", out=tmp_path / "site", config=tmp_path / "config.toml"
    )
    assert "site-footer" not in (tmp_path / "site" / "index.html").read_text()
    # while the project's own config has one, in both languages
    site, _ = built
    assert "Jalan Imam Bonjol" in (site / "index.html").read_text().split("site-footer", 1)[1]
    assert "Jalan Imam Bonjol" in (site / "en/index.html").read_text().split("site-footer", 1)[1]


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ("languages = ['id', 'fr']\n" + VALID_START, "languages must list"),
        ("languages = []\n" + VALID_START, "languages must list"),
        ("languages = ['en', 'en']\n" + VALID_START, "languages must list"),
        (VALID_START.replace("name = 'X'", "name = 'X'\nlogo = 'none.png'"), "institution.logo"),
        (VALID_START.replace("name = 'X'", "name = 'X'\nlogo = 'config.toml'"), "SVG or PNG"),
        (
            VALID_START.replace("name = 'X'", "name = 'X'\ncontact.id = 'a'"),
            "institution.contact.en",
        ),
        (VALID_START.replace("name = 'X'", "name = 'X'\ncontact = 'a'"), "institution.contact"),
        (
            VALID_START + "[deployment]\nstack_name = 'wbs'\nregion = 'mars-1'\n",
            "deployment.region",
        ),
        ("[institution]\nname = ''\n", "institution.name"),
        ("[institution]\nname = 'X'\n", "categories"),
        (
            "[institution]\nname = 'X'\n[[categories]]\nid = 'Bad Slug'\n"
            "label = {id = 'a', en = 'b'}\n",
            r"categories\[1\].id",
        ),
        (
            "[institution]\nname = 'X'\n[[categories]]\nid = 'ok'\nlabel = {id = 'a'}\n",
            r"categories\[1\].label.en",
        ),
        ("[institution]\nname = 'X'\ncolour = 'red'\n", "unknown field 'colour'"),
        (
            "[institution]\nname = 'X'\n[[categories]]\nid = 'ok'\n"
            "label = {id = 'a', en = 'b'}\n[deadlines]\nfeedback = {count = 3, unit = 'weeks'}\n",
            "deadlines.feedback",
        ),
        ("[institution\n", "not valid TOML"),
        (VALID_START + "[uploads]\nmax_file_size = '5 GB'\n", "uploads.max_file_size"),
        (VALID_START + "[uploads]\nmax_files = 0\n", "uploads.max_files"),
        (VALID_START + "[uploads]\npart_size = '1 MiB'\n", "uploads: the part size"),
        (VALID_START + "[uploads]\nmax_size = 5\n", "unknown field 'max_size'"),
    ],
)
def test_an_invalid_config_is_refused_naming_the_field(
    tmp_path: Path, toml: str, field: str
) -> None:
    make_keyring(tmp_path / "keyring.json")
    (tmp_path / "config.toml").write_text(toml)
    config = tmp_path / "config.toml"
    refused(
        tmp_path, field, keyring=tmp_path / "keyring.json", config=config, error=ConfigFileError
    )


def test_a_folder_that_is_not_a_previous_build_is_never_deleted(tmp_path: Path) -> None:
    make_keyring(tmp_path / "keys" / "keyring.json")
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    with pytest.raises(build.BuildError, match="not a previous build"):
        build.build(keyring=tmp_path / "keys" / "keyring.json", out=out)
    assert [p.name for p in out.iterdir()] == ["thesis.txt"]


def test_the_command_line_prints_one_error_line_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump(Keyring(), tmp_path / "keyring.json")
    code = build.main(["--keyring", str(tmp_path / "keyring.json"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert re.fullmatch(r"build\.py: error: .*no desk.*\(hint: .*wbs desks init.*\)\n", err)
