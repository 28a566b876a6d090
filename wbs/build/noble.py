"""@noble/post-quantum's ML-KEM-768 and @noble/hashes' SHA-3 for X-Wing in the browser
(docs/spec/xwing-v1.md): the ES modules of their import graph, from site/node_modules, copied
under assets/js/vendor/noble/ with their bare `@noble/...` imports made relative (a page has
no import map). site/static/js/xwing.mjs is their only importer; no page loads it yet.

Their comments cite papers and specifications by URL; the build drops the scheme of those
(`https://eprint.iacr.org/…` becomes `eprint.iacr.org/…`) so that no other origin is named in
the site (tests/test_build.py), and refuses a module that would still name one: that would be
code, not a comment. Nothing else of the modules changes but their imports.

Not `@noble/post-quantum/hybrid.js`: its graph also pulls ML-DSA, NIST curves and Ed25519
(169 KB gzip against 66 KB), and X25519 is libsodium's, which the page loads anyway."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from wbs.build.assets import VENDOR
from wbs.build.errors import BuildError

NOBLE = VENDOR + "noble/"
ENTRIES = ("post-quantum/ml-kem.js", "hashes/sha3.js")
# The specifier of a static import or re-export: bare (@noble/<package>/<file>) or relative.
SPECIFIER_RE = re.compile(rb"""(\bfrom\s*["'])(@noble/|\./|\.\./)([A-Za-z0-9_./-]+\.js)(["'])""")
# A block comment, or a line comment (not the // of a URL, a string or a regular expression).
COMMENT_RE = re.compile(rb"""/\*.*?\*/|(?<![:'"\\])//[^\n]*""", re.S)
URL_SCHEME_RE = re.compile(rb"https?://")


def noble_modules(node_modules: Path, entries: tuple[str, ...] = ENTRIES) -> dict[str, bytes]:
    """Every module of the import graph of ``entries``, keyed by its path in the site."""
    root = node_modules / "@noble"
    if not all((root / entry).is_file() for entry in entries):
        raise BuildError(
            f"@noble/post-quantum is not installed in {node_modules}", hint="npm ci --prefix site"
        )
    files: dict[str, bytes] = {}
    pending = list(entries)
    while pending:
        module = pending.pop()
        path = root / module
        if ".." in Path(module).parts or not path.is_file():
            raise BuildError(f"@noble/{module} is missing", hint="npm ci --prefix site")
        code = COMMENT_RE.sub(_inert, path.read_bytes())
        code, imports = _relative_imports(code, posixpath.dirname(module))
        if b"@noble/" in COMMENT_RE.sub(b"", code) or URL_SCHEME_RE.search(code):
            raise BuildError(
                f"@noble/{module} imports a module the build cannot place, or names an origin",
                hint="the @noble/post-quantum version changed: check site/package-lock.json",
            )
        files[module] = code
        pending.extend(m for m in imports if m not in files and m not in pending)
    return {NOBLE + name: code for name, code in sorted(files.items())}


def _inert(comment: re.Match[bytes]) -> bytes:
    """A comment with no origin and no import in it: a usage example's ``from '...'`` loses
    its quotes, so that neither this build nor the module graph ships what it names."""
    text = URL_SCHEME_RE.sub(b"", comment[0])
    return SPECIFIER_RE.sub(lambda m: m[1][:-1] + m[2] + m[3], text)


def _relative_imports(code: bytes, folder: str) -> tuple[bytes, list[str]]:
    """``code`` with every import relative to ``folder``, and the modules it imports."""
    imports: list[str] = []

    def relative(match: re.Match[bytes]) -> bytes:
        prefix, kind, rest, quote = (g.decode() for g in match.groups())
        target = rest if kind == "@noble/" else posixpath.normpath(f"{folder}/{kind}{rest}")
        imports.append(target)
        spec = posixpath.relpath(target, folder or ".")
        return f"{prefix}{spec if spec.startswith('../') else './' + spec}{quote}".encode()

    return SPECIFIER_RE.sub(relative, code), imports
