"""The sphere view in a real browser: /train with feature_dim = 3 keeps the user's rotated camera
while training runs (in place, no remount), and the sphere geometry page answers its controls."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    LIVE_CHART,
    LIVE_CHART_MARKERS,
    WATCH_LIVE_CHARTS,
    assert_no_exception,
    console_errors,
    screenshot,
    wait_ready,
)

CAMERA_EYE = "() => { const eye = document.querySelector('.lsoftmax-live-chart')._fullLayout.scene.camera.eye;" \
    " return [eye.x, eye.y, eye.z]; }"  # fmt: skip
DRAWS = "() => +document.querySelector('.lsoftmax-live-chart').dataset.draws"
STEP = "() => +document.querySelector('.lsoftmax-live-chart').dataset.step"


def screenshots_at_both_sizes(page, name: str) -> None:
    """The page at a projector's and a phone's size (test-screenshots/<name>_WxH.png)."""
    for width, height in ((1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.mouse.move(1, 1)
        time.sleep(1.0)
        screenshot(page, f"{name}_{width}x{height}")


def wait_for_sphere(page) -> None:
    """The main chart has drawn its 3-D scene (plotly's gl canvas inside the scene's div)."""
    page.wait_for_function(
        "() => { const c = document.querySelector('.lsoftmax-live-chart');"
        " return c && c._fullLayout && c._fullLayout.scene && c.querySelector('#scene canvas'); }",
        timeout=60_000,
    )


def rotate(page, dx: float = 0.25, dy: float = 0.1) -> None:
    """Drag across the middle of the first 3-D scene, as a user turning the sphere."""
    box = page.locator(f"{LIVE_CHART} #scene").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx * box["width"], y + dy * box["height"], steps=12)
    page.mouse.up()


def test_a_rotated_sphere_keeps_its_camera_over_training_updates(page, app_url):
    errors = console_errors(page)
    page.goto(f"{app_url}/train?feature_dim=3&dataset=blobs&n_classes=4")
    wait_ready(page, timeout=90_000)  # a cold server imports torch first
    wait_for_sphere(page)
    assert_no_exception(page)
    start = page.evaluate(CAMERA_EYE)
    rotate(page)
    page.wait_for_timeout(300)
    turned = page.evaluate(CAMERA_EYE)
    assert max(abs(a - b) for a, b in zip(turned, start, strict=True)) > 0.2, (start, turned)

    page.evaluate(WATCH_LIVE_CHARTS)
    draws, step = page.evaluate(DRAWS), page.evaluate(STEP)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({DRAWS})() >= {draws + 10} && ({STEP})() > {step}", timeout=60_000)
    kept = page.evaluate(CAMERA_EYE)
    assert kept == pytest.approx(turned, abs=1e-6), "the rotated camera was lost while training"
    rotate(page, -0.15, 0.05)  # and a second turn while it trains
    page.wait_for_timeout(200)
    again = page.evaluate(CAMERA_EYE)
    draws = page.evaluate(DRAWS)
    page.wait_for_function(f"() => ({DRAWS})() >= {draws + 8}", timeout=60_000)
    assert page.evaluate(CAMERA_EYE) == pytest.approx(again, abs=1e-6)
    assert page.evaluate(LIVE_CHART_MARKERS)[:1] == [1], "the sphere's chart was remounted"
    assert page.evaluate("() => window.__watch.removed") == 0

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=30_000)  # a loaded machine
    assert_no_exception(page)
    assert errors == []
    screenshots_at_both_sizes(page, "train_sphere")
    assert errors == []


def test_the_sphere_page_keeps_the_camera_when_the_member_changes(page, app_url):
    errors = console_errors(page)
    page.goto(f"{app_url}/sphere")
    wait_ready(page, timeout=90_000)
    wait_for_sphere(page)
    assert_no_exception(page)
    page.evaluate(WATCH_LIVE_CHARTS)
    rotate(page, 0.2, -0.1)
    page.wait_for_timeout(300)
    turned = page.evaluate(CAMERA_EYE)
    draws = page.evaluate(DRAWS)
    page.locator('[data-testid="stSidebar"]').get_by_text("ArcFace", exact=True).click()
    page.wait_for_function(f"() => ({DRAWS})() > {draws}", timeout=30_000)
    wait_ready(page)
    title = page.locator(f"{LIVE_CHART} .annotation-text").first.text_content()
    assert "ArcFace m = 28.6°" in title  # degrees, as on /binary
    assert page.evaluate(CAMERA_EYE) == pytest.approx(turned, abs=1e-6), "the camera was lost on a new member"
    assert page.evaluate(LIVE_CHART_MARKERS) == [1], "the chart was remounted"
    assert "loss=ArcFace" in page.url
    page.locator('[data-testid="stSidebar"]').get_by_text("octahedron", exact=True).click()
    page.wait_for_url("**preset=octahedron*", timeout=30_000)  # the key, not the radio's caption
    assert re.search(r"preset=octahedron(&|$)", page.url), page.url
    wait_ready(page)
    assert_no_exception(page)
    screenshots_at_both_sizes(page, "sphere")
    assert errors == []
