"""Does a site serve what this checkout builds? The comparison behind ``wbs verify``.

The local build is the reference. Every file its ``build-manifest.json`` lists is fetched
from the site and compared byte for byte (SHA-256): that alone decides. Pages are also read
as HTML, only to *name* a difference (a script's integrity, an extra script or frame, a
reference to another origin, the CSP meta tag, the keys the page encrypts to), and every
answer's security headers are compared with ``functions/headers.py``. The keys a page encrypts
to are those of its #wbs-keys data block: the desks' and the recovery key. Nothing here prints:
what the site sent is kept as sent, and ``wbs/commands/verify.py`` escapes it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import ssl
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from functions.envelope import b64decode
from functions.errors import WbsError
from functions.headers import SECURITY_HEADERS
from functions.keyring import fingerprint
from wbs.build.desks import KEYS_ELEMENT, RECOVERY, RECOVERY_XWING
from wbs.build.output import MANIFEST

INDEX = "index.html"
MAX_BYTES = 32 * 1024 * 1024  # far above any file of the site; a hostile server cannot flood
TIMEOUT = 30.0
MAX_REDIRECTS = 5
# A plain browser-like name: a server that shows a tool something else has to try harder.
USER_AGENT = "Mozilla/5.0"
# Attributes whose value a browser fetches, runs or navigates to.
URL_ATTRIBUTES = frozenset(
    {"src", "href", "action", "formaction", "data", "poster", "background", "ping", "srcset"}
    | {"manifest", "xlink:href"}
)
# Elements that run, embed or restyle content: the built pages have none of them.
RISKY_TAGS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "style", "base", "portal"}
)
OK, DIFFERENT, MISSING, EXTRA = "ok", "DIFFERENT", "missing", "extra"
FINGERPRINT_RE = re.compile(r"[0-9a-f]{64}")


class BadAddress(WbsError, ValueError):
    """The URL is not the origin a site is served at."""


class Unreachable(WbsError, ConnectionError):
    """The site did not answer at all (no connection, TLS failure, timeout)."""


class Mismatch(WbsError, ValueError):
    """The site does not serve what this checkout builds."""


class BadCertificates(WbsError, ValueError):
    """The file given with --ca holds no PEM certificate."""


# -- fetching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    base: str = field(compare=False)  # scheme://netloc as typed, for building addresses

    @classmethod
    def of(cls, url: str) -> Origin | None:
        """The http(s) origin of an absolute URL, or None."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        default = 443 if parts.scheme == "https" else 80
        base = f"{parts.scheme}://{parts.netloc}"
        return cls(parts.scheme, parts.hostname.lower(), port or default, base)


def site_origin(url: str) -> Origin:
    """The origin ``wbs verify`` checks: the site's pages use absolute paths (``/assets/``),
    so a site is always served at the root of its origin."""
    parts, origin = urlsplit(url), Origin.of(url)
    extra = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
    if origin is None or extra:
        raise BadAddress(
            f"{url} is not a site's address",
            hint="give the origin the site is served at: wbs verify https://lapor.example.go.id",
        )
    return origin


@dataclass(frozen=True)
class Answer:
    status: int  # 0 when there is no answer to compare (see problem)
    headers: Mapping[str, tuple[str, ...]]  # lower-case names
    body: bytes
    problem: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers; ``fetch`` follows those that stay in the origin."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def tls_context(ca: Path | None = None) -> ssl.SSLContext:
    """The system's trusted certificates, or those of the PEM bundle ``ca`` alone (a private
    CA's): certificates and host names are checked either way."""
    if ca is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(ca))
    except (ssl.SSLError, ValueError):
        raise BadCertificates(
            f"{ca} holds no PEM certificate",
            hint="give the CA's certificate (or a bundle) in PEM: -----BEGIN CERTIFICATE-----",
        ) from None


def opener(context: ssl.SSLContext | None = None) -> urllib.request.OpenerDirector:
    """An opener that follows no redirect and checks TLS with ``context``."""
    https = urllib.request.HTTPSHandler(context=context or ssl.create_default_context())
    return urllib.request.build_opener(_NoRedirect, https)


_OPENER = opener()


def fetch(origin: Origin, path: str, via: urllib.request.OpenerDirector | None = None) -> Answer:
    """GET ``path`` from the origin (through ``via``: an ``opener`` with a private CA). A
    redirect to another origin is not followed: a browser would follow it, so it is itself a
    difference."""
    url = origin.base + path
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = _get(url, via or _OPENER)
        if status not in (301, 302, 303, 307, 308):
            return Answer(status, headers, body)
        target = urljoin(url, (headers.get("location") or ("",))[0])
        if Origin.of(target) != origin:
            return Answer(0, headers, b"", f"redirects to another origin: {target}")
        url = target
    return Answer(0, {}, b"", f"more than {MAX_REDIRECTS} redirects")


def _get(
    url: str, via: urllib.request.OpenerDirector
) -> tuple[int, dict[str, tuple[str, ...]], bytes]:
    # Only http(s) URLs of the checked origin get here (site_origin, fetch).
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with via.open(request, timeout=TIMEOUT) as response:
            return response.status, _headers(response.headers), response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx, 5xx: answers too
        with exc:
            return exc.code, _headers(exc.headers), exc.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise Unreachable(
                f"cannot fetch {url}: its certificate is not trusted ({reason.verify_message})",
                hint="if the site's certificate comes from a private CA, give that CA's"
                " certificate: --ca FILE (PEM)",
            ) from None
        raise Unreachable(
            f"cannot fetch {url}: {reason}",
            hint="check the address and that the site is up (try it in a browser)",
        ) from None


def _headers(message: Message) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for name, value in message.items():
        found[name.lower()] = (*found.get(name.lower(), ()), value)
    return found


# -- security headers -------------------------------------------------------------------------


def csp_directives(policy: str) -> dict[str, frozenset[str]]:
    """A policy as directive -> sources; a repeated directive is ignored, as browsers do."""
    directives: dict[str, frozenset[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split() or [""]
        if name and name.lower() not in directives:
            directives[name.lower()] = frozenset(
                s.lower() if s.startswith("'") else s for s in sources
            )
    return directives


def csp_differences(expected: str, served: str) -> list[str]:
    """What the served policy adds or lacks, directive by directive."""
    want, got = csp_directives(expected), csp_directives(served)
    found = []
    for name in sorted(want.keys() | got.keys()):
        if name not in got:
            found.append(f"no {name}")
        elif name not in want:
            found.append(" ".join(("adds", name, *sorted(got[name]))))
        else:
            if added := got[name] - want[name]:
                found.append(" ".join((name, "adds", *sorted(added))))
            if lost := want[name] - got[name]:
                found.append(" ".join((name, "lacks", *sorted(lost))))
    return found


def header_differences(
    headers: Mapping[str, tuple[str, ...]], https: bool
) -> list[tuple[str, str]]:
    """(header, difference) for each of functions/headers.py's headers. HSTS is checked over
    https only: browsers ignore it on http."""
    found: list[tuple[str, str]] = []
    for name, expected in SECURITY_HEADERS.items():
        if name == "Strict-Transport-Security" and not https:
            continue
        values = headers.get(name.lower(), ())
        if not values:
            found.append((name, "missing"))
        elif len(values) > 1:
            found.append((name, f"sent {len(values)} times"))
        elif name == "Content-Security-Policy":
            found += [(name, d) for d in csp_differences(expected, values[0])]
        elif _plain(values[0]) != _plain(expected):
            found.append((name, f"is {values[0].strip()!r}, not {expected!r}"))
    return found


def _plain(value: str) -> str:
    return " ".join(value.split()).lower()


# -- pages ------------------------------------------------------------------------------------


@dataclass
class Key:
    """A key a page encrypts to, as the page names it: a desk (by its id) or the recovery
    key, from the page's #wbs-keys data block (wbs/build/desks.py)."""

    name: str  # the desk's id, or "recovery"
    # base64 of an X25519 public key; for an X-Wing key the page names it by its fingerprint,
    # and fetches the key itself only if it has it (docs/spec/xwing-v1.md section 8.8)
    public_key: str
    label: str = ""
    shown: str = ""  # the fingerprint the page shows beside it ("" when it shows none)
    hybrid: bool = False

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the key the page really encrypts to ("" if it is no key)."""
        if self.hybrid:
            return self.public_key if FINGERPRINT_RE.fullmatch(self.public_key) else ""
        try:
            return fingerprint(b64decode(self.public_key, "public_key"))
        except WbsError:
            return ""


def embedded_keys(text: str) -> list[Key]:
    """The keys of a #wbs-keys data block, as sent: whatever does not fit the build's shape
    becomes a key without a public key, which is named as not being one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return [Key("?", "", "a #wbs-keys block that is not JSON")]
    data = _object(data)
    found = []
    for desk, entry in sorted(_object(data.get("desks")).items()):
        entry = _object(entry)
        hybrid = "fingerprint" in entry
        key = str(entry.get("fingerprint" if hybrid else "public_key", ""))
        found.append(Key(desk, key, str(entry.get("name", "")), hybrid=hybrid))
    recovery = _object(data.get("recovery"))
    label = str(recovery.get("label", ""))
    found.append(Key(RECOVERY, str(recovery.get("public_key", "")), label))
    if "xwing_fingerprint" in recovery:
        xwing = str(recovery["xwing_fingerprint"])
        found.append(Key(RECOVERY_XWING, xwing, label, hybrid=True))
    return found


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class PageFacts(HTMLParser):
    """What a page loads, runs and encrypts to. Attributes repeated on one element count
    once, the first, as in browsers."""

    def __init__(self, address: str, origin: Origin) -> None:
        super().__init__(convert_charrefs=True)
        self.address, self.origin = address, origin
        self.resources: Counter[tuple[str, str, str]] = Counter()  # (element, url, integrity)
        self.csp: list[str] = []
        self.risky: Counter[str] = Counter()
        self.foreign: Counter[str] = Counter()
        self.keys: list[Key] = []
        self.data: Counter[tuple[str, str]] = Counter()  # JSON data blocks: (id, text)
        self._block: tuple[str, list[str]] | None = None  # the data block being read
        self._shown: dict[str, str] = {}  # key name -> the fingerprint shown beside it
        self._showing: str | None = None  # the key named by the current <li>
        self._in_fingerprint = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a: dict[str, str] = {}
        for name, value in attrs:
            a.setdefault(name, value or "")
        classes = a.get("class", "").split()
        if tag == "script":
            kind = f"script type={a['type']}" if "type" in a else "script"
            if "src" in a:
                self.resources[(kind, a["src"], a.get("integrity", ""))] += 1
            elif a.get("type", "").strip().lower() == "application/json":
                self._block = (a.get("id", ""), [])  # data, never run
            else:
                self.risky["inline <script>"] += 1
        elif tag == "link":
            self.resources[
                (f"link rel={a.get('rel', '')}", a.get("href", ""), a.get("integrity", ""))
            ] += 1
        elif tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(a.get("content", ""))
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.risky[f"<meta http-equiv=refresh content={a.get('content', '')}>"] += 1
        elif tag in RISKY_TAGS:
            self.risky[f"<{tag}>"] += 1
        elif tag == "li" and ("data-desk" in a or a.get("id") == "recovery-key"):
            self._showing = a.get("data-desk", RECOVERY)
        elif self._showing is not None and "fingerprint" in classes:
            self._in_fingerprint = True
        for name, value in a.items():
            if name.startswith("on") or name == "style":
                self.risky[f"{name}= on <{tag}>"] += 1
            if name in URL_ATTRIBUTES:
                self._url(tag, name, value)

    def _url(self, tag: str, name: str, value: str) -> None:
        urls = (
            [c.split()[0] for c in value.split(",") if c.split()] if name == "srcset" else [value]
        )
        for url in (u.strip() for u in urls):
            target = urljoin(self.origin.base + self.address, url)
            if url.lower().startswith(("javascript:", "data:", "blob:")):
                self.risky[f"<{tag} {name}={url[:40]}>"] += 1
            elif urlsplit(target).netloc and Origin.of(target) != self.origin:
                self.foreign[f"<{tag} {name}={url}>"] += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_fingerprint = False
        if tag == "li":
            self._showing = None
        if tag == "script" and self._block is not None:
            name, parts = self._block
            self._block = None
            self.data[(name, "".join(parts))] += 1
            if name == KEYS_ELEMENT:
                self.keys += embedded_keys("".join(parts))

    def handle_data(self, data: str) -> None:
        if self._block is not None:
            self._block[1].append(data)
        elif self._in_fingerprint and self._showing is not None:
            shown = self._shown.get(self._showing, "") + data
            self._shown[self._showing] = "".join(shown.split())

    def close(self) -> None:
        super().close()
        for key in self.keys:
            key.shown = self._shown.get(key.name, "")


def read_page(body: bytes, address: str, origin: Origin) -> PageFacts:
    facts = PageFacts(address, origin)
    facts.feed(body.decode("utf-8", errors="replace"))
    facts.close()
    return facts


def page_differences(built: PageFacts, served: PageFacts) -> list[str]:
    """Each way the served page differs from the built one in what it loads, runs, allows
    and encrypts to."""
    found: list[str] = []
    missing = list((built.resources - served.resources).elements())
    for kind, url, integrity in sorted((served.resources - built.resources).elements()):
        twin = next((m for m in missing if m[:2] == (kind, url)), None)
        if twin is None:
            found.append(f"extra <{kind} {url}>")
        else:
            missing.remove(twin)
            found.append(f"<{kind} {url}> integrity {_short(integrity)}, built {_short(twin[2])}")
    found += [f"no <{kind} {url}>" for kind, url, _ in missing]
    if served.csp != built.csp:
        if len(served.csp) != 1 or len(built.csp) != 1:
            found.append(f"{len(served.csp)} CSP meta tags, built {len(built.csp)}")
        else:
            found += [f"CSP meta tag: {d}" for d in csp_differences(built.csp[0], served.csp[0])]
    found += [f"extra {item}" for item in sorted((served.risky - built.risky).elements())]
    found += [
        f"reference to another origin: {item}"
        for item in sorted((served.foreign - built.foreign).elements())
    ]
    found += key_differences(built.keys, served.keys)
    # A data block the page's modules read: the routing rules, and the keys block (whose
    # names and signing keys matter too: a signer added there would verify forged replies)
    changed = {name for name, _ in (served.data - built.data) + (built.data - served.data)}
    found += [f"data block #{name} is not the build's" for name in sorted(changed)]
    return found


def key_differences(built: Sequence[Key], served: Sequence[Key]) -> list[str]:
    """A key is what the page encrypts to (its public key), whatever fingerprint the page
    shows beside it: a page that shows a desk's fingerprint next to another key is named as
    such."""
    found = []
    ours = {k.public_key for k in built}
    theirs = {k.public_key for k in served}
    for key in served:
        real = key.fingerprint
        if not real:
            found.append(f"key {key.name} ({key.label}) is not a public key")
        elif key.shown and key.shown != real:
            found.append(
                f"key {key.name} ({key.label}) shows fingerprint {_short(key.shown)},"
                f" but its public key's is {_short(real)}"
            )
        if key.public_key not in ours:
            found.append(
                f"encrypts to key {real[:16] or key.name} ({key.label}), not in the local keyring"
            )
    found += [
        f"does not encrypt to key {k.name} ({k.label}) of the local keyring"
        for k in built
        if k.public_key not in theirs
    ]
    return found


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


# -- the whole check --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    address: str
    result: str  # OK, DIFFERENT, MISSING or EXTRA
    detail: tuple[str, ...] = ()  # one line each, as served: the CLI escapes them


@dataclass(frozen=True)
class ServedKey:
    label: str
    kid: str
    fingerprint: str
    in_keyring: bool


@dataclass
class Outcome:
    rows: list[Row] = field(default_factory=list)
    headers: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # -> addresses
    answers: int = 0  # addresses that answered 200, whose headers were checked
    keys: list[ServedKey] = field(default_factory=list)

    @property
    def differences(self) -> list[str]:
        """Short names of every difference, for the one-line summary."""
        names = [f"{r.address} {r.result}" for r in self.rows if r.result != OK]
        return names + sorted({f"{header} header" for header, _ in self.headers})


def read_build(folder: Path) -> tuple[dict[str, bytes], bytes]:
    """The files of a local build that a site serves (hidden ones, the build's marker, are
    never published), and its manifest."""
    manifest = (folder / MANIFEST).read_bytes()
    listed = json.loads(manifest)["files"]
    files = {p: (folder / p).read_bytes() for p in sorted(listed) if not _hidden(p)}
    return files, manifest


def addresses(path: str) -> list[str]:
    """Where a reporter meets a file: pages at their folder (``/en/``) and by name."""
    if path == INDEX or path.endswith("/" + INDEX):
        return ["/" + path.removesuffix(INDEX), "/" + path]
    return ["/" + path]


def verify(
    origin: Origin,
    built: Mapping[str, bytes],
    manifest: bytes,
    track: Callable[[Sequence[str]], Iterable[str]] = lambda items: items,
    get: Callable[[Origin, str], Answer] = fetch,
) -> Outcome:
    """Fetch the manifest and every address of the built files; compare all of it."""
    outcome = Outcome()
    https = origin.scheme == "https"
    pages = {p: read_page(data, "/" + p, origin) for p, data in built.items() if _is_page(p)}
    protected = {url for facts in pages.values() for _, url, sri in facts.resources if sri}
    served_pages: dict[str, PageFacts] = {}

    def check(address: str) -> Answer | None:
        answer = get(origin, address)
        if answer.problem:
            outcome.rows.append(Row(address, DIFFERENT, (answer.problem,)))
            return None
        if answer.status != 200:
            outcome.rows.append(Row(address, MISSING, (f"HTTP {answer.status}",)))
            return None
        outcome.answers += 1
        for difference in header_differences(answer.headers, https):
            outcome.headers.setdefault(difference, []).append(address)
        return answer

    answer = check("/" + MANIFEST)
    if answer is not None:
        outcome.rows.append(_manifest_row(manifest, answer.body))
        outcome.rows += [
            Row("/" + p, EXTRA, ("listed in the served build-manifest.json",))
            for p in sorted(_listing(answer.body) or {})
            if p not in built and not _hidden(p)
        ]
    # The pages first, the default language's first; each at its folder, then by name.
    order = sorted(built, key=lambda p: (not _is_page(p), p.count("/"), p))
    all_addresses = [(a, p) for p in order for a in addresses(p)]
    by_address = dict(all_addresses)
    for address in track([a for a, _ in all_addresses]):
        path = by_address[address]
        answer = check(address)
        if answer is None:
            continue
        served = read_page(answer.body, address, origin) if _is_page(path) else None
        if served is not None:
            served_pages[address] = served
        if answer.body == built[path]:
            bare = path.endswith((".mjs", ".js")) and "/" + path not in protected
            outcome.rows.append(
                Row(address, OK, ("no SRI: only this check covers it",) if bare else ())
            )
        elif served is not None:
            found = page_differences(pages[path], served) or [_first_line(built[path], answer.body)]
            outcome.rows.append(Row(address, DIFFERENT, tuple(found)))
        else:
            outcome.rows.append(Row(address, DIFFERENT, (_sums(built[path], answer.body),)))
    outcome.rows += _referenced_extras(served_pages, built, outcome.rows, origin)
    outcome.keys = _served_keys(served_pages, pages)
    return outcome


def _manifest_row(manifest: bytes, served: bytes) -> Row:
    address = "/" + MANIFEST
    if served == manifest:
        return Row(address, OK)
    theirs, ours = _listing(served), _listing(manifest) or {}
    if theirs is None:
        return Row(address, DIFFERENT, ("not a build manifest",))
    changed = sorted(p for p in ours if not _hidden(p) and theirs.get(p) != ours[p])
    added = sorted(p for p in theirs if p not in ours)
    found = [f"lists other sums for {_some(changed)}"] if changed else []
    found += [f"lists files the build does not have: {_some(added)}"] if added else []
    return Row(address, DIFFERENT, tuple(found) or (_sums(manifest, served),))


def _some(paths: Sequence[str], shown: int = 4) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


def _referenced_extras(
    served: Mapping[str, PageFacts], built: Mapping[str, bytes], rows: list[Row], origin: Origin
) -> list[Row]:
    """Same-origin files the served pages load that the build does not have."""
    known = {r.address for r in rows} | {"/" + p for p in built}
    extras: dict[str, str] = {}
    for address, facts in sorted(served.items()):
        for _, url, _ in facts.resources:
            target = urljoin(origin.base + address, url)
            path = urlsplit(target).path
            if Origin.of(target) == origin and path not in known:
                extras.setdefault(path, f"loaded by {address}")
    return [Row(path, EXTRA, (why,)) for path, why in sorted(extras.items())]


def _served_keys(
    served: Mapping[str, PageFacts], built: Mapping[str, PageFacts]
) -> list[ServedKey]:
    """Each key the served pages encrypt to, once, named by its real kid."""
    ours = {k.public_key for facts in built.values() for k in facts.keys}
    keys: dict[str, ServedKey] = {}
    for facts in served.values():
        for k in facts.keys:
            kid = k.fingerprint[:16] or k.name
            keys.setdefault(
                k.public_key, ServedKey(k.label, kid, k.fingerprint, k.public_key in ours)
            )
    return list(keys.values())


def _listing(manifest: bytes) -> dict[str, str] | None:
    try:
        listed = json.loads(manifest)["files"]
    except (ValueError, KeyError, TypeError):
        return None
    return listed if isinstance(listed, dict) else None


def _sums(built: bytes, served: bytes) -> str:
    ours, theirs = hashlib.sha256(built).hexdigest(), hashlib.sha256(served).hexdigest()
    return f"SHA-256 {theirs[:16]}…, built {ours[:16]}… ({len(served)} bytes, built {len(built)})"


def _first_line(built: bytes, served: bytes) -> str:
    pairs = zip(built.splitlines(), served.splitlines(), strict=False)
    line = next((n for n, (a, b) in enumerate(pairs, 1) if a != b), None)
    if line is None:
        line = min(len(built.splitlines()), len(served.splitlines())) + 1
    return f"text differs from line {line} (scripts, integrity, CSP and keys as built)"


def _is_page(path: str) -> bool:
    return path.endswith(".html")


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/"))
