"""app/memory.py: closed sessions' memory goes back to the OS."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from app import memory


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def test_a_release_follows_only_a_fall_in_the_session_count():
    counts, checks, released = iter([3, 5, 4, 4, 0, 2]), [], []
    last = None
    for check in range(6):
        checks.append(check)
        last = memory.trim_when_fewer(lambda: next(counts), lambda: released.append(checks[-1]) or True, last)
    assert released == [2, 4]  # 5 -> 4 and 4 -> 0; the first check only learns the count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's malloc_trim")
def test_a_trim_returns_memory_a_thread_freed_in_the_middle_of_its_arena():
    kept = []

    def allocate():  # as a session's script thread: its own arena, most blocks freed, a few kept
        blocks = [np.ones(512) for _ in range(120_000)]  # ~470 MB of 4 KB blocks
        kept.extend(blocks[::50])

    thread = threading.Thread(target=allocate)
    thread.start()
    thread.join()
    before = rss_mb()
    assert memory.release_freed_memory()
    assert before - rss_mb() > 100  # the free pages between the kept blocks went back


def test_outside_a_streamlit_server_nothing_is_installed():
    assert memory.install_memory_trim() is False


ARENA_PROBE = """
import ctypes, ctypes.util, sys, threading
import numpy as np
from app import memory
if sys.argv[1] == "capped":
    assert memory.limit_arenas(2)
start, end, kept = threading.Barrier(8), threading.Barrier(8), []
def session():  # a script thread: its first allocations decide its arena
    start.wait()
    kept.append([np.ones(1000) for _ in range(200)])
    end.wait()
threads = [threading.Thread(target=session) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and malloc_stats")
def test_the_arena_cap_keeps_eight_threads_in_two_arenas():
    def arenas(mode: str) -> int:
        environment = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
        done = subprocess.run(
            [sys.executable, "-c", ARENA_PROBE, mode], capture_output=True, text=True, env=environment,
            cwd=Path(__file__).resolve().parents[2], timeout=120, check=True,
        )  # fmt: skip
        return sum(line.startswith("Arena ") for line in done.stderr.splitlines())

    assert arenas("default") > 2  # glibc's default: a new arena per thread (up to 8 per core)
    assert 1 <= arenas("capped") <= 2


def test_an_operator_s_malloc_arena_max_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_arenas() is False
