"""The built site's paths on the local host."""

from __future__ import annotations

from tests.hostile.corpus.base import Case, Request, get
from tests.hostile.world import (
    ECHO,
)


def site_cases() -> list[Case]:
    """The built site: odd paths, ways out, wrong methods. The host answers with its HTML
    page; on Lambda there is no site (CloudFront serves it): 404 there."""
    lam = (404, "not_found")
    page = (404, None)
    out = [
        Case(f"site: GET {path}", get(path), page, lambda_=lam)
        for path in (
            "/..%2f..%2fetc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/static/..%5c..%5cwin.ini",
            "/assets/%00",
            "/index.html%00.txt",
            "/%c0%ae%c0%ae/etc/passwd",
            "/%ff",
            "/.git/config",
            "/.env",
            "/.hidden",
            "/%2ehidden",
            "/escape",
            "//etc/passwd",
            "/static//js/app.mjs",
            "/static/js/app.mjs/",
            "/en/index.html/x",
            "/" + "a" * 300,
            "/" + "a/" * 3000,
            "/" + "%2e%2e/" * 50 + "etc/passwd",
            "/~root",
            "/static",  # a folder without index: no listing
            "/static/",
            f"/{ECHO}",
        )
    ]
    out += [
        Case(
            f"site: {method} /",
            Request(method, "/", body=b"x" if method != "OPTIONS" else b""),
            (405, None),
            lambda_=lam,
        )
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")
    ]
    return out
