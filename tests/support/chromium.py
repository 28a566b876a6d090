"""Debian's chromium driven by Playwright (no browser download): the one way tests and
benches launch it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("WBS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@contextmanager
def chromium(extra_flags: Sequence[str] = ()) -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed on the way out; ``extra_flags``
    after the shared ones (bench_slow_phone.py trusts its proxies' certificate)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run ./dev test, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, *extra_flags])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def fresh_page(browser: Any) -> Iterator[Any]:
    """A page in a context of its own (no cookies or storage shared with any other test);
    its uncaught errors gather in ``page.errors``."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


@contextmanager
def site_page(extra: Mapping[str, str] | None = None) -> Iterator[Any]:
    """The whole set-up of a browser benchmark: the reporting site built for a throwaway key
    (with ``extra`` files), served by the local host from a temporary folder, and open in a
    page of a fresh headless Chromium."""
    from tests.support.host import demo_site

    with (
        tempfile.TemporaryDirectory(prefix="wbs-") as tmp,
        demo_site(Path(tmp), extra) as base,
        chromium() as browser,
    ):
        page = browser.new_page()
        page.goto(f"{base}/")
        yield page
