"""The margin family page in a real browser: both charts draw, a member's slider moves its row of
check values, its legend entry and the link; a toggle hides a member; a deep link restores the
state and a bad one shows the notice; no exception and no console error. Screenshots at a
projector's and a phone's size, and presenting (test-screenshots/family-*.png: look at them)."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_CHART, STREAMLIT_PROBES, assert_no_exception, console_errors, screenshot, wait_ready
from tests.e2e.test_layout import CLIPPED, assert_chart_text

CHARTS_DRAWN = f"() => [...document.querySelectorAll('{LIVE_CHART}')].filter((c) => c.querySelector('g.trace')).length"
LEGEND = f"(n) => [...document.querySelectorAll('{LIVE_CHART}')[n].querySelectorAll('.legendtext')]" + (
    ".map((t) => t.textContent)"
)


def watch_console(page) -> list[str]:
    """Console errors, uncaught page errors and failed requests (but Streamlit's probes) from now on."""
    errors = console_errors(page)

    def on_response(response):
        if response.status >= 400 and not response.url.endswith(STREAMLIT_PROBES):
            errors.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    return errors


def open_family(page, app_url, query="", viewport=(1024, 768)):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(f"{app_url}/family{query}")
    wait_ready(page, timeout=90_000)  # a cold server computes every member's curves first
    page.wait_for_function(f"() => ({CHARTS_DRAWN})() === 2", timeout=30_000)
    page.wait_for_timeout(400)  # plotly's relayout to the final size


def table_row(page, start: str):
    return page.locator('[data-testid="stTable"] tr').filter(has_text=re.compile(f"^{re.escape(start)}"))


def nudge(page, key: str, presses: int = 1) -> None:
    thumb = page.locator(f".st-key-{key} input[type='range']")
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight")


@pytest.mark.parametrize("viewport", [(1024, 768), (390, 844)], ids=lambda v: f"{v[0]}x{v[1]}")
def test_a_slider_moves_its_member_and_the_link(page, app_url, viewport):
    errors = watch_console(page)
    open_family(page, app_url, viewport=viewport)
    expect(table_row(page, "L-Softmax m = 2")).to_contain_text("30.000")
    expect(table_row(page, "CosFace m = 0.35")).to_contain_text("40.975")
    assert page.evaluate(LEGEND, 0)[0] == "softmax θ1 = θ2"
    screenshot(page, f"family-{viewport[0]}x{viewport[1]}")
    assert page.evaluate(CLIPPED) == []
    assert_chart_text(page, 14)
    nudge(page, "ls_m")  # m = 3: (3 - 1)/(3 + 1) * 90 = 45
    expect(table_row(page, "L-Softmax m = 3")).to_contain_text("45.000", timeout=20_000)
    expect(page).to_have_url(re.compile(r"/family\?(.*&)?ls_m=3"))
    wait_ready(page)
    assert "L-Softmax m = 3" in page.evaluate(LEGEND, 0) and "L-Softmax m = 3" in page.evaluate(LEGEND, 1)
    page.locator(".st-key-af").get_by_text("ArcFace").click()  # hide ArcFace
    expect(table_row(page, "ArcFace")).to_have_count(0, timeout=20_000)
    expect(page).to_have_url(re.compile(r"af=false"))
    wait_ready(page)
    assert not any(name.startswith("ArcFace") for name in page.evaluate(LEGEND, 1))
    expect(page.locator("code").filter(has_text="ls_m=3&af=false")).to_be_visible()
    assert_no_exception(page)
    assert errors == []


def test_a_deep_link_restores_the_state_and_a_bad_one_warns(page, app_url):
    errors = watch_console(page)
    open_family(page, app_url, "?af_m=10&cf=false&ls_r=2")
    expect(table_row(page, "ArcFace m = 10.0°")).to_contain_text("10.000")
    expect(table_row(page, "CosFace")).to_have_count(0)
    expect(table_row(page, "L-Softmax m = 2, |W1|/|W2| = 2")).to_be_visible()
    open_family(page, app_url, f"?ls_m=abc&af_m={quote('[x](https://evil.example)')}")
    alerts = page.locator('[data-testid="stAlert"]')
    expect(alerts.filter(has_text="ls_m=abc is not a number; using the default 2")).to_be_visible()
    shown = "\n".join(alerts.all_inner_texts()).replace("\u2060", "")  # word joiners break URLs up
    assert "af_m=[x](https://evil.example) is not a number" in shown, shown
    assert alerts.locator("a, img").count() == 0  # the user's text is shown as text, not a link
    expect(table_row(page, "L-Softmax m = 2")).to_contain_text("30.000")
    assert_no_exception(page)
    assert errors == []


@pytest.mark.parametrize("viewport", [(1024, 768), (1920, 1080)], ids=lambda v: f"{v[0]}x{v[1]}")
def test_presenter_mode_shows_the_controls_and_big_charts(page, app_url, viewport):
    errors = watch_console(page)
    open_family(page, app_url, "?present=1", viewport)
    screenshot(page, f"family-{viewport[0]}x{viewport[1]}-present")
    expect(page.locator('section[data-testid="stSidebar"]')).to_be_hidden()
    plane, wedge = (page.locator(LIVE_CHART).nth(index).bounding_box() for index in (0, 1))
    assert plane["y"] + plane["height"] / 2 < viewport[1], plane  # the first figure is mostly on the screen
    # each member's box is a button over the figures; opened, its sliders work and the figure follows
    slider = page.locator(".st-key-ls_m input[type='range']")
    expect(slider).to_be_hidden()
    page.get_by_role("button", name="L-Softmax", exact=True).click()
    expect(slider).to_be_visible()
    slider.focus()
    page.keyboard.press("ArrowRight")  # L-Softmax m = 2 -> 3
    legend = f"() => document.querySelector('{LIVE_CHART}').textContent.includes('L-Softmax m = 3')"
    page.wait_for_function(legend, timeout=30_000)
    wait_ready(page)
    assert "ls_m=3" in page.url
    page.keyboard.press("Escape")
    if viewport[0] >= 1280:  # a wide projector: the two figures side by side, together the screen's width
        assert abs(plane["y"] - wedge["y"]) < 2 and wedge["x"] > plane["x"] + plane["width"] - 2, (plane, wedge)
        assert plane["width"] + wedge["width"] >= 0.9 * viewport[0], (plane, wedge)
    else:  # one under the other, each the screen's width
        assert wedge["y"] >= plane["y"] + plane["height"] - 2, (plane, wedge)
        assert min(plane["width"], wedge["width"]) >= 0.9 * viewport[0], (plane, wedge)
    assert page.evaluate(CLIPPED) == []
    assert_chart_text(page, 18)
    assert_no_exception(page)
    assert errors == []
