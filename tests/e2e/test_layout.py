"""Every page at a projector's, a laptop's and a phone's size, and in presenter mode: nothing
clipped, chart text big enough and dark, labels that do not overlap, the figure in view while a
control moves. Screenshots of each case go to test-results/layout/ (look at them)."""

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, assert_no_exception, wait_ready

SHOTS = ROOT / "test-results" / "layout"
PAGES = ["", "lesson", "binary", "multiclass?k=10", "psi"]
VIEWPORTS = [(1024, 768), (390, 844), (1280, 720)]
PRESENT_VIEWPORTS = [(1024, 768), (1280, 720), (1920, 1080)]
# Buttons, widget labels, metric labels and headings whose text does not fit their box.
CLIPPED = """() => [...document.querySelectorAll(`button, label, [data-testid="stWidgetLabel"],
    [data-testid="stMetricLabel"], h1, h2, h3, .lsoftmax-live-controls span`)]
  .filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
  .filter((el) => !el.closest('section[data-testid="stSidebar"][data-collapsed="true"]')) // folded away
  .map((el) => `${el.tagName}: ${el.textContent.trim().slice(0, 60)} (${el.scrollWidth} > ${el.clientWidth})`)"""
# Font sizes (px) of the text elements of every plotly chart (subscripts excluded), with their text.
CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot svg.main-svg text')]
  .filter((el) => el.textContent.trim() && el.getBoundingClientRect().width > 0)
  .map((el) => {
    const style = getComputedStyle(el);
    return [parseFloat(style.fontSize), style.fill, el.textContent.trim().slice(0, 30)];
  })"""
# Boxes of the annotation texts of the chart in `selector`.
NOTE_BOXES = """(selector) => [...document.querySelectorAll(selector + ' .annotation-text')]
  .filter((el) => el.textContent.trim())
  .map((el) => {
    const box = el.getBoundingClientRect();
    return [el.textContent.trim(), box.left, box.top, box.right, box.bottom];
  })"""


def open_page(page, app_url, path, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(f"{app_url}/{path}")
    wait_ready(page)
    if "lesson" in path or path in ("binary", "multiclass?k=10", "psi") or path.startswith(("binary", "psi")):
        page.wait_for_selector(".js-plotly-plot svg.main-svg g.trace", timeout=30_000)
    page.wait_for_timeout(400)  # plotly's relayout to the final size


def save(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def name_of(path: str, viewport, present=False) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", path or "about").strip("-")
    return f"{base}-{viewport[0]}x{viewport[1]}{'-present' if present else ''}"


def assert_chart_text(page, minimum: float) -> None:
    texts = page.evaluate(CHART_TEXT)
    small = [text for text in texts if text[0] < minimum - 0.01]
    assert not small, f"chart text under {minimum} px: {small[:8]}"
    faded = [text for text in texts if text[1] in ("rgb(128, 132, 149)",)]  # Streamlit's grey ticks
    assert not faded, f"grey chart text: {faded[:5]}"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("path", PAGES)
def test_nothing_is_clipped_and_chart_text_is_readable(page, app_url, path, viewport):
    open_page(page, app_url, path, viewport)
    save(page, name_of(path, viewport))
    assert page.evaluate(CLIPPED) == []
    assert_chart_text(page, 14)
    assert_no_exception(page)


@pytest.mark.parametrize("viewport", PRESENT_VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("path", ["binary", "multiclass?k=10", "psi", "lesson"])
def test_presenter_mode_fills_the_screen(page, app_url, path, viewport):
    joiner = "&" if "?" in path else "?"
    open_page(page, app_url, f"{path}{joiner}present=1", viewport)
    save(page, name_of(path, viewport, present=True))
    expect(page.locator('section[data-testid="stSidebar"]')).to_be_hidden()
    chart = page.locator(".js-plotly-plot").first.bounding_box()
    assert chart["width"] >= 0.6 * viewport[0], chart
    if path != "lesson":  # the explorers' figure fills the height under its bar
        assert chart["y"] + chart["height"] <= viewport[1] + 2 and chart["height"] >= 0.55 * viewport[1], chart
    assert page.evaluate(CLIPPED) == []
    assert_chart_text(page, 18)
    assert_no_exception(page)


def test_the_presenter_toggle_switches_the_mode_and_the_link(page, app_url):
    open_page(page, app_url, "binary", (1280, 720))
    page.get_by_text("Presenter mode").click()
    expect(page.locator('section[data-testid="stSidebar"]')).to_be_hidden()
    expect(page).to_have_url(re.compile(r"present=1"))
    page.get_by_text("Presenter mode").click()
    expect(page.locator('section[data-testid="stSidebar"]')).to_be_visible()
    assert_no_exception(page)


def overlapping(boxes) -> list:
    """Pairs of [text, left, top, right, bottom] boxes that share more than half a pixel."""
    return [
        (a[0], b[0])
        for a, b in itertools.combinations(boxes, 2)
        if a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5 and a[2] < b[4] - 0.5 and b[2] < a[4] - 0.5
    ]


@pytest.mark.parametrize("viewport", [(1400, 1000), (1024, 768), (390, 844)], ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("multiclass?k=10", ".st-key-plane"),
        ("binary?t12=10", ".st-key-plane"),
        ("binary?t12=10&n1=3&lock=false&n2=1.5", ".st-key-plane"),
        ("lesson?step=1", ".st-key-lesson-figure-1"),
        ("lesson?step=8", ".st-key-lesson-figure-8"),
    ],
)
def test_chart_labels_do_not_overlap(page, app_url, path, selector, viewport):
    open_page(page, app_url, path, viewport)
    boxes = page.evaluate(NOTE_BOXES, selector)
    assert len(boxes) >= 3, boxes
    assert overlapping(boxes) == [], boxes


def test_on_a_phone_the_figure_stays_in_view_while_a_control_moves(page, app_url):
    open_page(page, app_url, "binary", (390, 844))
    slider = page.locator('.st-key-plane .lsoftmax-live-controls input[data-key="t12"]')
    slider.scroll_into_view_if_needed()
    slider.focus()
    slider.press("ArrowLeft")
    plot = page.locator(".st-key-plane .nsewdrag").first.bounding_box()
    control = slider.bounding_box()
    visible = max(0.0, min(plot["y"] + plot["height"], 844) - max(plot["y"], 0.0))
    assert control["y"] >= 0 and control["y"] + control["height"] <= 844, control
    assert visible >= 0.6 * plot["height"], (plot, control)
    save(page, "binary-phone-control-in-view")
    assert_no_exception(page)


def test_the_share_link_has_a_qr_code(page, app_url):
    open_page(page, app_url, "binary?m=3", (1024, 768))
    page.get_by_text("QR code of this link").click()
    code = page.locator('[data-testid="stExpander"] img').last
    expect(code).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", code.element_handle()) >= 150
    assert_no_exception(page)


# The training lab: one model and four compared, at a projector's and a phone's size, plain and
# presenting. Its controls stay in the sidebar; Play, Pause, Step and Reset sit above the figure.
TRAIN_BUTTONS = ("Play", "Pause", "Step", "Reset")
# Plot-area boxes (left, top, width, height) of the training figure's panels.
PANEL_BOXES = """(n) => [...document.querySelectorAll('.lsoftmax-live-chart')[n].querySelectorAll('.nsewdrag')]
  .map((el) => { const box = el.getBoundingClientRect(); return [box.left, box.top, box.width, box.height]; })"""


@pytest.mark.parametrize("present", [False, True], ids=["plain", "present"])
@pytest.mark.parametrize("viewport", [(1024, 768), (390, 844)], ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("query", ["", "compare_ms=1,2,3,4"], ids=["single", "compare"])
def test_the_training_lab_fits_and_reads(page, app_url, query, viewport, present):
    path = "train?" + "&".join(part for part in (query, "present=1" if present else "") if part)
    open_page(page, app_url, path, viewport)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart')]"
        ".filter((c) => c.querySelector('svg.main-svg g.trace')).length >= 2",
        timeout=60_000,
    )
    page.wait_for_timeout(400)
    save(page, f"train-{'compare-' if query else ''}{viewport[0]}x{viewport[1]}{'-present' if present else ''}")
    assert page.evaluate(CLIPPED) == []
    assert_chart_text(page, 18 if present else 14)
    chart = page.locator(".lsoftmax-live-chart").first.bounding_box()
    for name in TRAIN_BUTTONS:
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["y"] + box["height"] <= chart["y"], (name, box, chart)  # above the figure
    panels = page.evaluate(PANEL_BOXES, 0)
    assert len(panels) == (4 if query else 2), panels
    # a panel is at least a third of the chart's width (four in a row would be under a quarter);
    # on a phone the panels stack in one column (app/figures/training.py NARROW_BELOW)
    share = 0.6 if viewport[0] < 600 else 1 / 3
    assert min(width for _, _, width, _ in panels) >= share * chart["width"] - 40, (panels, chart)
    if viewport[0] < 600:
        tops = sorted(top for _, top, _, _ in panels)
        assert all(b - a > 100 for a, b in itertools.pairwise(tops)), panels  # one above the other
        curves = sorted(top for _, top, _, _ in page.evaluate(PANEL_BOXES, 1))  # loss, accuracy, lambda
        assert len(curves) >= 3 and all(b - a > 100 for a, b in itertools.pairwise(curves)), curves
    page.locator(".lsoftmax-live-chart").first.scroll_into_view_if_needed()
    page.mouse.move(5, 5)  # hides plotly's mode bar
    page.wait_for_timeout(300)
    save(page, f"train-{'compare-' if query else ''}{viewport[0]}x{viewport[1]}{'-present' if present else ''}-chart")
    assert_no_exception(page)
