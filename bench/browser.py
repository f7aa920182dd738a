"""A real `streamlit run` server and a headless Chromium on it, for the browser benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server

VIEWPORT = {"width": 1400, "height": 1000}


@contextmanager
def served_app() -> Iterator[tuple[object, str]]:
    """(browser, base_url): the server and the browser stop when the block ends."""
    process, url = start_server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser, url
            finally:
                browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def new_page(browser) -> Page:
    return browser.new_page(viewport=VIEWPORT)
