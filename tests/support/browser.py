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
def chromium() -> Iterator[Any]:
    """One headless Chromium (a Playwright ``Browser``), closed however the block ends. Starting
    Playwright's driver and the browser costs about a second of CPU: a test module shares one and
    gives each test a fresh context (:func:`browser_page`), as isolated as a fresh browser."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    assert path, "chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(browser: Any, base_url: str, *, width: int = 1280, height: int = 900, locale: str = "en-US",
                 timezone: str = "Asia/Shanghai") -> Iterator[Any]:
    """A page in a fresh context of ``browser`` (its own cookies and storage); the context is
    closed however the block ends."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  timezone_id=timezone, base_url=base_url)
    try:
        context.set_default_timeout(30_000)
        yield context.new_page()
    finally:
        context.close()
