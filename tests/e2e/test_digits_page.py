"""The digits page (Figure 2 on real digits) in a real browser: Train shows a progress bar with
the time left, ends in the train/test grid and the table per m; Stop keeps a partial result.
Screenshots at 1024x768 and 390x844 go to test-results/ (ignored by git)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, assert_no_exception, start_server, stop_server, wait_ready

SHOTS = ROOT / "test-results"


@pytest.fixture(scope="module")
def digits_url(tmp_path_factory):
    """A server of its own, with an empty run cache (the page caches finished runs)."""
    cache = tmp_path_factory.mktemp("cache")
    process, url = start_server(env={"LSOFTMAX_CACHE": str(cache), "LSOFTMAX_MNIST_MIRROR": "http://127.0.0.1:9/"})
    yield url
    stop_server(process)


def set_epochs(page, epochs: int) -> None:
    """Move the Epochs slider with the keyboard (Home is 1, each ArrowRight one more)."""
    thumb = page.locator(".st-key-digits_epochs input[type='range']")
    thumb.focus()
    thumb.press("Home")
    for _ in range(epochs - 1):
        thumb.press("ArrowRight")
    expect(thumb).to_have_value(str(epochs))
    wait_ready(page)


def shot(page, name: str, width: int, height: int) -> None:
    """The window at this size, then the whole page (Streamlit scrolls inside its own container,
    so the window is made as tall as the content for the second shot)."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    content = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(5000, max(height, int(content)))})
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}-full.png"))
    page.set_viewport_size({"width": width, "height": height})


def test_train_shows_progress_then_the_figure_and_stop_keeps_a_partial_run(page, digits_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{digits_url}/digits")
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Figure 2 on real digits")).to_be_visible()
    set_epochs(page, 2)
    page.get_by_role("button", name="Train", exact=True).click()
    progress = page.locator('[data-testid="stProgress"]')
    pattern = re.compile(r"\d+ % · epoch \d of 2 · (about [\d,]+ s left|timing)")
    expect(progress).to_contain_text(pattern, timeout=30_000)
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()

    table = page.locator('[data-testid="stTable"]')
    expect(table).to_contain_text("MNIST error (paper)", timeout=120_000)
    expect(table).to_contain_text("0.31 %")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    expect(page.get_by_role("button", name="Train again")).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot g.trace').length > 40", timeout=30_000)
    assert_no_exception(page)
    shot(page, "digits", 1024, 768)
    shot(page, "digits", 390, 844)

    page.set_viewport_size({"width": 1024, "height": 768})
    set_epochs(page, 40)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(progress).to_contain_text("of 40", timeout=30_000)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile(r"stopped after \d+\.\d epochs"))).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled()
    assert_no_exception(page)
