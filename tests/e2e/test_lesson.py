"""The guided lesson in a real browser: Next moves and writes ?step=, the explorer link opens the
exact state on the target page (the binary page, the family page for L-Softmax's successors), a
bad step shows the notice, and the binary page's GIF download delivers an animated GIF. Saves the
README screenshot lesson.png."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, screenshot, wait_ready


def heading(page):
    return page.locator('[data-testid="stHeading"] h2').first


def test_next_twice_then_the_explorer_link_opens_the_state(page, app_url):
    page.goto(f"{app_url}/lesson")
    wait_ready(page)
    expect(heading(page)).to_contain_text("1. Plain softmax")
    for number in (2, 3):  # one click per rerun: wait for each step before the next click
        page.locator(".st-key-next button").click()
        expect(heading(page)).to_contain_text(f"{number}. ", timeout=20_000)
    expect(heading(page)).to_contain_text("3. m = 2 opens a margin")
    expect(page).to_have_url(re.compile(r"/lesson\?(.*&)?step=3"))
    expect(page.locator(".js-plotly-plot .annotation-text").filter(has_text="margin 30.0°")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "lesson")

    with page.context.expect_page() as opened:  # a new tab: the lesson stays where it was
        page.get_by_role("link", name=re.compile("Open this in the explorer")).click()
    explorer = opened.value
    expect(explorer).to_have_url(re.compile(r"/binary\?.*m=2"), timeout=20_000)
    wait_ready(explorer)
    expect(explorer.get_by_role("slider", name=re.compile("margin m"))).to_have_attribute("aria-valuetext", "2")
    expect(explorer.locator('[data-testid="stMetricValue"]').first).to_have_text("30.00°")  # 1/3 of 90
    assert_no_exception(explorer)
    expect(heading(page)).to_contain_text("3. m = 2 opens a margin")
    explorer.close()


def test_the_arrow_keys_step_through_the_lesson(page, app_url):
    page.goto(f"{app_url}/lesson?step=2")
    wait_ready(page)
    expect(heading(page)).to_contain_text("2. ")
    page.locator("body").press("ArrowRight")
    expect(heading(page)).to_contain_text("3. ", timeout=20_000)
    wait_ready(page)
    page.locator("body").press("ArrowLeft")
    expect(heading(page)).to_contain_text("2. ", timeout=20_000)
    wait_ready(page)
    slider = page.locator('.lsoftmax-live-controls input[data-key="mmax"]')  # a focused slider keeps its keys
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_timeout(500)
    expect(heading(page)).to_contain_text("2. ")
    assert_no_exception(page)


def test_a_deep_link_opens_its_step_and_a_bad_one_warns(page, app_url):
    page.goto(f"{app_url}/lesson?step=6")
    wait_ready(page)
    expect(heading(page)).to_contain_text("6. λ annealing")
    page.goto(f"{app_url}/lesson?step=99")
    wait_ready(page)
    expect(page.get_by_text("step=99 is outside 1..12")).to_be_visible()
    expect(heading(page)).to_contain_text("1. Plain softmax")
    assert_no_exception(page)


def test_a_successor_step_opens_its_state_on_the_family_page(page, app_url):
    page.goto(f"{app_url}/lesson?step=11")
    wait_ready(page, timeout=90_000)
    expect(heading(page)).to_contain_text("11. ArcFace")
    legend = page.locator(".js-plotly-plot .legendtext")
    expect(legend.filter(has_text="ArcFace m = 28.6°")).to_have_count(1)
    expect(legend.filter(has_text="A-Softmax")).to_have_count(0)  # the step hides what it does not discuss
    assert_no_exception(page)
    screenshot(page, "lesson-arcface")

    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Open this in the explorer")).click()
    explorer = opened.value
    expect(explorer).to_have_url(re.compile(r"/family\?sf=false&cm=false"), timeout=20_000)
    wait_ready(explorer, timeout=90_000)
    arcface = explorer.locator('[data-testid="stTable"] tr').filter(has_text="ArcFace m = 28.6°")
    expect(arcface).to_contain_text("28.648")
    expect(explorer.locator('[data-testid="stTable"] tr').filter(has_text="A-Softmax")).to_have_count(0)
    assert_no_exception(explorer)
    explorer.close()


def test_the_binary_page_downloads_the_m_sweep_gif(page, app_url):
    page.goto(f"{app_url}/binary?m=3")
    wait_ready(page)
    with page.expect_download() as download_info:
        page.locator(".st-key-sweep-gif button").click()
    download = download_info.value
    data = Path(download.path()).read_bytes()
    assert data[:6] == b"GIF89a" and 10_000 < len(data) < 1_000_000
    assert download.suggested_filename.endswith(".gif")
    expect(page.locator(".js-plotly-plot .modebar-btn[data-title='Download plot as a PNG']").first).to_be_attached()
    assert_no_exception(page)
