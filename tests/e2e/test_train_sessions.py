"""Several browser sessions play /train on one server at once: every one of them advances.

Before the turns (app.training_session.Turns), a busy server stalled most sessions: their
ticks found the training semaphore taken and redrew the same figure. Here each session must
see its chart's step grow several times while all of them play. Plotly's drawing is a no-op
in these pages (as in bench/load.py), so the browsers cost little; nothing here is timed.
"""

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception

SESSIONS = 4
# Before any page script: Plotly.react resolves at once; each figure the main chart gets is counted.
STUB_PLOTLY = """(() => {
  window.__steps = [];
  let real;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get() { return real; },
    set(value) {
      real = value;
      value.react = (host) => {
        if (host === document.querySelector('.lsoftmax-live-chart')) window.__steps.push(host.dataset.step);
        return Promise.resolve(host);
      };
      value.Plots.resize = () => {};
    },
  });
})()"""
STEPS = "() => +(document.querySelector('.lsoftmax-live-chart')?.dataset.step || 0)"


def test_every_one_of_several_playing_sessions_keeps_advancing(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(SESSIONS)]
    try:
        pages = []
        for index, context in enumerate(contexts):
            context.add_init_script(STUB_PLOTLY)
            page = context.new_page()
            page.goto(f"{app_url}/train" + ("?compare_ms=1,2,3,4" if index % 2 else ""))
            pages.append(page)
        for page in pages:
            page.wait_for_function("() => window.__steps.length >= 1", timeout=90_000)
            page.get_by_role("button", name="Play").click()
        starts = [(page.evaluate(STEPS), page.evaluate("() => window.__steps.length")) for page in pages]
        for page, (step, updates) in zip(pages, starts, strict=True):  # every session: 3 new figures, a later step
            advanced = f"() => window.__steps.length >= {updates} + 3 && ({STEPS})() > {step}"
            page.wait_for_function(advanced, timeout=90_000)
        for page in pages:
            page.get_by_role("button", name="Pause").click()
            expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=30_000)
            assert page.locator("text=The server is busy").count() == 0
            assert_no_exception(page)
    finally:
        for context in contexts:
            context.close()
