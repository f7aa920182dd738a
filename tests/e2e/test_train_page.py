"""The live training lab in a real browser: it trains, the charts update in place (no remount,
no blank frame), the user's zoom survives the updates, and Pause holds."""

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import (
    LIVE_CHART,
    LIVE_CHART_MARKERS,
    WATCH_LIVE_CHARTS,
    assert_no_exception,
    screenshot,
    wait_ready,
    zoom_with_the_mouse,
)

CHARTS = LIVE_CHART
AXIS_RANGE = "() => document.querySelector('.lsoftmax-live-chart')._fullLayout.xaxis.range"


def status_step(page) -> int:
    text = page.locator(".st-key-train_status").inner_text()
    return int(text.split("step")[1].split("·")[0].strip().replace(",", ""))


def chart_steps(page) -> list[int]:
    return page.evaluate("() => [...document.querySelectorAll('.lsoftmax-live-chart')].map((c) => +c.dataset.step)")


def chart_draws(page) -> int:
    return page.evaluate("() => +document.querySelector('.lsoftmax-live-chart').dataset.draws")


def wait_for_charts(page) -> None:
    """Both live charts have drawn."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart')]"
        ".filter((c) => c.querySelector('svg.main-svg g.trace')).length >= 2",
        timeout=60_000,
    )


def open_train(page, app_url, query=""):
    page.goto(f"{app_url}/train{query}")
    wait_ready(page)
    wait_for_charts(page)
    assert_no_exception(page)


def test_play_updates_the_charts_in_place_keeps_zoom_and_pause_holds(page, app_url):
    open_train(page, app_url)
    expect(page.locator(".st-key-train_status")).to_contain_text(re.compile(r"Training on (CPU|CUDA)"))
    assert status_step(page) == 0 and chart_steps(page) == [0, 0]
    page.evaluate(WATCH_LIVE_CHARTS)

    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => +document.querySelector('.lsoftmax-live-chart').dataset.step >= 60", timeout=30_000)
    full_range = page.evaluate(AXIS_RANGE)
    zoom_with_the_mouse(page, 0.35, 0.6)  # inside the input-space panel
    zoom = page.evaluate(AXIS_RANGE)
    assert zoom[1] - zoom[0] < 0.5 * (full_range[1] - full_range[0]), (zoom, full_range)
    draws = chart_draws(page)
    page.wait_for_function(f"() => +document.querySelector('.lsoftmax-live-chart').dataset.draws >= {draws + 8}")
    time.sleep(2)
    assert page.evaluate(AXIS_RANGE) == zoom, "the user's zoom was lost while training"

    advanced = chart_steps(page)
    assert min(advanced) > 60 and status_step(page) > 60
    watch = page.evaluate("() => window.__watch")
    assert page.evaluate(LIVE_CHART_MARKERS) == [1, 2], "a live chart was remounted"
    assert watch["removed"] == 0, watch
    assert watch["blankFrames"] == 0 and watch["frames"] > 30, watch
    assert_no_exception(page)

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_enabled()
    time.sleep(1.0)
    held = status_step(page)
    time.sleep(2.0)
    assert status_step(page) == held
    assert max(chart_steps(page)) == held
    assert page.evaluate(LIVE_CHART_MARKERS) == [1, 2]
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.locator(f"{CHARTS} .nsewdrag").first.dblclick()  # back to the full view for the picture
    page.mouse.move(5, 5)  # hides plotly's mode bar
    time.sleep(0.5)
    screenshot(page, "train")


def test_compare_mode_trains_four_models_side_by_side(page, app_url):
    open_train(page, app_url, "?compare_ms=1,2,3,4&dataset=blobs&n_classes=5")
    titles = page.evaluate(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart .annotation-text')].map((t) => t.textContent)"
    )
    features = [t for t in titles if t.startswith("features")]
    names = ("softmax", "L-Softmax m=2", "L-Softmax m=3", "L-Softmax m=4")  # an old compare_ms link
    assert [f"features, {name} (±" for name in names] == [t.split("±")[0] + "±" for t in features]
    page.evaluate(WATCH_LIVE_CHARTS)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => +document.querySelector('.lsoftmax-live-chart').dataset.step >= 400", timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_enabled()
    watch = page.evaluate("() => window.__watch")
    assert watch["removed"] == 0 and watch["blankFrames"] == 0, watch
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.mouse.move(5, 5)
    time.sleep(0.5)
    screenshot(page, "train_compare")


def test_plotly_is_sent_once_per_session_and_charts_come_back_after_a_page_switch(page, app_url):
    sizes = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: sizes.append(len(data))))
    open_train(page, app_url)
    assert sum(size > 1_000_000 for size in sizes) == 1  # plotly.min.js, gzip-compressed, once
    page.get_by_role("link", name="About L-Softmax").click()
    expect(page.get_by_role("heading", name="L-Softmax Lab")).to_be_visible()
    page.get_by_role("link", name="Live training lab").click()
    wait_for_charts(page)
    assert sum(size > 1_000_000 for size in sizes) == 1  # the page already had plotly: not sent again
    assert_no_exception(page)


def test_charts_draw_again_after_a_reload(page, app_url):
    """A reload is a fresh page without plotly: the charts must draw whether the session is new or resumed."""
    sizes = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: sizes.append(len(data))))
    open_train(page, app_url)
    page.reload()
    wait_ready(page)
    wait_for_charts(page)
    assert_no_exception(page)
    assert sum(size > 1_000_000 for size in sizes) == 2  # the reloaded page got plotly.js again
