"""Many sessions playing /train at once: what one server delivers to each and in total.

    .venv/bin/python -m bench.load --sessions 8 --seconds 20
    .venv/bin/python -m bench.load --sessions 16,32 --seconds 20 --query "?compare_ms=1,2"
    .venv/bin/python -m bench.load --url http://127.0.0.1:8080 --sessions 8   # an existing server or proxy
    .venv/bin/python -m bench.load --sessions 8 --compare-half --seconds 600 --after 60   # the soak
    .venv/bin/python -m bench.load --client browser --sessions 4   # real Chromium pages, drawing stubbed

Two clients, one measurement. `--client browser`: each session is its own page
(own browser context, so its own Streamlit session) in one headless Chromium, plotly's drawing
replaced by a no-op (plotly.js still loads; Plotly.react resolves at once). A chart update is
a figure of the main chart (decision regions and features) that reached Plotly.react: the
page's live_chart skips figures it already shows, so an update means new data. On a 2-core
machine the Chromium processes still take most of the CPU from 8 sessions on.
`--client protocol` (the default): each session is a bench.protocol_client.Session, Streamlit's websocket
protocol spoken from Python (widgets, fragment timers and message cache as the frontend keeps
them, nothing drawn), all on one event loop; it counts the same updates (a main-chart figure
with a new revision) and costs a few per cent of a core for 32 sessions.

Per session: updates/s and the longest gap between updates in the measured window
(after a warm-up). The client's CPU (this process and its children but the server: Chromium,
or the protocol sessions' event loop). For the server this script started: CPU (cores) and
resident memory, sampled every few seconds while the sessions play and, with --after, for
that long after they closed (the soak: growth while playing, and the return to baseline).
The load average is printed: the machine is shared, so read ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.protocol_client import Session
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
BUTTONS = {"play": ("Play", "train_play"), "pause": ("Pause", "train_pause")}  # label (browser), key (protocol)


class BrowserClient:
    """Sessions as pages of one headless Chromium (own context each), plotly's drawing stubbed."""

    def __init__(self):
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    def open(self, url: str, queries: list[str]) -> list:
        """One page per query on /train, each with its charts shown (paused)."""
        pages = []
        for query in queries:
            context = self._browser.new_context(viewport=VIEWPORT)
            context.add_init_script(STUB_PLOTLY)
            page = context.new_page()
            page.goto(f"{url}/train{query}")
            pages.append(page)
        for page in pages:
            page.wait_for_function("() => window.__updates.length >= 1", timeout=120_000)
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
        return pages

    def press(self, pages: list, button: str) -> None:
        for page in pages:
            page.get_by_role("button", name=BUTTONS[button][0], exact=True).click()

    def pause_seconds(self, pages: list) -> float:
        """Pause the first page alone (the others play on): seconds until its Play button is back."""
        began = time.perf_counter()
        pages[0].get_by_role("button", name=BUTTONS["pause"][0], exact=True).click()
        pages[0].get_by_role("button", name=BUTTONS["play"][0], exact=True).wait_for(timeout=60_000)
        return time.perf_counter() - began

    def states(self, pages: list) -> list[dict]:
        """Per page: its clock and update times (s), and the step the main chart shows."""
        states = [page.evaluate(UPDATES) for page in pages]
        return [
            {"now": state["now"] / 1000, "updates": [t / 1000 for t in state["updates"]], "step": state["step"]}
            for state in states
        ]

    def close(self, pages: list) -> None:
        for page in pages:
            page.context.close()

    def shutdown(self) -> None:
        self._browser.close()
        self._playwright.stop()


class ProtocolClient:
    """Sessions as bench.protocol_client.Session objects on one asyncio loop, in a thread of its own."""

    def __init__(self):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def open(self, url: str, queries: list[str]) -> list[Session]:
        sessions = [Session(url, "train", query) for query in queries]

        async def opened():
            await asyncio.gather(*(session.open() for session in sessions))
            await asyncio.gather(*(session.wait_ready() for session in sessions))

        self._call(opened())
        return sessions

    def press(self, sessions: list[Session], button: str) -> None:
        self._call(_gather(session.press(BUTTONS[button][1]) for session in sessions))

    def pause_seconds(self, sessions: list[Session]) -> float:
        """Pause the first session alone (the others play on): seconds until its page shows the pause."""
        return self._call(sessions[0].answered(BUTTONS["pause"][1]))

    def states(self, sessions: list[Session]) -> list[dict]:
        async def read():  # on the loop: the sessions' lists are not read while they grow
            for session in sessions:
                if session.closed:
                    raise ConnectionError(f"a session's websocket closed: {session.failure()!r}")
            now = time.perf_counter()
            return [
                {"now": now, "updates": [t for t, _ in session.updates], "step": (session.updates or [(0, 0)])[-1][1]}
                for session in sessions
            ]

        return self._call(read())

    def close(self, sessions: list[Session]) -> None:
        self._call(_gather(session.close() for session in sessions))

    def shutdown(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def _gather(coroutines) -> list:
    return await asyncio.gather(*coroutines)


CLIENTS = {"browser": BrowserClient, "protocol": ProtocolClient}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, default="protocol", help="protocol sessions or Chromium pages")
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


def _rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes, summed (nan for none)."""
    total = float("nan") if not pids else 0.0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def _client_cpu_seconds(server_pids: list[int]) -> float:
    """CPU seconds of this process and its descendants (Chromium, Playwright's driver), the servers' trees left out."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
    tree, total = [os.getpid()], 0.0
    while tree:
        pid = tree.pop()
        try:
            total += _cpu_seconds(pid)
        except OSError:
            continue
        tree.extend(child for child, parent in parents.items() if parent == pid and child not in server_pids)
    return total


def _query_for(index: int, args) -> str:
    if args.compare_half and index % 2:
        return "?compare_ms=1,2,3,4"
    return args.query


def measure(client, sessions, seconds: float, warmup: float, pids: list[int], sample: float = 5.0) -> dict:
    """Press Play everywhere, warm up, then measure every session over the same window.

    `pids`: the server processes (one, or a proxy's replicas): their CPU and resident memory, summed.
    """
    client.press(sessions, "play")
    time.sleep(warmup)
    starts = client.states(sessions)
    cpu_before, began = sum(map(_cpu_seconds, pids)), time.perf_counter()
    client_before = _client_cpu_seconds(pids)
    memory = [(0.0, _rss_mb(pids))]
    while (left := seconds - (time.perf_counter() - began)) > 0:
        time.sleep(min(sample, left))
        memory.append((time.perf_counter() - began, _rss_mb(pids)))
    elapsed = time.perf_counter() - began
    cpu = (sum(map(_cpu_seconds, pids)) - cpu_before) / elapsed if pids else float("nan")
    client_cpu = (_client_cpu_seconds(pids) - client_before) / elapsed
    ends = client.states(sessions)
    load = os.getloadavg()
    pause = client.pause_seconds(sessions)  # the others still playing
    rows = []
    for start, end in zip(starts, ends, strict=True):
        window = [t for t in end["updates"] if start["now"] <= t <= end["now"]]
        edges = [start["now"], *window, end["now"]]
        gap = max(b - a for a, b in zip(edges, edges[1:], strict=False))
        span = end["now"] - start["now"]
        rows.append({"updates_per_s": len(window) / span, "longest_gap_s": gap, "steps": end["step"] - start["step"]})
    client.press(sessions[1:], "pause")
    return {
        "rows": rows, "pause_s": pause, "cpu": cpu, "client_cpu": client_cpu, "rss_mb": memory[-1][1],
        "memory": memory, "load": load,
    }  # fmt: skip


def run_once(client, url: str, count: int, args, pids: list[int]) -> dict:
    if args.after:  # the baseline: a server that has served a session (imports done, plotly bundle cached)
        client.close(client.open(url, [_query_for(0, args)]))
        time.sleep(args.sample)
    before = _rss_mb(pids)
    sessions = client.open(url, [_query_for(index, args) for index in range(count)])
    try:
        result = measure(client, sessions, args.seconds, args.warmup, pids, args.sample)
    finally:
        client.close(sessions)
    result["rss_before_mb"], result["after"] = before, []
    closed = time.perf_counter()
    while pids and (left := args.after - (time.perf_counter() - closed)) > 0:
        time.sleep(min(args.sample, left))
        result["after"].append((time.perf_counter() - closed, _rss_mb(pids)))
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
    pids = [process.pid] if process else []
    results = {}
    try:
        client = CLIENTS[args.client]()
        try:
            for count in counts:
                results[count] = run_once(client, url, count, args, pids)
                _print_one(count, results[count])
        finally:
            client.shutdown()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    print(f"\n{args.client} client; {args.seconds:g} s measured after {args.warmup:g} s of playing;"
          f" query {args.query or '(defaults)'}"
          f"{'; every other session compare m = 1..4' if args.compare_half else ''}.\n")  # fmt: skip
    print("| sessions | updates/s per session (median, min) | all sessions | longest gap (s) | stalled (0 updates)"
          " | server CPU (cores) | server CPU ms per update | server RSS (MB) | client CPU (cores)"
          " | Pause answered (s) | load average (1 min) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, result in results.items():
        rates = [row["updates_per_s"] for row in result["rows"]]
        print(
            f"| {count} | {statistics.median(rates):.1f}, {min(rates):.1f} | {sum(rates):.1f} "
            f"| {max(row['longest_gap_s'] for row in result['rows']):.2f} "
            f"| {sum(1 for rate in rates if rate == 0)} | {result['cpu']:.2f} "
            f"| {1000 * result['cpu'] / max(sum(rates), 1e-9):.0f} | {result['rss_mb']:.0f} "
            f"| {result['client_cpu']:.2f} | {result['pause_s']:.2f} | {result['load'][0]:.1f} |"
        )


def _print_one(count: int, result: dict) -> None:
    rates = sorted(row["updates_per_s"] for row in result["rows"])
    gaps = sorted(row["longest_gap_s"] for row in result["rows"])
    print(
        f"{count} sessions: updates/s {[round(rate, 1) for rate in rates]}; gaps {[round(g, 2) for g in gaps]};",
        f"total {sum(rates):.1f}/s; server CPU {result['cpu']:.2f}; client CPU {result['client_cpu']:.2f};",
        f"Pause answered in {result['pause_s']:.2f} s; load {result['load'][0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
