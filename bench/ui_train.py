"""The live training page in a real browser: chart updates per second, bytes per update over
the websocket, blank frames and remounts, and the server's time per tick, in one run.

    .venv/bin/python -m bench.ui_train                 # ~10 s of playing per mode
    .venv/bin/python -m bench.ui_train --seconds 5

Browser numbers come from a real `streamlit run` (tests.e2e.conftest.start_server) and
Debian's Chromium: draws counted on the chart's div, websocket frames sized as received.
Server time per tick is measured in this process on the same code path as the page's
fragment (app.training_session + app.figures.training + app.live_chart.pack_message),
so it can be split into its parts. Medians; the machine is shared, so read ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.browser import new_page, served_app

MODES = {"one model (m = 4)": "", "compare m = 1, 2, 3, 4": "?compare_ms=1,2,3,4"}
# The heaviest link the issue found (8 models of 6 x 128, batch 1024, 5,000 points): the page
# reduces it to what a live update can compute, with a notice; Pause must answer within 0.5 s.
HEAVY_QUERY = "?n_samples=5000&hidden_layers=6&hidden_width=128&batch_size=1024&compare_ms=1,2,3,4,5,6,7,8&n_classes=10"
PAUSE_LINKS = {"default": "", "heavy link": HEAVY_QUERY}
COMPONENT = b"lsoftmax_live_chart"
WATCH = """() => {
  const charts = [...document.querySelectorAll('.lsoftmax-live-chart')];
  charts.forEach((chart, index) => { chart.__marker = index + 1; });
  window.__watch = { removed: 0, blankFrames: 0 };
  new MutationObserver((mutations) => { for (const mutation of mutations) for (const node of mutation.removedNodes)
    if (node.nodeType === 1 && (node.matches('.lsoftmax-live-chart') || node.querySelector('.lsoftmax-live-chart')))
      window.__watch.removed += 1; }).observe(document.body, { childList: true, subtree: true });
  const check = () => {
    if ([...document.querySelectorAll('.lsoftmax-live-chart')].some((c) => !c.querySelector('svg.main-svg g.trace')))
      window.__watch.blankFrames += 1;
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""
STATE = """() => ({ draws: +document.querySelector('.lsoftmax-live-chart').dataset.draws,
  step: +document.querySelector('.lsoftmax-live-chart').dataset.step,
  same: [...document.querySelectorAll('.lsoftmax-live-chart')].every((c, i) => c.__marker === i + 1),
  ...window.__watch })"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured playing time per mode")
    parser.add_argument("--ticks", type=int, default=40, help="in-process ticks timed per mode")
    return parser.parse_args(argv)


def browser_mode(page, url: str, query: str, seconds: float) -> dict:
    """Play for `seconds` after a 2 s warm-up; draws, ticks and websocket bytes in that window."""
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(_as_bytes(data))))
    page.goto(f"{url}/train{query}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart')]"
        ".filter((c) => c.querySelector('svg.main-svg g.trace')).length >= 2",
        timeout=90_000,
    )
    first_bundle = max((len(frame) for frame in frames), default=0)
    page.evaluate(WATCH)
    page.get_by_role("button", name="Play", exact=True).click()
    time.sleep(2.0)
    before, count_before, began = page.evaluate(STATE), len(frames), time.perf_counter()
    time.sleep(seconds)
    after, window, elapsed = page.evaluate(STATE), frames[count_before:], time.perf_counter() - began
    page.get_by_role("button", name="Pause", exact=True).click()
    main = [len(frame) for frame in window if COMPONENT in frame and b"train_views" in frame]
    ticks = max(1, len(main))  # the main chart is sent once per tick
    return {
        "updates_per_s": (after["draws"] - before["draws"]) / elapsed,
        "ticks_per_s": ticks / elapsed,
        "steps_per_s": (after["step"] - before["step"]) / elapsed,
        "kb_per_tick": sum(len(frame) for frame in window) / ticks / 1024,
        "kb_main_chart": statistics.median(main) / 1024 if main else float("nan"),
        "blank_frames": after["blankFrames"],
        "remounts": after["removed"] + (0 if after["same"] else 1),
        "first_message_kb": first_bundle / 1024,
    }


def pause_seconds(page, url: str, query: str, presses: int = 3) -> list[float]:
    """Seconds from a click on Pause (while playing) to the page answering with Play enabled."""
    page.goto(f"{url}/train{query}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsoftmax-live-chart')]"
        ".filter((c) => c.querySelector('svg.main-svg g.trace')).length >= 2",
        timeout=120_000,
    )
    play = page.get_by_role("button", name="Play", exact=True)
    pause = page.get_by_role("button", name="Pause", exact=True)
    seconds = []
    for _ in range(presses):
        play.click()
        pause.wait_for(state="visible")
        time.sleep(2.0)
        began = time.perf_counter()
        pause.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some((b) => b.innerText.trim() === 'Play' && !b.disabled)",
            timeout=60_000,
            polling=10,
        )
        seconds.append(time.perf_counter() - began)
    return seconds


def _as_bytes(data) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def server_tick_ms(compare_ms: tuple[int, ...] | None, ticks: int, query: str = "") -> dict:
    """Median ms per part of one play tick, measured in-process on the page's code path.

    `query`: a /train link's query string instead of compare_ms (reduced as the page reduces it).
    """
    import urllib.parse

    from app import training_session as session
    from app.figures.training import compare_figure, history_figure, single_figure
    from app.live_chart import pack_message
    from lab.settings import TrainSettings, lsoftmax_entries

    if query:
        link = dict(urllib.parse.parse_qsl(query.lstrip("?")))
        settings = session.settings_from_link(link, {})[0]
    else:
        settings = TrainSettings(compare=lsoftmax_entries(compare_ms or ()))
    run = session.new_run(settings)
    run.running = True
    parts = {"train": [], "snapshot": [], "arcs + scenes": [], "figures + encode": []}
    for _ in range(ticks):
        marks = [time.perf_counter()]
        session.play_tick(run, session.DEFAULT_STEPS_PER_TICK)
        marks.append(time.perf_counter())
        snapshot = run.trainer.snapshot(run.grid_resolution)
        marks.append(time.perf_counter())
        regions, features = session.scenes(run, snapshot, playing=True)
        marks.append(time.perf_counter())
        names = [f"m = {m}" for m in snapshot.margins]
        if len(names) == 1:
            figure = single_figure(regions[0], features[0], run.feature_extent)
        else:
            figure = compare_figure(regions, features, run.feature_extent)
        pack_message(figure, height=470, step=snapshot.step)
        pack_message(history_figure(run.trainer.history(), names), height=260, step=snapshot.step)
        marks.append(time.perf_counter())
        for name, start, stop in zip(parts, marks, marks[1:], strict=False):
            parts[name].append((stop - start) * 1000)
    medians = {name: statistics.median(values) for name, values in parts.items()}
    medians["total"] = sum(medians.values())
    medians["mean total"] = sum(statistics.fmean(values) for values in parts.values())  # arcs are bursty
    return medians


def main(argv=None) -> None:
    args = parse_args(argv)
    from app.live_chart import _JS, plotly_bundle_gzip

    results, pauses = {}, {}
    with served_app() as (browser, url):
        for mode, query in MODES.items():
            page = new_page(browser)
            results[mode] = browser_mode(page, url, query, args.seconds)
            page.close()
        for name, query in PAUSE_LINKS.items():
            page = new_page(browser)
            pauses[name] = pause_seconds(page, url, query)
            page.close()
    server = {mode: server_tick_ms(tuple(int(m) for m in q.split("=")[1].split(",")) if q else (), args.ticks)
              for mode, q in MODES.items()}  # fmt: skip
    from app.training_session import DEFAULT_STEPS_PER_TICK

    load = os.getloadavg()[0]
    print(f"Live training page, {args.seconds:g} s of playing per mode, {DEFAULT_STEPS_PER_TICK} steps per tick")
    print(f"(at most; a tick also stops after its time budget). Load average at the end: {load:.1f}.\n")
    print("| mode | chart updates/s | ticks/s | training steps/s | KB per tick (websocket) | KB main chart"
          " | blank frames | remounts |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for mode, row in results.items():
        print(
            f"| {mode} | {row['updates_per_s']:.1f} | {row['ticks_per_s']:.1f} | {row['steps_per_s']:.0f} "
            f"| {row['kb_per_tick']:.1f} | {row['kb_main_chart']:.1f} | {row['blank_frames']} | {row['remounts']} |"
        )
    print("\nServer time per tick (in-process, median ms):\n")
    names = list(next(iter(server.values())))
    print("| mode | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for mode, row in server.items():
        print(f"| {mode} | " + " | ".join(f"{row[name]:.1f}" for name in names) + " |")
    print("\nPause, from the click to Play enabled again (seconds, each of 3 presses after 2 s of playing):\n")
    print("| link | seconds |")
    print("|---|---|")
    for name, values in pauses.items():
        print(f"| {name} | {', '.join(f'{value:.2f}' for value in values)} |")
    heavy = server_tick_ms(None, args.ticks, query=HEAVY_QUERY)
    print("\nServer time per tick of the heavy link, as the page reduces it (in-process, median ms):\n")
    print("| " + " | ".join(heavy) + " |")
    print("|" + "---|" * len(heavy))
    print("| " + " | ".join(f"{value:.1f}" for value in heavy.values()) + " |")
    bundle = plotly_bundle_gzip()
    print("\nPlotly.js delivery (bytes):\n")
    print("| what | bytes | sent |")
    print("|---|---|---|")
    print(f"| plotly.min.js gzip, in the first chart message | {len(bundle):,} | once per browser session |")
    first = max(row["first_message_kb"] for row in results.values())
    print(f"| largest message before Play (measured) | {first * 1024:,.0f} | once |")
    print(f"| component JS (inline, part of every update) | {len(_JS.encode()):,} | every update |")
    print(f"| plotly.min.js inlined as component JS instead | {_plotly_size():,} | every update |")


def _plotly_size() -> int:
    from pathlib import Path

    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").stat().st_size


if __name__ == "__main__":
    main()
