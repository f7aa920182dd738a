"""The geometry pages with a margin-family member other than L-Softmax and a second member drawn
over it, in a real browser: the member's own slider drags the plane live (the compared member's
dotted boundaries and margin band move too), release settles the numbers and the URL, switching
the member redraws the same chart (no remount), and the browser logs no error. Saves screenshots
at a laptop's 1024x768 and a phone's 390x844."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    LIVE_CHART_MARKERS,
    WATCH_LIVE_CHARTS,
    assert_no_exception,
    console_errors,
    screenshot,
    wait_ready,
)
from tests.e2e.test_live_drag import DRAWS, INPUTS, drag_across

CHART = ".st-key-plane .lsoftmax-live-chart"
OVERLAY = f"{CHART} > svg.lsoftmax-live-overlay"
DOTTED = f'{OVERLAY} path[stroke-dasharray="3,4"]'  # overlay.js draws plotly's "dot" dash so


@pytest.fixture
def errors(page):
    """Every console error and uncaught exception of the page, collected as they happen."""
    return console_errors(page)


def kept_up(drag: dict) -> bool:
    """The chart redrew during the drag at 10 per second, or (on a machine too loaded to move the
    mouse that often) once for every input event it got: the chart was never what held it back."""
    return drag["redraws"] / drag["seconds"] >= 10 or drag["redraws"] >= max(3, drag["inputs"] - 1)


def sweep_to(page, start: float, end: float, y: float, seconds: float = 2.0) -> dict:
    """With the mouse held on the plane's slider at start, move it to end in `seconds` (as
    test_live_drag.drag_across does); returns elapsed seconds, redraws and input events."""
    page.evaluate(INPUTS, ["plane", "am"])
    before = page.evaluate(DRAWS, "plane")
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:
        page.mouse.move(start + (end - start) * elapsed / seconds, y)
    page.mouse.move(end, y)
    page.wait_for_timeout(50)  # the last animation frame
    drawn = page.evaluate(DRAWS, "plane") - before
    return {"seconds": time.monotonic() - began, "redraws": drawn, "inputs": page.evaluate("() => window.__inputs")}


def open_plane(page, url):
    page.goto(url)
    wait_ready(page)
    page.wait_for_selector(f"{CHART} svg.main-svg g.trace")
    page.evaluate(WATCH_LIVE_CHARTS)


def first_metric(page):
    return page.locator('[data-testid="stMetricValue"]').first


def test_dragging_arcface_m_over_l_softmax_moves_both_and_settles(page, app_url, errors):
    open_plane(page, f"{app_url}/binary?loss=ArcFace&vs=L-Softmax&vm=2")
    expect(page.locator(f"{CHART} .gtitle")).to_have_text("ArcFace m = 28.6° vs L-Softmax m = 2")
    expect(first_metric(page)).to_have_text("28.60°")
    bar = page.locator(".st-key-plane .lsoftmax-live-controls input")
    assert [bar.nth(i).get_attribute("data-key") for i in range(bar.count())] == ["am", "t12", "n1", "xa"]
    # One gesture: grab the thumb, check the frame drawn mid-drag, then sweep it to the right end.
    box = page.locator('.st-key-plane .lsoftmax-live-controls input[data-key="am"]').bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=3)
    expect(page.locator(OVERLAY)).to_have_count(1)  # mid-drag: drawn over plotly's axes
    assert page.locator(DOTTED).count() == 2  # L-Softmax's boundaries, one per class, dotted
    drag = sweep_to(page, box["x"] + box["width"] * 0.4, box["x"] + box["width"] - 2, y)
    page.mouse.up()
    assert kept_up(drag), drag
    expect(page).to_have_url(re.compile(r"/binary\?(.*&)?am=90(&|$)"), timeout=30_000)  # slow when loaded
    expect(page.locator(OVERLAY)).to_have_count(0, timeout=15_000)
    expect(first_metric(page)).to_have_text("90.00°", timeout=15_000)  # m >= theta12: the whole wedge is margin
    expect(page.locator(f"{CHART} .gtitle")).to_have_text("ArcFace m = 90° vs L-Softmax m = 2")
    expect(page.get_by_role("slider", name=re.compile("margin m \\(°\\)"))).to_have_attribute("aria-valuetext", "90.00")
    wait_ready(page)
    assert page.evaluate(LIVE_CHART_MARKERS) == [1], "the plane chart was remounted"
    assert page.evaluate("() => window.__watch.removed") == 0
    assert_no_exception(page)
    assert not errors, errors


def test_switching_the_member_redraws_the_same_chart(page, app_url, errors):
    open_plane(page, f"{app_url}/binary?m=3")
    expect(first_metric(page)).to_have_text("45.00°")
    page.locator('[data-testid="stSidebar"] label').filter(has_text=re.compile("^CosFace$")).first.click()
    expect(page).to_have_url(re.compile(r"/binary\?(.*&)?loss=CosFace(&|$)"), timeout=15_000)
    expect(page.locator(f"{CHART} .gtitle")).to_have_text("CosFace m = 0.35")
    expect(first_metric(page)).to_have_text("28.66°")  # margin-family.md: CosFace 0.35 at 90 degrees
    expect(page.locator('.st-key-plane .lsoftmax-live-controls input[data-key="cm"]')).to_have_count(1)
    wait_ready(page)
    assert page.evaluate(LIVE_CHART_MARKERS) == [1], "the plane chart was remounted"
    assert_no_exception(page)
    assert not errors, errors


def test_dragging_a_vector_with_cosface_over_arcface_on_k_classes(page, app_url, errors):
    open_plane(page, f"{app_url}/multiclass?loss=CosFace&vs=ArcFace&k=5")
    expect(page.locator(f"{CHART} .gtitle")).to_have_text("K = 5, CosFace m = 0.35 vs ArcFace m = 28.6°")
    drag = drag_across(page, "plane", "angle", seconds=2.0, to_left=False)  # W1 to 359 degrees
    assert kept_up(drag), drag
    expect(page).to_have_url(re.compile(r"/multiclass\?(.*&)?a1=359(&|$)"), timeout=15_000)
    wait_ready(page)
    assert page.evaluate(LIVE_CHART_MARKERS) == [1], "the plane chart was remounted"
    assert_no_exception(page)
    assert not errors, errors


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("binary-arcface-vs-lsoftmax", "binary?loss=ArcFace&vs=L-Softmax&vm=2&t12=120"),
        ("multiclass-cosface-vs-arcface", "multiclass?loss=CosFace&vs=ArcFace&k=5&vam=20"),
    ],
)
def test_screenshots_of_a_member_with_another_drawn_over_it(page, app_url, errors, name, path, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_plane(page, f"{app_url}/{path}")
    page.wait_for_timeout(500)
    legend = page.locator(f"{CHART} g.legend").text_content()
    assert "margin: ArcFace" in legend or "boundaries: ArcFace" in legend
    assert_no_exception(page)
    screenshot(page, f"{name}-{width}x{height}")
    assert not errors, errors
