"""Rendering the pages: every page in every language of the config, with the keyring's
active keys, the Content-Security-Policy and the integrity of every script and stylesheet."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from functions.headers import CONTENT_SECURITY_POLICY
from functions.keyring import Keyring, grouped
from wbs.build.assets import STYLESHEET, WORKERS, module_graph, sri
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


def render_pages(config: Config, ring: Keyring, assets: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every page in every language, embedding the keyring's active keys (what the pages seal
    to, and whose signatures they check) and the signing keys of retired ones (what a retired
    inspector signed stays verified: docs/spec/signature-v2.md section 4)."""

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
    site = config.site
    common: dict[str, Any] = {
        "csp": "; ".join(
            d for d in CONTENT_SECURITY_POLICY.split("; ") if not d.startswith("frame-ancestors")
        ),
        "institution": site.institution,
        "logo": "/" + site.logo.name if site.logo else "",
        "keys": [
            {
                "kid": k.kid,
                "public_key": k.public_key,
                "signing_key": k.signing_key,
                "label": k.label,
                "fp": grouped(k.fingerprint),
            }
            for k in ring.active()
        ],
        "retired_signers": [
            {"kid": k.kid, "signing_key": k.signing_key, "label": k.label}
            for k in ring.keys
            if not k.active and k.signing_key
        ],
        "stylesheet": asset(STYLESHEET),
    }
    pages: dict[str, bytes] = {}
    default = site.languages[0]
    for lang in site.languages:
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
                    for code in site.languages
                ],
                contact=site.contact[lang] if site.contact else "",
                categories=[{"id": c.id, "label": c.labels[lang]} for c in site.categories],
                uploads=upload_limits(config.uploads, lang),
            )
            pages[page_path(lang, page.path, default)] = html.encode("utf-8")
    return pages
