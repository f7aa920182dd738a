"""Figures that move with the hand: redraws per second while the mouse drags a live chart's
slider across its range, per page, and the browser geometry's time per frame; prints markdown.

    .venv/bin/python -m bench.ui_drag              # 3 drags of 2 s per scenario
    .venv/bin/python -m bench.ui_drag --drags 5

A real `streamlit run` and Debian's Chromium (bench.browser). A drag presses the mouse on the
slider inside the chart and moves it from one end to the other in 2 s, as often as the browser
accepts a move (tests/e2e/test_live_drag.drag_across); a redraw is one frame drawn by the chart
(its data-draws counter). "ms per drag frame" is the chart's own time per frame drawn during the
drags (geometry plus the SVG overlay), the full redraw on release excluded. The geometry line
times geometry.js alone in a blank page: K = 10 evenly spaced classes, m = 8, one vector moving
a degree per frame, after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics

from app.figures.scenes import plane_constants
from app.live_chart import HERE, PURE_JS
from bench.browser import new_page, served_app
from tests.e2e.conftest import wait_ready
from tests.e2e.test_live_drag import drag_across

# name -> (path, chart key, control key)
SCENARIOS = {
    "two classes: θ12": ("binary", "plane", "t12"),
    "two classes: θ12, L-Softmax field on": ("binary?field=L-Softmax", "plane", "t12"),
    "K = 10 classes, m = 8: W1 angle": ("multiclass?k=10&m=8", "plane", "angle"),
    "ψ: λ": ("psi", "psi", "lam"),
}
# The chart's own frame times since the last call, overlay frames only (the full redraw on release excluded).
FRAME_MS = """(key) => {
  const host = document.querySelector('.st-key-' + key + ' .lsoftmax-live-chart');
  const times = (host.__frameTimes || []).filter(([, full]) => !full).map(([ms]) => ms);
  host.__frameTimes = [];
  return times;
}"""
GEOMETRY = """([constants, frames]) => {
  const angles = Array.from({ length: 10 }, (_, j) => 36 * j);
  const norms = angles.map(() => 2);
  const values = (i) => ({ m: 8, angles: angles.map((a, j) => (j === 0 ? (a + i) % 360 : a)), norms });
  for (let i = 0; i < 50; i += 1) G.multiclassScene(values(i), constants);  // warm-up (JIT)
  const times = [];
  for (let i = 0; i < frames; i += 1) {
    const began = performance.now();
    G.multiclassScene(values(i), constants);
    times.push(performance.now() - began);
  }
  return times;
}"""
LOAD = """async (source) => {
  window.G = await import(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
}"""


def measure_drags(page, url: str, scenario: tuple, drags: int) -> dict:
    path, chart, control = scenario
    page.goto(f"{url}/{path}")
    wait_ready(page, 90_000)
    page.wait_for_selector(f".st-key-{chart} .lsoftmax-live-chart svg.main-svg g.trace")
    page.evaluate(FRAME_MS, chart)  # forget the first full draws
    rates, frame_ms, moves = [], [], []
    for index in range(drags):
        drag = drag_across(page, chart, control, to_left=index % 2 == 0)
        rates.append(drag["redraws"] / drag["seconds"])
        moves.append(drag["moves"] / drag["seconds"])
        frame_ms += page.evaluate(FRAME_MS, chart)
        wait_ready(page, 90_000)
    return {"rates": rates, "moves": moves, "frame_ms": frame_ms}


def geometry_ms(browser, frames: int = 200) -> list[float]:
    page = new_page(browser)
    page.goto("about:blank")
    page.evaluate(LOAD, "\n".join((HERE / name).read_text() for name in PURE_JS))
    times = page.evaluate(GEOMETRY, [plane_constants(), frames])
    page.close()
    return times


def table(results: dict, geometry: list[float]) -> str:
    lines = [
        "| scenario | drags | redraws/s (median) | min | mouse moves/s | ms per drag frame (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        lines.append(
            f"| {name} | {len(result['rates'])} | {statistics.median(result['rates']):.1f} "
            f"| {min(result['rates']):.1f} | {statistics.median(result['moves']):.1f} "
            f"| {statistics.median(result['frame_ms']):.1f} |"
        )
    ordered = sorted(geometry)
    lines.append(
        f"\nGeometry alone, K = 10, m = 8 (arcs, gaps, softmax rays, marks): "
        f"median {statistics.median(ordered):.2f} ms, p90 {ordered[int(0.9 * len(ordered))]:.2f} ms "
        f"per frame over {len(ordered)} frames."
    )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drags", type=int, default=3, help="2-second drags per scenario")
    args = parser.parse_args(argv)
    results = {}
    with served_app() as (browser, url):
        geometry = geometry_ms(browser)
        for name, scenario in SCENARIOS.items():
            page = new_page(browser)
            results[name] = measure_drags(page, url, scenario, args.drags)
            page.close()
    print(table(results, geometry))
    print("\nGoal: at least 30 redraws per second during a drag.")


if __name__ == "__main__":
    main()
