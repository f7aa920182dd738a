"""Hand memory that closed sessions freed back to the operating system.

Python, numpy and torch return freed blocks to glibc's malloc, which keeps them in its arenas
(one per thread that allocated: every session's script thread) instead of giving them back.
So a server's resident memory stayed at its peak after a class closed its tabs. malloc_trim(0)
returns the free pages: in-process, 8 trainers (half in compare mode) grew RSS from 242 to
289 MB; freeing them left 279 MB, and one trim brought it to 250 MB in 3.5 ms.

install_memory_trim starts one daemon thread per process that trims after the number of
sessions fell (a session is dropped server.disconnectedSessionTTL after its tab went away).
Trimming only then keeps it off the hot path of playing sessions.

Fewer arenas: by default glibc gives each new thread an arena of its own, up to 8 per core, and
a trim cannot shrink an arena below the blocks still live in it, so every script thread that
ever ran left some memory behind. With 8 sessions (half in compare mode) playing and closing,
cycle after cycle, the server came back to 436, 441 and 435 MB against an idle 375; with
MALLOC_ARENA_MAX=2 in its environment (the Dockerfile and `make run` set it) to 384 and 387
against 374, and it held less while playing (420-442 MB instead of 470-530). Where the variable
is not set, install_memory_trim caps the arenas with mallopt, which only binds threads started
after it (the server's own threads and the first session's already have theirs): 411 and 408
against 375. The Python work runs under one GIL, so the threads hardly contend for two arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable

TRIM_CHECK_SECONDS = 10.0  # how often the thread compares the session count
ARENA_MAX = 2  # glibc malloc arenas for the whole process (see the module docstring)
M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
_installed = threading.Lock()
_thread: threading.Thread | None = None


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def limit_arenas(count: int = ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas at `count` for threads started from now on; False where not possible
    (no glibc) or not wanted (MALLOC_ARENA_MAX set in the environment: the operator's choice)."""
    name = ctypes.util.find_library("c")
    if not name or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return bool(ctypes.CDLL(name).mallopt(M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False


def release_freed_memory() -> bool:
    """Give free heap pages back to the OS; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def trim_when_fewer(count_sessions: Callable[[], int], release: Callable[[], bool], last: int | None) -> int:
    """One check: release when the session count fell below `last`; returns the count now."""
    now = count_sessions()
    if last is not None and now < last:
        release()
    return now


def _watch(count_sessions: Callable[[], int], interval: float) -> None:
    last = None
    while True:
        last = trim_when_fewer(count_sessions, release_freed_memory, last)
        time.sleep(interval)


def install_memory_trim(interval: float = TRIM_CHECK_SECONDS) -> bool:
    """Start the trimming thread once per process (no-op outside `streamlit run` or without glibc)."""
    global _thread
    from streamlit.runtime import Runtime

    if not Runtime.exists() or _malloc_trim() is None:
        return False
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    if manager is None or not hasattr(manager, "num_sessions"):
        return False
    with _installed:
        if _thread is None:
            limit_arenas()  # before the sessions' script threads start
            _thread = threading.Thread(target=_watch, args=(manager.num_sessions, interval), daemon=True)
            _thread.name = "lab-memory-trim"
            _thread.start()
    return True
