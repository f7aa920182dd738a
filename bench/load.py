"""Many sessions playing /train at once: what one server delivers to each and in total.

    .venv/bin/python -m bench.load --sessions 8 --seconds 20
    .venv/bin/python -m bench.load --sessions 16,32 --seconds 20 --query "?compare_ms=1,2"
    .venv/bin/python -m bench.load --url http://127.0.0.1:8080 --sessions 8   # an existing server or proxy
    .venv/bin/python -m bench.load --sessions 8 --compare-half --seconds 600 --after 60   # the soak

Each session is its own page (own browser context, so its own Streamlit session) in one
headless Chromium. Plotly's drawing is replaced by a no-op in every page (plotly.js still
loads; Plotly.react resolves at once), so the browsers cost little and the server is what
is measured. A chart update is a figure of the main chart (decision regions and features)
that reached Plotly.react: the page's live_chart skips figures it already shows, so an
update means new data.

Per session: updates/s and the longest gap between updates in the measured window
(after a warm-up). For the server this script started: CPU (fraction of one core) and
resident memory, sampled every few seconds while the sessions play and, with --after, for
that long after they closed (the soak: growth while playing, and the return to baseline).
The load average is printed: the machine is shared, so read ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server

VIEWPORT = {"width": 1200, "height": 900}
# Before any page script: Plotly.react becomes a no-op that records when each draw was asked for.
STUB_PLOTLY = """(() => {
  window.__updates = [];
  let real;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get() { return real; },
    set(value) {
      real = value;
      value.react = (host) => {  // the main chart (the first live chart on the page) counts
        if (host === document.querySelector('.lsoftmax-live-chart')) window.__updates.push(performance.now());
        return Promise.resolve(host);
      };
      value.Plots.resize = () => {};
    },
  });
})()"""
UPDATES = "() => ({ now: performance.now(), updates: window.__updates.slice(),"
UPDATES += " step: +(document.querySelector('.lsoftmax-live-chart')?.dataset.step || 0) })"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="8", help="comma-separated session counts, one run each")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured playing time per run")
    parser.add_argument("--warmup", type=float, default=4.0, help="playing time before measuring")
    parser.add_argument("--query", default="", help="query string of /train, e.g. '?compare_ms=1,2'")
    parser.add_argument("--compare-half", action="store_true", help="every other session in compare mode m=1..4")
    parser.add_argument("--url", default="", help="use this server (or proxy) instead of starting one")
    parser.add_argument("--server-args", default="", help="extra `streamlit run` options (space-separated)")
    parser.add_argument("--after", type=float, default=0.0, help="seconds to watch memory after closing")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    return parser.parse_args(argv)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _query_for(index: int, args) -> str:
    if args.compare_half and index % 2:
        return "?compare_ms=1,2,3,4"
    return args.query


def open_sessions(browser, url: str, count: int, args) -> list:
    """`count` pages on /train, each with its charts shown (paused)."""
    pages = []
    for index in range(count):
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(STUB_PLOTLY)
        page = context.new_page()
        page.goto(f"{url}/train{_query_for(index, args)}")
        pages.append(page)
    for page in pages:
        page.wait_for_function("() => window.__updates.length >= 1", timeout=120_000)
        page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
    return pages


def measure(pages, seconds: float, warmup: float, pid: int | None, sample: float = 5.0) -> dict:
    """Press Play everywhere, warm up, then measure every session over the same window."""
    for page in pages:
        page.get_by_role("button", name="Play", exact=True).click()
    time.sleep(warmup)
    starts = [page.evaluate(UPDATES) for page in pages]
    cpu_before, began = (_cpu_seconds(pid) if pid else 0.0), time.perf_counter()
    memory = [(0.0, _rss_mb(pid) if pid else float("nan"))]
    while (left := seconds - (time.perf_counter() - began)) > 0:
        time.sleep(min(sample, left))
        memory.append((time.perf_counter() - began, _rss_mb(pid) if pid else float("nan")))
    cpu = (_cpu_seconds(pid) - cpu_before) / (time.perf_counter() - began) if pid else float("nan")
    ends = [page.evaluate(UPDATES) for page in pages]
    load = os.getloadavg()
    rows = []
    for start, end in zip(starts, ends, strict=True):
        window = [t for t in end["updates"] if start["now"] <= t <= end["now"]]
        edges = [start["now"], *window, end["now"]]
        gap = max(b - a for a, b in zip(edges, edges[1:], strict=False)) / 1000
        span = (end["now"] - start["now"]) / 1000
        rows.append({"updates_per_s": len(window) / span, "longest_gap_s": gap, "steps": end["step"] - start["step"]})
    for page in pages:
        page.get_by_role("button", name="Pause", exact=True).click()
    return {"rows": rows, "cpu": cpu, "rss_mb": memory[-1][1], "memory": memory, "load": load}


def run_once(browser, url: str, count: int, args, pid: int | None) -> dict:
    if args.after:  # the baseline: a server that has served a session (imports done, plotly bundle cached)
        for page in open_sessions(browser, url, 1, args):
            page.context.close()
        time.sleep(args.sample)
    before = _rss_mb(pid) if pid else float("nan")
    pages = open_sessions(browser, url, count, args)
    try:
        result = measure(pages, args.seconds, args.warmup, pid, args.sample)
    finally:
        for page in pages:
            page.context.close()
    result["rss_before_mb"], result["after"] = before, []
    closed = time.perf_counter()
    while pid and (left := args.after - (time.perf_counter() - closed)) > 0:
        time.sleep(min(args.sample, left))
        result["after"].append((time.perf_counter() - closed, _rss_mb(pid)))
    if result["after"]:
        _print_memory(count, result)
    return result


def _print_memory(count: int, result: dict) -> None:
    memory, after = result["memory"], result["after"]
    growth = memory[-1][1] - memory[0][1]
    print(f"\n{count} sessions, server memory (MB): {result['rss_before_mb']:.0f} before they opened (baseline);"
          f" {memory[0][1]:.0f} when measuring began; {max(m for _, m in memory):.0f} at most while playing;"
          f" {memory[-1][1]:.0f} at the end ({growth:+.0f} over {memory[-1][0]:.0f} s of playing)")  # fmt: skip
    print("while playing: " + ", ".join(f"{t:.0f} s: {m:.0f}" for t, m in memory))
    print("after the sessions closed: " + ", ".join(f"{t:.0f} s: {m:.0f}" for t, m in after))


def main(argv=None) -> None:
    args = parse_args(argv)
    counts = [int(value) for value in args.sessions.split(",")]
    process = None
    url = args.url.rstrip("/")
    if not url:
        process, url = start_server(extra_args=args.server_args.split())
    pid = process.pid if process else None
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for count in counts:
                    results[count] = run_once(browser, url, count, args, pid)
                    _print_one(count, results[count])
            finally:
                browser.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    print(f"\n{args.seconds:g} s measured after {args.warmup:g} s of playing; query {args.query or '(defaults)'}"
          f"{'; every other session compare m = 1..4' if args.compare_half else ''}.\n")  # fmt: skip
    print("| sessions | updates/s per session (median, min) | all sessions | longest gap (s) | stalled (0 updates)"
          " | server CPU (cores) | server CPU ms per update | server RSS (MB) | load average (1 min) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, result in results.items():
        rates = [row["updates_per_s"] for row in result["rows"]]
        print(
            f"| {count} | {statistics.median(rates):.1f}, {min(rates):.1f} | {sum(rates):.1f} "
            f"| {max(row['longest_gap_s'] for row in result['rows']):.2f} "
            f"| {sum(1 for rate in rates if rate == 0)} | {result['cpu']:.2f} "
            f"| {1000 * result['cpu'] / max(sum(rates), 1e-9):.0f} | {result['rss_mb']:.0f} "
            f"| {result['load'][0]:.1f} |"
        )


def _print_one(count: int, result: dict) -> None:
    rates = sorted(row["updates_per_s"] for row in result["rows"])
    gaps = sorted(row["longest_gap_s"] for row in result["rows"])
    print(
        f"{count} sessions: updates/s {[round(rate, 1) for rate in rates]}; gaps {[round(g, 2) for g in gaps]};",
        f"total {sum(rates):.1f}/s; server CPU {result['cpu']:.2f}; load {result['load'][0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
