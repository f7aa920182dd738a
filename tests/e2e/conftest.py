"""Browser tests: one real `streamlit run` server per session, driven by Debian's Chromium.

A missing /usr/bin/chromium skips these tests on a developer machine and fails them
under CI=true, so a green CI always means the browser tests ran.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ci import running_in_ci

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Screenshots go to an ignored folder; `make screenshots` points this at assets/screenshots
# to refresh the README's images (tests never rewrite tracked files on their own).
SCREENSHOTS = Path(os.environ.get("LSOFTMAX_SCREENSHOT_DIR") or ROOT / "test-screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
    if CHROMIUM.exists():
        return
    message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if running_in_ci():
        raise pytest.UsageError(f"CI=true and {message}")
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(extra_args=(), env=None):
    """Start `streamlit run` on a free port; returns (process, base_url) once healthy."""
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
        "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
        "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", *extra_args,
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{process.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")


def stop_server(process) -> None:
    """Stop a server process (if still running): terminate, and kill it if it has not gone within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url():
    process, url = start_server()
    yield url
    stop_server(process)


def wait_ready(page, timeout=30_000) -> None:
    """Wait until the app is connected, the script has finished and no skeleton remains."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)


# Streamlit's client looks for its server under a deep link's own path first (/train/_stcore/health,
# /train/_stcore/host-config), gets a 404 and then uses the root: its probe, not an error of a page.
STREAMLIT_PROBES = ("/_stcore/health", "/_stcore/host-config")


def console_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on, each with its URL (Streamlit's
    probes left out); a test asserts the list is empty at its end."""
    errors: list[str] = []

    def record(message) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith(STREAMLIT_PROBES):
            errors.append(f"{message.text} ({url})")

    page.on("console", record)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_no_exception(page) -> None:
    """No traceback on the page and no "Page not found" dialog."""
    count = page.locator('[data-testid="stException"]').count()
    assert count == 0, page.locator('[data-testid="stException"]').first.inner_text()
    assert page.get_by_text("Page not found").count() == 0, "the URL did not match a page"


def screenshot(page, name: str, max_height: int = 4000) -> Path:
    """Save the whole page to SCREENSHOTS/<name>.png (test-screenshots/ unless `make screenshots`).

    Streamlit scrolls inside its own container, so a full-page capture would stop at the
    window: the window is made as tall as the content for the shot, then put back.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    content = page.evaluate(
        """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]']
            .map(selector => document.querySelector(selector))
            .filter(Boolean).map(element => element.scrollHeight))"""
    )
    height = min(max_height, max(viewport["height"], int(content)))
    page.set_viewport_size({"width": viewport["width"], "height": height})
    try:
        page.wait_for_timeout(300)  # let plotly re-layout to the new window
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


LIVE_CHART = ".lsoftmax-live-chart"  # the in-place plotly div of app.live_chart
# From now on: a marker on each live chart's div (a remount would lose it), removals of chart
# nodes, and animation frames where a chart had no drawn trace (a blink).
WATCH_LIVE_CHARTS = """() => {
  const charts = [...document.querySelectorAll('.lsoftmax-live-chart')];
  charts.forEach((chart, index) => { chart.__marker = index + 1; });
  window.__watch = { removed: 0, blankFrames: 0, frames: 0 };
  new MutationObserver((mutations) => {
    for (const mutation of mutations) for (const node of mutation.removedNodes) {
      if (node.nodeType === 1 && (node.matches('.lsoftmax-live-chart') || node.querySelector('.lsoftmax-live-chart')))
        window.__watch.removed += 1;
    }
  }).observe(document.body, { childList: true, subtree: true });
  const check = () => {
    window.__watch.frames += 1;
    const now = [...document.querySelectorAll('.lsoftmax-live-chart')];
    if (now.length < charts.length || now.some((chart) => !chart.querySelector('svg.main-svg g.trace')))
      window.__watch.blankFrames += 1;
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""
# The markers WATCH_LIVE_CHARTS set, read back: [1, 2, ...] while no chart was remounted.
LIVE_CHART_MARKERS = "() => [...document.querySelectorAll('.lsoftmax-live-chart')].map((chart) => chart.__marker)"


def zoom_with_the_mouse(page, start: float = 0.3, end: float = 0.7) -> None:
    """Drag a zoom box over the first live chart, from start to end (fractions of its plot area)."""
    box = page.locator(f"{LIVE_CHART} .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start, box["y"] + box["height"] * start)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, box["y"] + box["height"] * end, steps=8)
    page.mouse.up()
