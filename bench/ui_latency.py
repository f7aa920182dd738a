"""The geometry pages in a real browser: time from a slider change to the updated chart, and the
websocket bytes each update costs, over ~20 changes per scenario; prints a markdown table.

    .venv/bin/python -m bench.ui_latency            # 20 changes per scenario
    .venv/bin/python -m bench.ui_latency --changes 10

A real `streamlit run` (tests.e2e.conftest.start_server) and Debian's Chromium. Each change is
one ArrowRight on a focused slider thumb, to a value not seen before (so the server's caches
miss). The clock starts in the page just before the key goes down and stops on the first
animation frame where the chart shows the new state: for an app.live_chart div, its data-draws
counter advanced (Plotly.react has finished on the same node); for any other plotly chart, a
new plot node or new text in it. "remounts" counts the changes that replaced the plot node.
Bytes are the websocket frames received from the key press until the script has finished;
"ms to chart bytes" is when the frame with the new figure arrived (server + network; the rest
of the latency is the browser drawing it), timed in this process.
The goal on this machine: median under 250 ms and under 150 KB per update.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.browser import new_page, served_app
from tests.e2e.conftest import wait_ready

# name -> (path with query, chart container key, slider key)
SCENARIOS = {
    "binary: θ12 slider": ("binary", "plane", "t12"),
    "binary: θ12, L-Softmax field on": ("binary?field=L-Softmax", "plane", "t12"),
    "binary: sample angle": ("binary", "plane", "xa"),
    "K classes: W2 angle": ("multiclass", "plane", "a2"),
    "psi: λ slider": ("psi", "psi", "lam"),
}
ARM = """(key) => {
  const selector = '.st-key-' + key + ' .js-plotly-plot';
  const plot = document.querySelector(selector);
  plot.__old = true;
  const before = plot.textContent;
  const draws = plot.dataset.draws;  // set by app.live_chart after each Plotly.react
  window.__done = null;
  window.__remounted = false;
  const t0 = performance.now();
  const updated = (now) => {
    if (!now.__old) return true;  // a new plot node: the chart was remounted
    return draws === undefined ? now.textContent !== before : now.dataset.draws !== draws;
  };
  const check = () => {
    const now = document.querySelector(selector);  // the container itself may be replaced
    const drawn = now && now.querySelector('svg.main-svg g.trace');
    if (drawn && updated(now)) {
      window.__done = performance.now() - t0;
      window.__remounted = !now.__old;
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""


def _frame(data) -> tuple[float, int, bool]:
    raw = data if isinstance(data, bytes) else str(data).encode()
    return time.perf_counter(), len(raw), b'"data"' in raw and b'"layout"' in raw


def measure(page, url: str, scenario: tuple, changes: int) -> dict:
    path, chart_key, slider_key = scenario
    frames: list[tuple[float, int, bool]] = []  # (arrival, bytes, carries a plotly spec)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(_frame(data))))
    page.goto(f"{url}/{path}")
    wait_ready(page, 90_000)
    page.wait_for_selector(f".st-key-{chart_key} .js-plotly-plot svg.main-svg g.trace")
    thumb = page.locator(f".st-key-{slider_key} input[type='range']")
    latencies, sizes, to_spec, remounts = [], [], [], 0
    for _ in range(changes):
        thumb.focus()
        page.evaluate(ARM, chart_key)
        began = time.perf_counter()
        thumb.press("ArrowRight")
        page.wait_for_function("() => window.__done !== null", timeout=30_000)
        latencies.append(page.evaluate("() => window.__done"))
        remounts += page.evaluate("() => window.__remounted")
        wait_ready(page)
        page.wait_for_timeout(50)  # let trailing frames of this run arrive before counting
        sizes.append(sum(size for stamp, size, _ in frames if stamp >= began))
        to_spec.append(1000 * (min(stamp for stamp, _, spec in frames if stamp >= began and spec) - began))
    return {"latency_ms": latencies, "bytes": sizes, "spec_ms": to_spec, "remounts": remounts}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="slider changes per scenario")
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this text")
    return parser.parse_args(argv)


def table(results: dict) -> str:
    lines = [
        "| scenario | changes | median ms | p90 ms | median ms to chart bytes | median KB / update "
        "| max KB / update | remounts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        latency, size = sorted(result["latency_ms"]), sorted(result["bytes"])
        p90 = latency[min(len(latency) - 1, int(0.9 * len(latency)))]
        lines.append(
            f"| {name} | {len(latency)} | {statistics.median(latency):.0f} | {p90:.0f} "
            f"| {statistics.median(result['spec_ms']):.0f} "
            f"| {statistics.median(size) / 1024:.1f} | {size[-1] / 1024:.1f} | {result['remounts']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    results = {}
    with served_app() as (browser, url):
        for name, scenario in SCENARIOS.items():
            if args.only not in name:
                continue
            page = new_page(browser)
            results[name] = measure(page, url, scenario, args.changes)
            page.close()
    print(table(results))
    print("\nGoal: median under 250 ms and under 150 KB per update.")


if __name__ == "__main__":
    main()
