"""Sessions take turns for the compute of a tick: first come, first served, none starves.

The old scheme (a try-once semaphore whose losers redrew without training) stalled 15 of 16
sessions under load; these tests fail on it. Nothing here asserts a time: the turns are
held and released by the test, and trainers count steps.
"""

import math
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from app import training_session as session
from app.live_chart import unpack_message

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "train.py")


class CountingTrainer:
    """Stands in for lab.train.Trainer: counts steps and records each call's size."""

    diverged = None

    def __init__(self, pause: float = 0.0):
        self.step = 0
        self.calls = []
        self.pause = pause  # seconds each call sleeps (holds its turn; sleeping holds no GIL)

    def train(self, n_steps):
        self.calls.append(n_steps)
        if self.pause:
            time.sleep(self.pause)
        self.step += n_steps
        return SimpleNamespace(steps_done=n_steps, diverged=False)


def new_run(trainer=None) -> session.Run:
    return session.Run(settings=None, data_id="", trainer=trainer or CountingTrainer())


@pytest.fixture
def all_turns_taken():
    """Every turn of the process held by the test until it calls the returned release()."""
    taken = 0
    while session._turns.acquire(timeout=0):
        taken += 1
    assert taken == session.MAX_TRAINING_TICKS
    released = []

    def release():
        if not released:
            released.append(True)
            for _ in range(taken):
                session._turns.release()

    yield release
    release()


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.005)


def test_no_budget_trains_every_step_and_a_spent_budget_exactly_one():
    run = new_run()
    assert session.train_steps(run, 37).steps == 37
    assert session.train_steps(run, 37, budget_seconds=0.0).steps == 1
    assert run.trainer.step == 38


def test_the_first_chunk_of_a_tick_is_sized_from_the_measured_step_time():
    """A heavy network (one step longer than the budget) trains one step, not a fixed 8."""
    run = new_run()
    run.step_seconds = 0.01
    session.train_steps(run, 100, budget_seconds=0.05)
    assert run.trainer.calls[0] == 5
    heavy = new_run(CountingTrainer(pause=0.06))  # one step (a sleep) outlasts the budget
    heavy.step_seconds = 2.0
    assert session.train_steps(heavy, 100, budget_seconds=0.05).steps == 1


def test_the_training_share_of_a_tick_shrinks_with_the_sessions_playing():
    assert session.tick_budget(1) == session.TICK_BUDGET_SECONDS
    assert session.tick_budget(10) == pytest.approx(session.TICK_BUDGET_SECONDS / 10)
    assert session.tick_budget(10_000) == session.MIN_TICK_BUDGET_SECONDS


def test_turns_are_given_in_arrival_order():
    turns = session.Turns(1)
    assert turns.acquire(timeout=0)
    order, threads = [], []

    def take(name):
        assert turns.acquire(timeout=30)
        order.append(name)
        turns.release()

    for name in "abcdef":
        threads.append(threading.Thread(target=take, args=(name,)))
        threads[-1].start()
        queued = len(threads)
        wait_until(lambda: turns.waiting == queued, f"{name} to queue")  # noqa: B023 (used at once)
    turns.release()
    for thread in threads:
        thread.join(timeout=30)
    assert order == list("abcdef")
    assert turns.acquire(timeout=0)  # the last release freed the turn


def test_a_tick_that_gets_no_turn_in_time_trains_nothing_and_the_busy_count_ends(all_turns_taken, monkeypatch):
    run = new_run()
    monkeypatch.setattr(session, "TURN_WAIT_SECONDS", 0.01)
    outcome = session.train_steps(run, 10)
    assert outcome.busy and outcome.steps == 0 and run.trainer.step == 0 and run.skipped_ticks == 1
    assert session._turns.waiting == 0  # it left the queue
    all_turns_taken()
    assert session.train_steps(run, 10).steps == 10
    assert run.skipped_ticks == 0  # a tick that trained ends the "busy" count


def test_with_every_turn_busy_each_of_many_sessions_still_advances_on_every_tick(all_turns_taken):
    """12 sessions tick at once while the process is busy; each of their ticks trains."""
    runs = [new_run(CountingTrainer(pause=0.002)) for _ in range(12)]
    ticks = 6

    def play(run):
        for _ in range(ticks):
            session.play_tick(run, 3)

    threads = [threading.Thread(target=play, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    wait_until(lambda: session._turns.waiting == len(runs), "every session to queue")
    all_turns_taken()
    for thread in threads:
        thread.join(timeout=60)
    assert [len(run.trainer.calls) >= ticks for run in runs] == [True] * len(runs)
    assert [run.trainer.step > 0 for run in runs] == [True] * len(runs)
    assert [run.skipped_ticks for run in runs] == [0] * len(runs)


def test_a_page_tick_without_a_turn_resends_the_last_chart_unchanged_and_says_why(monkeypatch):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.button(key="train_play").click()
    at.run()
    assert not at.exception, at.exception
    before = at.get("bidi_component")[0].proto.bytes
    step_before = unpack_message(before)[0]["step"]
    assert step_before > 0
    monkeypatch.setattr(session, "TURN_WAIT_SECONDS", 0.01)
    while session._turns.acquire(timeout=0):
        pass
    try:
        at.run()  # one tick while the process is busy
    finally:
        for _ in range(session.MAX_TRAINING_TICKS):
            session._turns.release()
    assert not at.exception, at.exception
    assert at.get("bidi_component")[0].proto.bytes == before  # the same bytes: nothing rebuilt
    assert any("busy" in caption.value for caption in at.caption)
    at.run()  # a turn again: training resumes and the busy caption goes
    after = unpack_message(at.get("bidi_component")[0].proto.bytes)[0]["step"]
    assert after > step_before
    assert not any("busy" in caption.value for caption in at.caption)


def test_a_wait_for_a_turn_ends_when_a_click_wants_the_script():
    turns = session.Turns(1)
    assert turns.acquire(timeout=0)
    polls = []

    def clicked() -> bool:
        polls.append(True)
        return len(polls) >= 3  # the third poll sees the click

    assert not turns.acquire(timeout=math.inf, interrupted=clicked)
    assert len(polls) == 3 and turns.waiting == 0
    turns.release()
    assert turns.acquire(timeout=0, interrupted=clicked)


def test_outside_a_script_run_no_click_is_waiting():
    assert session.click_waiting() is False
