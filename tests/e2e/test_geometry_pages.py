"""The geometry pages in a real browser: a slider moves, the numbers, the chart and the URL follow;
the plane is redrawn in place (no remount, no blank frame, the user's zoom kept); a deep link
restores the state; a bad link shows the notice; never an exception. Saves the README
screenshots binary.png, multiclass.png and psi.png."""

import re

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

CHART = LIVE_CHART
X_RANGE = "() => document.querySelector('.lsoftmax-live-chart')._fullLayout.xaxis.range"
# The annotation texts the plane now holds (a zoomed view hides those outside it).
NOTES = "() => document.querySelector('.lsoftmax-live-chart').layout.annotations.map((note) => note.text)"


def open_page(page, app_url, path):
    page.goto(f"{app_url}/{path}")
    wait_ready(page)


def nudge(page, key, presses=1):
    """Move the slider with this widget key by keyboard: focus its thumb, press ArrowRight."""
    thumb = page.locator(f".st-key-{key} input[type='range']")
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight")


def first_metric(page):
    return page.locator('[data-testid="stMetricValue"]').first


def plot_title(page):
    return page.locator(".js-plotly-plot .gtitle").first


def test_binary_page_follows_the_slider_and_the_link(page, app_url):
    open_page(page, app_url, "binary")
    expect(first_metric(page)).to_have_text("54.00°")
    expect(plot_title(page)).to_contain_text("m = 4")
    nudge(page, "m")  # m = 5: (5 - 1)/(5 + 1) * 90 = 60
    expect(first_metric(page)).to_have_text("60.00°")
    expect(plot_title(page)).to_contain_text("m = 5")
    expect(page).to_have_url(re.compile(r"/binary\?.*m=5"))
    shown_link = page.locator("code").filter(has_text="m=5")
    expect(shown_link).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "binary")

    link = shown_link.inner_text().strip()  # the link a teacher copies reopens this state
    assert link.startswith(f"{app_url}/binary?"), link
    page.goto(link)
    wait_ready(page)
    expect(first_metric(page)).to_have_text("60.00°")
    assert_no_exception(page)

    open_page(page, app_url, "binary?m=2&t12=120&field=L-Softmax")
    expect(first_metric(page)).to_have_text("40.00°")  # 1/3 * 120
    expect(page.locator(".js-plotly-plot .heatmaplayer").first).to_be_attached()
    assert_no_exception(page)


def test_binary_plane_updates_in_place_and_keeps_the_zoom(page, app_url):
    open_page(page, app_url, "binary")
    page.wait_for_selector(f"{CHART} svg.main-svg g.trace")
    expect(page.locator(f"{CHART} .annotation-text").filter(has_text="margin 54.0°")).to_have_count(1)
    full = page.evaluate(X_RANGE)
    zoom_with_the_mouse(page)
    zoom = page.evaluate(X_RANGE)
    assert zoom[1] - zoom[0] < 0.6 * (full[1] - full[0]), (zoom, full)
    page.evaluate(WATCH_LIVE_CHARTS)
    for theta12 in (91, 92, 93):  # margin 3/5 * theta12: 54.6, 55.2, 55.8 degrees
        nudge(page, "t12")
        expect(first_metric(page)).to_have_text(f"{0.6 * theta12:.2f}°")
        page.wait_for_function(f"() => ({NOTES})().includes('margin {0.6 * theta12:.1f}°')")
        assert f"θ<sub>12</sub> = {theta12}°" in page.evaluate(NOTES)
    wait_ready(page)
    assert page.evaluate(LIVE_CHART_MARKERS) == [1], "the plane chart was remounted"
    watch = page.evaluate("() => window.__watch")
    assert watch["removed"] == 0 and watch["blankFrames"] == 0 and watch["frames"] > 10, watch
    assert page.evaluate(X_RANGE) == zoom, "the user's zoom was lost on a slider change"
    assert_no_exception(page)


def test_binary_page_bad_link_shows_the_notice(page, app_url):
    open_page(page, app_url, "binary?m=99&t12=abc")
    expect(page.get_by_text("m=99 is outside 1..8")).to_be_visible()
    expect(page.get_by_text("t12=abc is not a number")).to_be_visible()
    expect(first_metric(page)).to_have_text("54.00°")
    assert_no_exception(page)


def test_multiclass_page(page, app_url):
    open_page(page, app_url, "multiclass")
    rows = page.locator('[data-testid="stTable"]').first.locator("tbody tr")
    expect(rows).to_have_count(4)
    nudge(page, "k")  # K = 5
    expect(rows).to_have_count(5)
    expect(plot_title(page)).to_contain_text("K = 5")
    expect(page).to_have_url(re.compile(r"/multiclass\?.*k=5"))
    page.get_by_role("button", name="shrink class 1").click()
    expect(page.get_by_text("W1 is the shortest vector")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "multiclass")

    open_page(page, app_url, "multiclass?k=3&m=2&n2=9")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("n2=9 is outside 0.1..5")).to_be_visible()
    assert_no_exception(page)


def test_psi_page(page, app_url):
    open_page(page, app_url, "psi")
    legend = page.locator(".js-plotly-plot .legendtext")
    expect(legend.filter(has_text="blend, m = 4")).to_have_count(1)
    nudge(page, "m")
    expect(legend.filter(has_text="blend, m = 5")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/psi\?.*m=5"))
    assert_no_exception(page)

    open_page(page, app_url, "psi?m=3&lam=0.5")
    expect(legend.filter(has_text="blend, m = 3, λ = 0.5")).to_have_count(1)
    expect(page.locator(".katex").filter(has_text="4c")).not_to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "psi")
