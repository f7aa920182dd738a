"""The app starts in a real browser and the About page renders without exceptions."""

from tests.e2e.conftest import assert_no_exception, screenshot, wait_ready


def test_about_page_renders(page, app_url):
    page.goto(app_url)
    wait_ready(page)
    assert page.get_by_role("heading", name="L-Softmax Lab").is_visible()
    page.wait_for_function("() => document.querySelectorAll('.katex').length >= 1")  # formulas typeset
    assert_no_exception(page)
    screenshot(page, "about")
