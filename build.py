#!/usr/bin/env python3
"""Build the reporting page: render site/ into static files with the keyring embedded.

    python build.py [--keyring keys/keyring.json] [--config site/config.toml] [--out dist/site]

Every page is rendered in every language (Bahasa Indonesia at /, English at /en/): the
report form and the reporter's status page (status/). libsodium is bundled from
site/node_modules; every script and stylesheet of a page carries Subresource Integrity, and
every page carries the Content-Security-Policy of functions/headers.py. Worker scripts
cannot carry integrity: the build checks that they and their imports are in the site. The
same inputs give byte-identical output, listed with SHA-256 sums in build-manifest.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from functions.errors import WbsError
from functions.headers import CONTENT_SECURITY_POLICY
from functions.keyring import PRIVATE_MARKERS, KeyEntry, load_active
from functions.uploads import Limits
from infra import settings as deployment
from wbs import config as wbs_config

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"
NODE_MODULES = SITE / "node_modules"
DEFAULT_KEYRING = ROOT / "keys" / "keyring.json"
DEFAULT_CONFIG = SITE / "config.toml"
DEFAULT_OUT = ROOT / "dist" / "site"

# The first language is the default, served at /; the others at /<code>/.
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
PAGE = "index.html"
ENTRY_MODULE = "assets/js/app.mjs"
STATUS_MODULE = "assets/js/status.mjs"
# Module workers, started by the pages' modules (new Worker(new URL(...))), not imported.
WORKERS = (
    "assets/js/receipt-worker.mjs",
    "assets/js/upload-worker.mjs",
    "assets/js/pow-worker.mjs",
)
STYLESHEET = "assets/css/site.css"
VENDOR = "assets/js/vendor/"
SODIUM_SPECIFIER = b'"libsodium-sumo"'
# Relative specifiers of static and dynamic imports (our modules and the vendored ones).
IMPORT_RE = re.compile(rb"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.\.?/[^"']+)["']""")
MARKER = ".wbs-site-build"
MARKER_TEXT = b"Made by build.py: the next build deletes this folder and writes it again.\n"
MANIFEST = "build-manifest.json"
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TEXT_RE = re.compile(r"[^\x00-\x1f\x7f]{1,120}")
LONG_TEXT_RE = re.compile(r"[^\x00-\x1f\x7f]{1,300}")
TABLES = {
    "institution",
    "languages",
    "categories",
    "deadlines",
    "uploads",
    "proof_of_work",
    "deployment",
}
MAX_LOGO_BYTES = 100 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEYS_FOLDER_SCAN_LIMIT = 1024 * 1024  # key files are tiny; skip anything larger


class BuildError(WbsError, ValueError):
    """The site cannot be built from these inputs; nothing was written."""


@dataclass(frozen=True)
class Category:
    id: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Page:
    name: str  # "report" or "status": the header's links mark the current one
    template: str
    path: str  # inside a language's folder
    entry: str  # the page's module


PAGES = (
    Page("report", "index.html", PAGE, ENTRY_MODULE),
    Page("status", "status.html", f"status/{PAGE}", STATUS_MODULE),
)


@dataclass(frozen=True)
class Logo:
    name: str  # in the site: assets/img/logo.svg or .png
    data: bytes


@dataclass(frozen=True)
class Config:
    institution: str
    categories: tuple[Category, ...]
    uploads: Limits
    languages: tuple[str, ...] = tuple(LANGUAGES)  # the first is served at /
    contact: Mapping[str, str] | None = None  # by language
    logo: Logo | None = None


def build(*, keyring: Path, out: Path, config: Path = DEFAULT_CONFIG) -> None:
    """Check every input, render the site in memory, then (re)write ``out``."""
    settings = load_config(config)
    keys = load_active(keyring).active()
    refuse_private_material(_folder_files(keyring.parent), "the keyring's folder")
    files = static_assets()
    files.update(vendor_modules(NODE_MODULES))
    if settings.logo:
        files[settings.logo.name] = settings.logo.data
    files.update(render_pages(settings, keys, files))
    files[MARKER] = MARKER_TEXT
    refuse_private_material(files.items(), "the built site")
    files[MANIFEST] = manifest(files)
    write_output(out, files)


# -- inputs -----------------------------------------------------------------------------------


def load_config(path: Path) -> Config:
    try:
        data = wbs_config.read_toml(path, hint=f"compare {path} with the comments in it")
    except WbsError as exc:
        raise BuildError(str(exc), hint=exc.hint) from None
    # [deadlines], [uploads] and [proof_of_work] are read by wbs/config.py: checked here
    # too, so that one build refuses a config file any part of the system would refuse. The
    # page shows the upload limits of the file itself, not of this machine's WBS_UPLOAD_*
    # variables.
    # [deployment] is `wbs deploy`'s (infra/settings.py), checked here for the same reason.
    _only(data, TABLES, path, "top level")
    try:
        wbs_config.load(path)
        uploads = wbs_config.upload_limits(path, environ={})
        wbs_config.proof_difficulty(path, environ={})  # what `wbs serve` and deploy ask
        if "deployment" in data:
            deployment.load(path)
    except WbsError as exc:
        raise BuildError(str(exc), hint=exc.hint) from None
    languages = _languages(data.get("languages", list(LANGUAGES)), path)
    institution = data.get("institution")
    if not isinstance(institution, dict):
        raise _config_error(path, "needs an [institution] table")
    _only(institution, {"name", "contact", "logo"}, path, "institution")
    name = _text(institution.get("name"), path, "institution.name")
    contact = None
    if "contact" in institution:
        contact = _translated(institution["contact"], languages, path, "institution.contact")
    logo = _logo(institution.get("logo", ""), path)
    entries = data.get("categories")
    if not isinstance(entries, list) or not entries:
        raise _config_error(path, "needs at least one [[categories]] entry")
    categories = tuple(_category(entry, languages, path, n) for n, entry in enumerate(entries, 1))
    seen: set[str] = set()
    for category in categories:
        if category.id in seen:
            raise _config_error(path, f"category id {category.id!r} appears twice")
        seen.add(category.id)
    return Config(name, categories, uploads, languages, contact, logo)


def _languages(value: object, path: Path) -> tuple[str, ...]:
    known = ", ".join(repr(code) for code in LANGUAGES)
    if (
        not isinstance(value, list)
        or not value
        or not all(code in LANGUAGES for code in value)
        or len(set(value)) != len(value)
    ):
        raise _config_error(path, f"languages must list some of {known}, the default first")
    return tuple(value)


def _translated(
    value: object, languages: tuple[str, ...], path: Path, where: str
) -> dict[str, str]:
    """``{id = "...", en = "..."}``: one text of at most 300 characters per language built."""
    if not isinstance(value, dict):
        raise _config_error(path, f"{where} must give {where}.{languages[0]} and so on")
    _only(value, set(LANGUAGES), path, where)
    texts = {}
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not LONG_TEXT_RE.fullmatch(text.strip()):
            raise _config_error(path, f"{where}.{lang} must be text of 1 to 300 characters")
        texts[lang] = text.strip()
    return texts


def _logo(value: object, path: Path) -> Logo | None:
    """An SVG or PNG file beside the config (shown with <img>, so an SVG runs no script)."""
    if value == "":
        return None
    if not isinstance(value, str):
        raise _config_error(path, "institution.logo must be the name of an SVG or PNG file")
    file = path.parent / value
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _config_error(
            path, f"institution.logo: cannot read {file} ({exc.strerror})"
        ) from None
    if len(data) > MAX_LOGO_BYTES:
        raise _config_error(path, f"institution.logo is over {MAX_LOGO_BYTES // 1024} KB")
    if data.startswith(PNG_MAGIC):
        return Logo("assets/img/logo.png", data)
    if file.suffix == ".svg" and b"<svg" in data[:1024]:
        return Logo("assets/img/logo.svg", data)
    raise _config_error(path, "institution.logo must be an SVG or PNG file")


def _category(entry: object, languages: tuple[str, ...], path: Path, n: int) -> Category:
    where = f"categories[{n}]"
    if not isinstance(entry, dict):
        raise _config_error(path, f"{where} must be a table")
    _only(entry, {"id", "label"}, path, where)
    slug = entry.get("id")
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug) or len(slug) > 60:
        raise _config_error(
            path, f"{where}.id must be a slug: lower-case letters, digits and hyphens"
        )
    labels = entry.get("label")
    if not isinstance(labels, dict):
        raise _config_error(path, f"{where}.label must give label.id and label.en")
    _only(labels, set(LANGUAGES), path, f"{where}.label")
    return Category(
        slug, {lang: _text(labels.get(lang), path, f"{where}.label.{lang}") for lang in languages}
    )


def _only(table: Mapping[str, object], allowed: set[str], path: Path, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _config_error(path, f"{where} has an unknown field {unknown[0]!r}")


def _text(value: object, path: Path, field: str) -> str:
    if not isinstance(value, str) or not TEXT_RE.fullmatch(value.strip()):
        raise _config_error(path, f"{field} must be text of 1 to 120 printable characters")
    return value.strip()


def _config_error(path: Path, problem: str) -> BuildError:
    return BuildError(f"{path}: {problem}", hint=f"compare {path} with the comments in it")


def _folder_files(folder: Path) -> list[tuple[str, bytes]]:
    return [
        (str(p), p.read_bytes())
        for p in sorted(folder.iterdir())
        if p.is_file() and p.stat().st_size <= KEYS_FOLDER_SCAN_LIMIT
    ]


def refuse_private_material(files: Iterable[tuple[str, bytes]], where: str) -> None:
    for name, data in files:
        for marker in PRIVATE_MARKERS:
            if marker.encode() in data:
                raise BuildError(
                    f"{name} in {where} looks like a private key ({marker!r})",
                    hint="keep private keys outside the repository and the site",
                )


def static_assets() -> dict[str, bytes]:
    static = SITE / "static"
    files = {
        f"assets/{p.relative_to(static).as_posix()}": p.read_bytes()
        for p in sorted(static.rglob("*"))
        if p.is_file()
    }
    for required in (*(p.entry for p in PAGES), *WORKERS, "assets/js/envelope.mjs", STYLESHEET):
        if required not in files:
            raise BuildError(
                f"site/static/{required.removeprefix('assets/')} is missing",
                hint="restore it from the repository (git status shows what changed)",
            )
    return files


def vendor_modules(node_modules: Path) -> dict[str, bytes]:
    """libsodium's two ES modules, the wrapper's bare import made relative."""
    wrappers = node_modules / "libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs"
    core = node_modules / "libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs"
    if not (wrappers.is_file() and core.is_file()):
        raise BuildError(
            f"libsodium-wrappers-sumo is not installed in {node_modules}",
            hint="npm ci --prefix site",
        )
    code = wrappers.read_bytes()
    found = code.count(SODIUM_SPECIFIER)
    if found != 1:
        raise BuildError(
            f"{wrappers} imports {SODIUM_SPECIFIER.decode()} {found} times, expected exactly once",
            hint="the libsodium-wrappers-sumo version changed: check site/package-lock.json",
        )
    return {
        VENDOR + wrappers.name: code.replace(SODIUM_SPECIFIER, b'"./libsodium-sumo.mjs"'),
        VENDOR + core.name: core.read_bytes(),
    }


def translations(lang: str) -> Translations:
    """Compile site/locale/<lang>/LC_MESSAGES/messages.po in memory (no .mo files)."""
    po = SITE / "locale" / lang / "LC_MESSAGES" / "messages.po"
    try:
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
    except FileNotFoundError:
        raise BuildError(f"no catalogue at {po}", hint=f"pybabel init -l {lang}") from None
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


# -- rendering --------------------------------------------------------------------------------


def module_graph(files: Mapping[str, bytes], entry: str) -> list[str]:
    """Every module the entry imports, directly or not, statically or dynamically."""
    order: list[str] = []
    pending = [entry]
    while pending:
        module = pending.pop(0)
        for spec in sorted(set(IMPORT_RE.findall(files[module]))):
            target = _resolve(module, spec.decode())
            if target not in files:
                raise BuildError(f"{module} imports {spec.decode()}, which is not in the site")
            if target != entry and target not in order:
                order.append(target)
                pending.append(target)
    return order


def _resolve(module: str, spec: str) -> str:
    parts = module.split("/")[:-1]
    for part in spec.split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def grouped(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def page_path(lang: str, path: str = PAGE, default: str = "id") -> str:
    return path if lang == default else f"{lang}/{path}"


def page_href(lang: str, path: str = PAGE, default: str = "id") -> str:
    return "/" + page_path(lang, path, default).removesuffix(PAGE)


def render_pages(
    config: Config, keys: tuple[KeyEntry, ...], assets: Mapping[str, bytes]
) -> dict[str, bytes]:
    def asset(path: str) -> dict[str, str]:
        return {"href": "/" + path, "integrity": sri(assets[path])}

    for worker in WORKERS:
        module_graph(assets, worker)  # every import of a worker must be in the site
    env = Environment(
        loader=FileSystemLoader(SITE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    common: dict[str, Any] = {
        "csp": "; ".join(
            d for d in CONTENT_SECURITY_POLICY.split("; ") if not d.startswith("frame-ancestors")
        ),
        "institution": config.institution,
        "logo": "/" + config.logo.name if config.logo else "",
        "keys": [
            {
                "kid": k.kid,
                "public_key": k.public_key,
                "label": k.label,
                "fp": grouped(k.fingerprint),
            }
            for k in keys
        ],
        "stylesheet": asset(STYLESHEET),
    }
    pages: dict[str, bytes] = {}
    default = config.languages[0]
    for lang in config.languages:
        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
        for page in PAGES:
            html = env.get_template(page.template).render(
                common,
                lang=lang,
                page=page.name,
                script=asset(page.entry),
                preloads=[asset(m) for m in module_graph(assets, page.entry)],
                links={p.name: page_href(lang, p.path, default) for p in PAGES},
                languages=[
                    {
                        "code": code,
                        "name": LANGUAGES[code],
                        "href": page_href(code, page.path, default),
                    }
                    for code in config.languages
                ],
                contact=config.contact[lang] if config.contact else "",
                categories=[{"id": c.id, "label": c.labels[lang]} for c in config.categories],
                uploads=upload_limits(config.uploads, lang),
            )
            pages[page_path(lang, page.path, default)] = html.encode("utf-8")
    return pages


def upload_limits(limits: Limits, lang: str) -> dict[str, Any]:
    """What the evidence field checks (in bytes) and says (in the page's language)."""
    return {
        "max_file_bytes": limits.max_file_bytes,
        "max_files": limits.max_files,
        "max_case_bytes": limits.max_case_bytes,
        "max_file": human_size(limits.max_file_bytes, lang),
        "max_case": human_size(limits.max_case_bytes, lang),
    }


def human_size(size: int, lang: str) -> str:
    """``5 GB``, ``1,5 GB`` in Indonesian: binary units under their everyday names."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{format_decimal(round(size / scale, 1), locale=lang)} {unit}"
    return f"{size} B"


# -- output -----------------------------------------------------------------------------------


def manifest(files: Mapping[str, bytes]) -> bytes:
    sums = {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)}
    return (json.dumps({"files": sums}, indent=2) + "\n").encode("ascii")


def write_output(out: Path, files: Mapping[str, bytes]) -> None:
    """Replace a previous build (recognised by its marker file); never any other folder."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(f"{out} is not a folder", hint="choose another --out")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise BuildError(
                f"{out} is not empty and is not a previous build: refusing to delete it",
                hint="choose an empty or new folder with --out",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    # The marker goes first, so that even an interrupted build can be replaced next time.
    for path in sorted(files, key=lambda p: p != MARKER):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[path])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build the reporting page with the keyring embedded."
    )
    parser.add_argument("--keyring", type=Path, default=DEFAULT_KEYRING, help="public keyring")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="site settings")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    try:
        build(keyring=args.keyring, out=args.out, config=args.config)
    except WbsError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        print(f"build.py: error: {exc}{hint}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"build.py: error: {exc} (hint: check the path and its permissions)", file=sys.stderr)
        return 1
    print(f"build.py: built the site into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
