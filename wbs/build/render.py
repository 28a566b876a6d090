"""Rendering the pages: every page in every language of the config, with the desks' keys and
the routing rules (wbs/build/desks.py), the Content-Security-Policy and the integrity of every
script and stylesheet. A page may hold no script but the site's own modules and JSON data
blocks: the build refuses any other before it writes a file."""

from __future__ import annotations

import io
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from functions.headers import CONTENT_SECURITY_POLICY
from wbs.build.assets import STYLESHEET, WORKERS, XWING, module_graph, sri
from wbs.build.desks import KEYS_ELEMENT, ROUTING_ELEMENT, XWING_ELEMENT, DeskData
from wbs.build.errors import BuildError
from wbs.build.pages import PAGES, page_href, page_path, upload_limits
from wbs.build.sources import SITE
from wbs.config import Config
from wbs.config.site import LANGUAGES


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


def render_pages(config: Config, desks: DeskData, assets: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every page in every language, embedding the desks' active keys and the recovery key
    (what the pages seal to), the persons' signing keys, retired ones' included (whose
    signatures the status page checks: docs/spec/signature-v2.md section 4), and, in the
    report page, the routing rules and the offices a reporter chooses from."""

    def asset(path: str) -> dict[str, str]:
        return {"href": "/" + path, "integrity": sri(assets[path])}

    for worker in WORKERS:
        module_graph(assets, worker)  # every import of a worker must be in the site
    # Imported by xwing-loader.mjs only when a message goes to a hybrid desk: never preloaded
    # at page load, each module checked against this integrity when it is (xwing-v1 8.8).
    xwing = [asset(m) for m in (*module_graph(assets, XWING), XWING)]
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
    # |tojson: sorted, without spaces, and "<", ">", "&", "'" escaped, so that a data block
    # can never close its <script> element.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    site = config.site
    common: dict[str, Any] = {
        "csp": "; ".join(
            d for d in CONTENT_SECURITY_POLICY.split("; ") if not d.startswith("frame-ancestors")
        ),
        "institution": site.institution,
        "logo": "/" + site.logo.name if site.logo else "",
        "routing": config.desks.document(),
        "keys_element": KEYS_ELEMENT,
        "xwing_element": XWING_ELEMENT,
        "routing_element": ROUTING_ELEMENT,
        "stylesheet": asset(STYLESHEET),
    }
    pages: dict[str, bytes] = {}
    default = site.languages[0]
    for lang in site.languages:
        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
        keys = desks.keys(lang)
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
                    for code in site.languages
                ],
                contact=site.contact[lang] if site.contact else "",
                categories=[{"id": c.id, "label": c.labels[lang]} for c in site.categories],
                uploads=upload_limits(config.uploads, lang),
                keys=keys,
                xwing_modules=xwing if "xwing_fingerprint" in keys["recovery"] else [],
                desks=desks.panel(lang),
            )
            path = page_path(lang, page.path, default)
            refuse_other_scripts(html, path)
            pages[path] = html.encode("utf-8")
    return pages


class _Scripts(HTMLParser):
    """The attributes of every <script> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def refuse_other_scripts(html: str, path: str) -> None:
    """Every <script> is a module of the site with its integrity, or a JSON data block
    (which a browser never runs): the Content-Security-Policy allows no inline script, and
    the build does not rely on it alone."""
    parser = _Scripts()
    parser.feed(html)
    for attrs in parser.scripts:
        module = attrs.get("type") == "module" and attrs.get("src") and attrs.get("integrity")
        data = attrs.get("type") == "application/json" and "src" not in attrs
        if not (module or data):
            raise BuildError(
                f"{path} has a <script> that is neither a module with integrity nor JSON data",
                hint="put code in site/static/js/ and data in a type=application/json block",
            )
