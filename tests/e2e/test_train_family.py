"""/train with the margin family in a real browser: a member from a link, the scale warning and
its fix, compare mode over members (softmax, L-Softmax, CosFace, ArcFace) playing with the charts
updated in place, a typed compare entry, zero console errors. Screenshots at a projector's
1024x768 and a phone's 390x844 go to test-screenshots/."""

import json
import time
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_CHART_MARKERS, WATCH_LIVE_CHARTS, assert_no_exception, console_errors, screenshot
from tests.e2e.test_train_page import open_train, status_step

FAMILY_NAMES = ("softmax", "L-Softmax m=4", "CosFace m=0.35 s=2", "ArcFace m=28.6° s=2")


def sidebar_button(page, name: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)], ids=["projector", "phone"])
def test_a_large_scale_warns_the_fix_applies_and_family_compare_plays_in_place(page, app_url, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    errors = console_errors(page)
    open_train(page, app_url, "?member=arcface&scale=64")
    warning = page.locator(".st-key-train_scale_warning")
    expect(warning).to_contain_text("ArcFace m=28.6° s=64: known not to converge reliably on 2-D features")
    screenshot(page, f"train_family_warning_{width}x{height}", max_height=height)
    warning.get_by_role("button", name="Use s = 2").click()
    expect(warning).to_have_count(0)
    expect(page.locator(".st-key-train_status")).to_contain_text("ArcFace m=28.6° s=2: test acc")
    assert "scale=" not in page.url  # s = 2 is the default: the link leaves it out

    if width < 600:
        page.get_by_test_id("stExpandSidebarButton").click()
    sidebar_button(page, "Compare softmax, L-Softmax, CosFace, ArcFace").click()
    expect(page.locator(".st-key-train_status")).to_contain_text("ArcFace m=28.6° s=2: test acc")
    wanted = [f"features, {name}" for name in FAMILY_NAMES]
    page.wait_for_function(
        f"""() => JSON.stringify([...document.querySelectorAll('.lsoftmax-live-chart .annotation-text')]
          .map((t) => t.textContent).filter((t) => t.startsWith('feature')).map((t) => t.split(' (±')[0]))
          === {json.dumps(json.dumps(wanted, ensure_ascii=False, separators=(",", ":")))}""",
        timeout=30_000,
    )  # the panel titles name each model (the single model's chart is gone)
    assert "compare=softmax,lsoftmax:4,cosface:0.35:2,arcface:28.65:2" in unquote(page.url)
    if width < 600:
        page.get_by_test_id("stSidebarCollapseButton").click()

    page.evaluate(WATCH_LIVE_CHARTS)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => +document.querySelector('.lsoftmax-live-chart').dataset.step >= 60", timeout=90_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_enabled()
    assert status_step(page) >= 60
    watch = page.evaluate("() => window.__watch")
    assert page.evaluate(LIVE_CHART_MARKERS) == [1, 2], "a live chart was remounted"
    assert watch["removed"] == 0 and watch["blankFrames"] == 0, watch
    status = page.locator(".st-key-train_status").inner_text()
    assert all(f"{name}: test acc" in status for name in FAMILY_NAMES), status
    expect(page.locator(".st-key-train_numbers")).to_contain_text("CosFace m=0.35 s=2")
    assert_no_exception(page)
    page.mouse.move(5, 5)
    time.sleep(0.5)
    screenshot(page, f"train_family_compare_{width}x{height}")
    assert errors == [], "\n".join(errors)


def test_a_typed_compare_entry_and_a_member_chosen_in_the_sidebar(page, app_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    errors = console_errors(page)
    open_train(page, app_url, "?compare=softmax")
    box = page.locator(".st-key-ts_compare input")
    box.click()
    box.press_sequentially("arcface:10:3")  # typed as a user does (the menu offers "Add: arcface:10:3")
    box.press("Enter")
    expect(page.locator(".st-key-train_status")).to_contain_text("ArcFace m=10° s=3: test acc", timeout=30_000)
    assert "compare=softmax,arcface:10:3" in unquote(page.url)
    box.click()
    for _ in range(2):  # back to one model: remove both entries from the keyboard
        box.press("Backspace")
    page.locator(".st-key-ts_member").click()  # the click outside closes the menu and sends the change
    expect(page.locator(".st-key-train_status")).to_contain_text("· L-Softmax m=4: test acc", timeout=30_000)
    page.locator(".st-key-ts_member").click()
    page.get_by_role("option", name="CosFace (AM-Softmax)").click()
    expect(page.locator(".st-key-train_status")).to_contain_text("CosFace m=0.35 s=2: test acc")
    expect(page.locator(".st-key-ts_cosface_m input")).to_have_value("0.35")
    expect(page.locator(".st-key-ts_scale input")).to_have_value("2")
    assert "member=cosface" in page.url
    assert_no_exception(page)
    assert errors == [], "\n".join(errors)
