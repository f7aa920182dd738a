"""Two replicas behind HAProxy (deploy/haproxy.cfg) on loopback, driven by real browsers.

Sessions spread over the replicas and stick to one (cookie affinity, websocket through the
proxy); when one replica dies, its sessions reconnect to the other with their settings from
the URL and the lost-run notice, while the other replica's sessions never notice. The proxy
closes /_stcore/metrics and sends a framing policy.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

import pytest

from tests.ci import skip_or_fail
from tests.e2e.conftest import ROOT, assert_no_exception, wait_ready
from tests.e2e.replicas import COOKIE, HAPROXY, cluster

RESULTS = ROOT / "test-results"  # ignored by git
SESSIONS = 4
QUERY = "?hidden_width=16&m=2"  # settings that must survive the move
STUB_PLOTLY = "window.Plotly = {react: async () => {}, Plots: {resize() {}}};"  # drawing costs nothing
WATCH_CONNECTION = """() => {
  window.__states = [];
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => window.__states.push(app.dataset.testConnectionState))
    .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""

if not os.path.exists(HAPROXY):
    skip_or_fail("HAProxy is not installed (apt-get install haproxy)", module=True)


def chart_step(page) -> int:
    return page.evaluate("() => +(document.querySelector('.lsoftmax-live-chart')?.dataset.step || 0)")


def lost_notice(page):
    return page.get_by_text("This run was lost")


def open_and_play(context, url):
    page = context.new_page()
    # Streamlit's own warnings and errors in the browser (why a page lost its websocket), for failures
    problems = page.console_problems = []

    def keep_problem(message):
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", keep_problem)
    page.goto(f"{url}/train{QUERY}")
    wait_ready(page, timeout=90_000)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => +(document.querySelector('.lsoftmax-live-chart')?.dataset.step || 0) > 0",
                           timeout=90_000)  # fmt: skip
    page.evaluate(WATCH_CONNECTION)
    return page


def affinity_cookie(context) -> str:
    return next(cookie["value"] for cookie in context.cookies() if cookie["name"] == COOKIE)


def test_the_proxy_closes_metrics_and_forbids_framing():
    with cluster(1) as running:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{running.url}/_stcore/metrics", timeout=5)
        assert refused.value.code == 404
        with urllib.request.urlopen(f"{running.url}/train", timeout=10) as response:
            headers = response.headers
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert COOKIE in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
        assert running.active_sessions(0) == 0  # the replica itself still serves them, on loopback


def test_sessions_spread_stick_and_survive_a_dead_replica(browser):
    with cluster(2) as running:
        contexts = [browser.new_context(viewport={"width": 1024, "height": 768}) for _ in range(SESSIONS)]
        for context in contexts:
            context.add_init_script(STUB_PLOTLY)
        pages = [open_and_play(context, running.url) for context in contexts]
        counts = [running.active_sessions(0), running.active_sessions(1)]
        assert sum(counts) == SESSIONS and min(counts) >= 1, counts  # spread over both
        cookies = [affinity_cookie(context) for context in contexts]
        assert len(set(cookies)) == 2, cookies  # one cookie per replica, the websocket followed it

        running.kill(0)
        time.sleep(1)
        # Replica 0's sessions are exactly one cookie group; find it by who reports the loss.
        deadline = time.monotonic() + 90
        lost = []
        while time.monotonic() < deadline and len(lost) < counts[0]:
            lost = [index for index, page in enumerate(pages) if lost_notice(page).count()]
            time.sleep(0.5)
        assert len(lost) == counts[0], (lost, counts)
        kept = [index for index in range(SESSIONS) if index not in lost]
        assert {cookies[index] for index in lost} & {cookies[index] for index in kept} == set()
        assert len({cookies[index] for index in lost}) == 1

        for index in lost:
            page = pages[index]
            wait_ready(page, timeout=60_000)
            assert_no_exception(page)
            assert "hidden_width=16" in page.url and "m=2" in page.url
            width = page.get_by_label("Units per hidden layer")
            assert width.input_value() == "16"  # the settings came back from the URL
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / "replicas-lost-run.png"))
            page.get_by_role("button", name="Start it again").click()
            page.wait_for_function("() => +(document.querySelector('.lsoftmax-live-chart')?.dataset.step || 0) > 0",
                                   timeout=60_000)  # fmt: skip
            assert affinity_cookie(contexts[index]) == cookies[kept[0]]  # now pinned to the live replica
            page.evaluate(WATCH_CONNECTION)  # from here on it should stay connected too

        for index in kept:  # the other replica's sessions never noticed
            page = pages[index]
            before = chart_step(page)
            page.wait_for_function(f"() => +document.querySelector('.lsoftmax-live-chart').dataset.step > {before}",
                                   timeout=30_000)  # fmt: skip
            assert set(page.evaluate("() => window.__states")) <= {"CONNECTED"}  # never lost its websocket
            assert not lost_notice(page).count()
            assert affinity_cookie(contexts[index]) == cookies[index]
        # Every page now lives on replica 1; the gauge counts websockets that are open right now, so a
        # page in the middle of a reconnect (a missed ping on a loaded machine) is briefly missing.
        deadline = time.monotonic() + 30
        while (active := running.active_sessions(1)) != SESSIONS and time.monotonic() < deadline:
            time.sleep(0.5)
        states = [page.evaluate("() => window.__states") for page in pages]
        assert active == SESSIONS, (active, states, [page.console_problems[-5:] for page in pages])
        for context in contexts:
            context.close()
