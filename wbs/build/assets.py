"""The site's static files, libsodium's modules from site/node_modules, the graph of module
imports, and Subresource Integrity."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from wbs.build.errors import BuildError
from wbs.build.pages import PAGES
from wbs.build.sources import SITE

# Module workers, started by the pages' modules (new Worker(new URL(...))), not imported.
WORKERS = (
    "assets/js/receipt-worker.mjs",
    "assets/js/upload-worker.mjs",
    "assets/js/pow-worker.mjs",
)
STYLESHEET = "assets/css/site.css"
XWING = "assets/js/xwing.mjs"  # imported only by xwing-loader.mjs, at send to a hybrid desk
VENDOR = "assets/js/vendor/"
SODIUM_SPECIFIER = b'"libsodium-sumo"'
# Relative specifiers of static and dynamic imports (our modules and the vendored ones).
IMPORT_RE = re.compile(rb"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.\.?/[^"']+)["']""")


def static_assets() -> dict[str, bytes]:
    static = SITE / "static"
    files = {
        f"assets/{p.relative_to(static).as_posix()}": p.read_bytes()
        for p in sorted(static.rglob("*"))
        if p.is_file()
    }
    required_files = (*(p.entry for p in PAGES), *WORKERS, XWING, "assets/js/envelope.mjs")
    for required in (*required_files, STYLESHEET):
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
