"""Aggregate chart updates per second of N sessions playing on /train, served by 1, 2 and 4
replicas behind HAProxy (deploy/haproxy.cfg on loopback), with every browser's drawing stubbed
so that the servers are what is measured.

    .venv/bin/python -m bench.replicas                          # 8 sessions, 15 s, 1 2 4 replicas
    .venv/bin/python -m bench.replicas --sessions 16 --seconds 20 --replicas 1 2

Per configuration: per-session updates/s (median, min), the longest gap between two updates
of any session, the total over all sessions, and the replicas' CPU (% of one core, summed) in
the measured window, and updates per CPU-second of server time (the sizing rule's number: at
U updates per CPU-second, one core serves U / 2 sessions at 2 updates/s each). The ratio to one
replica shows the scaling: on a machine with C free cores it should approach min(replicas, C).
The load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.replicas import cluster

QUERY = ""  # the default run: one model, m = 4
STUB_PLOTLY = "window.Plotly = {react: async () => {}, Plots: {resize() {}}};"
WATCH = """() => {
  const chart = document.querySelector('.lsoftmax-live-chart');
  window.__updates = [];
  new MutationObserver(() => window.__updates.push(performance.now()))
    .observe(chart, {attributes: true, attributeFilter: ['data-draws']});
  return performance.now();
}"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="browser sessions playing at once")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured playing time per configuration")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4], help="replica counts to compare")
    return parser.parse_args(argv)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sessions(browser, url: str, count: int) -> list:
    pages = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.add_init_script(STUB_PLOTLY)
        page = context.new_page()
        page.goto(f"{url}/train{QUERY}")
        page.wait_for_selector(".lsoftmax-live-chart", timeout=120_000)
        page.get_by_role("button", name="Play").click()
        pages.append(page)
    for page in pages:
        page.wait_for_function("() => +(document.querySelector('.lsoftmax-live-chart').dataset.step || 0) > 0",
                               timeout=120_000)  # fmt: skip
    return pages


def measure(pages, seconds: float, pids: list[int]) -> dict:
    """Updates of every session in the next `seconds`, and the replicas' CPU over the same window."""
    began = [page.evaluate(WATCH) for page in pages]
    cpu_before, wall_before = [cpu_seconds(pid) for pid in pids], time.perf_counter()
    time.sleep(seconds)
    ended = [page.evaluate("() => performance.now()") for page in pages]
    cpu = sum(cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True))
    wall = time.perf_counter() - wall_before
    rates, gaps = [], []
    for page, start, end in zip(pages, began, ended, strict=True):
        stamps = [start, *[stamp for stamp in page.evaluate("() => window.__updates") if stamp <= end], end]
        rates.append((len(stamps) - 2) / ((end - start) / 1000))
        gaps.append(max(b - a for a, b in zip(stamps, stamps[1:], strict=False)) / 1000)
    return {
        "median": statistics.median(rates), "min": min(rates), "total": sum(rates),
        "longest_gap": max(gaps), "cpu_percent": 100 * cpu / wall,
    }  # fmt: skip


def run(replicas: int, sessions: int, seconds: float) -> dict:
    with cluster(replicas, env={"LSOFTMAX_DEVICE": "cpu"}) as running, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pages = start_sessions(browser, running.url, sessions)
            counts = [running.active_sessions(index) for index in range(replicas)]
            time.sleep(2)  # past the first ticks' warm-up
            result = measure(pages, seconds, [process.pid for process, _ in running.replicas])
            return {**result, "spread": counts}
        finally:
            browser.close()


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"/train, {args.sessions} sessions playing, {args.seconds:g} s measured, drawing stubbed, "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print("| replicas | sessions per replica | updates/s per session (median, min) | all sessions | "
          "longest gap (s) | replicas' CPU (% of a core) | updates per CPU-second | vs 1 replica |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    first = None
    for count in args.replicas:
        row = run(count, args.sessions, args.seconds)
        first = first or row["total"] or None  # a stalled first row (0 updates) cannot be a baseline
        print(
            f"| {count} | {'/'.join(map(str, row['spread']))} | {row['median']:.1f}, {row['min']:.1f} | "
            f"{row['total']:.1f} | {row['longest_gap']:.1f} | {row['cpu_percent']:.0f} | "
            f"{100 * row['total'] / max(row['cpu_percent'], 1e-9):.1f} | "
            f"{row['total'] / first:.2f}x |"
            if first
            else "n/a |",
            flush=True,
        )
    print(f"\nload average (1, 5, 15 min): {', '.join(f'{value:.1f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
