"""The training page's controls in a real browser at a projector's 1024x768 and a phone's 390x844:
every button label fits, m is disabled in compare mode, a reset says why, K and the numbers
beside the curves are shown. Screenshots go to test-results/ (ignored by git)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, assert_no_exception, wait_ready

SHOTS = ROOT / "test-results"
# Buttons whose text is cut short (an ellipsis, or text wider than its box), with their text.
CUT_BUTTONS = """() => [...document.querySelectorAll('[data-testid="stMain"] button')]
  .filter((button) => button.offsetParent !== null && button.innerText.trim())
  .filter((button) => [button, ...button.querySelectorAll('*')].some((el) => el.scrollWidth > el.clientWidth + 1))
  .map((button) => button.innerText.trim())"""


def open_train(page, app_url, query=""):
    page.goto(f"{app_url}/train{query}")
    wait_ready(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart')]"
        ".filter((c) => c.querySelector('svg.main-svg g.trace')).length >= 2",
        timeout=60_000,
    )
    assert_no_exception(page)


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)], ids=["projector", "phone"])
def test_every_button_label_fits_and_the_numbers_are_shown(page, app_url, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_train(page, app_url)
    for name in ("Play", "Pause", "Step", "Reset", "New seed"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    assert page.evaluate(CUT_BUTTONS) == []
    page.get_by_role("button", name="Step", exact=True).click()
    status = page.locator(".st-key-train_status")
    expect(status).to_contain_text(re.compile(r"epoch \d+\.\d · step 10\b"))
    numbers = page.locator(".st-key-train_numbers")
    expect(numbers).to_contain_text("test loss")
    expect(numbers).to_contain_text(re.compile(r"\d\.\d{4}"))
    assert_no_exception(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"train-{width}x{height}.png"))
    content = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(5000, max(height, int(content)))})
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / f"train-{width}x{height}-full.png"))


def test_compare_mode_disables_m_and_a_reset_says_why(page, app_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_train(page, app_url, "?compare_ms=1,2,3,4")
    expect(page.locator(".st-key-ts_m input[type='range']")).to_be_disabled()
    open_train(page, app_url, "?dataset=gaussians")
    k_box = page.get_by_role("spinbutton", name="Classes K")
    expect(k_box).to_have_value("2")
    expect(k_box).to_be_disabled()
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator(".st-key-train_status")).to_contain_text("step 10")
    thumb = page.locator(".st-key-ts_m input[type='range']")
    thumb.focus()
    thumb.press("ArrowLeft")
    notice = page.locator(".st-key-train_restarted")
    expect(notice).to_contain_text("Restarted at step 0: m changed (it was at step 10).")
    expect(page.locator(".st-key-train_status")).to_contain_text("step 0")
    assert_no_exception(page)


def test_an_upload_shows_k_and_its_label_mapping(page, app_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_train(page, app_url)
    rows = "".join(f"{i % 7},{(i * 3) % 5},{('dog', 'cat', 'bird')[i % 3]}\n" for i in range(30))
    upload = {"name": "pets.csv", "mimeType": "text/csv", "buffer": ("x,y,label\n" + rows).encode()}
    page.locator(".st-key-train_csv input[type='file']").set_input_files(files=[upload])
    expect(page.get_by_text("Labels: bird = class 1, cat = class 2, dog = class 3")).to_be_visible(timeout=30_000)
    k_box = page.get_by_role("spinbutton", name="Classes K")
    expect(k_box).to_have_value("3")
    expect(k_box).to_be_disabled()
    assert_no_exception(page)
