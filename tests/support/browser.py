"""Headless Chromium for browser tests: Debian's chromium driven by Playwright for Python through
``executable_path`` (Playwright never downloads a browser here), with a fixed locale and time
zone so pages read the same on every machine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or (None if shutil.which("/usr/bin/chromium") is None else "/usr/bin/chromium")


@contextmanager
def browser_page(base_url: str, *, width: int = 1280, height: int = 900, locale: str = "en-US",
                 timezone: str = "Asia/Shanghai") -> Iterator[Any]:
    """A fresh page in a fresh context; the browser is closed however the block ends."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    assert path, "chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                          timezone_id=timezone, base_url=base_url)
            context.set_default_timeout(30_000)
            yield context.new_page()
        finally:
            browser.close()
