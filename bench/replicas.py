"""Aggregate chart updates per second of N sessions playing on /train, served by 1, 2 and 4
replicas behind HAProxy (deploy/haproxy.cfg on loopback), every browser stubbed so that the
servers are what is measured.

    .venv/bin/python -m bench.replicas                          # 32 protocol sessions, 20 s, 1 2 4 replicas
    .venv/bin/python -m bench.replicas --sessions 8 --client browser --replicas 1 2

The sessions and the measurement are bench/load.py's (`--client protocol`: Streamlit's websocket
protocol from Python, through the proxy with its affinity cookie; `--client browser`: headless
Chromium pages with plotly's drawing a no-op). Per configuration: how the proxy spread the
sessions, per-session updates/s (median, min), the longest gap between two updates of any
session, the total, the replicas' CPU summed (cores) and updates per CPU-second of server time
(the sizing rule's number: at U updates per CPU-second, one core serves U / r sessions at r
updates/s each). The ratio to one replica shows the scaling: on a machine with C free cores it
approaches min(replicas, C). The load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.load import CLIENTS, measure
from tests.e2e.replicas import cluster

QUERY = ""  # the default run: one model, m = 4


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, default="protocol", help="protocol sessions or Chromium pages")
    parser.add_argument("--sessions", type=int, default=32, help="sessions playing at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured playing time per configuration")
    parser.add_argument("--warmup", type=float, default=4.0, help="playing time before measuring")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4], help="replica counts to compare")
    return parser.parse_args(argv)


def run(replicas: int, args) -> dict:
    with cluster(replicas, env={"LSOFTMAX_DEVICE": "cpu"}) as running:
        client = CLIENTS[args.client]()
        try:
            sessions = client.open(running.url, [QUERY] * args.sessions)
            spread = [running.active_sessions(index) for index in range(replicas)]
            try:
                pids = [process.pid for process, _ in running.replicas]
                result = measure(client, sessions, args.seconds, args.warmup, pids, sample=args.seconds)
            finally:
                client.close(sessions)
        finally:
            client.shutdown()
    rates = [row["updates_per_s"] for row in result["rows"]]
    return {
        "spread": spread, "median": statistics.median(rates), "min": min(rates), "total": sum(rates),
        "longest_gap": max(row["longest_gap_s"] for row in result["rows"]), "cpu": result["cpu"],
        "load": result["load"][0],
    }  # fmt: skip


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"/train, {args.sessions} {args.client} sessions playing, {args.seconds:g} s measured after"
          f" {args.warmup:g} s, drawing stubbed, {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| replicas | sessions per replica | updates/s per session (median, min) | all sessions | longest gap (s)"
          " | replicas' CPU (cores) | updates per CPU-second | vs 1 replica | load average |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    first = None
    for count in args.replicas:
        row = run(count, args)
        first = first or row["total"] or None  # a stalled first row (0 updates) cannot be a baseline
        print(
            f"| {count} | {'/'.join(map(str, row['spread']))} | {row['median']:.1f}, {row['min']:.1f} | "
            f"{row['total']:.1f} | {row['longest_gap']:.2f} | {row['cpu']:.2f} | "
            f"{row['total'] / max(row['cpu'], 1e-9):.1f} | "
            + (f"{row['total'] / first:.2f}x" if first else "n/a")
            + f" | {row['load']:.1f} |",
            flush=True,
        )
        time.sleep(2)  # the ports and the proxy of this row are gone before the next starts
    print(f"\nload average (1, 5, 15 min): {', '.join(f'{value:.1f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
