"""app/memory.py: closed sessions' memory goes back to the OS."""

from __future__ import annotations

import sys
import threading

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
