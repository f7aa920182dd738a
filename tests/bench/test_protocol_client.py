"""bench.protocol_client against a real server: two sessions play /train and receive new charts.

The widget states it sends are checked on small protos (the rules the frontend follows);
the whole protocol is checked end to end: a session that opens the page, presses Play and
follows the fragment timers must see the main chart's training step grow.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from streamlit.proto.Checkbox_pb2 import Checkbox
from streamlit.proto.MultiSelect_pb2 import MultiSelect
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Selectbox_pb2 import Selectbox
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

from app.training_session import SLOW_TICK_SECONDS, TICK_SECONDS, tick_seconds
from bench.protocol_client import Session, play_sessions, widget_state
from tests.e2e.conftest import start_server, stop_server

PLAY_SECONDS = 5.0


def run_async(coroutine):
    """asyncio.run in a thread of its own: an earlier test in the same process (Streamlit's AppTest,
    Playwright) may have left an event loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.parametrize(
    ("kind", "element", "field", "expected"),
    [
        ("checkbox", Checkbox(id="a", default=True), "bool_value", True),
        ("checkbox", Checkbox(id="a", default=True, value=False, set_value=True), "bool_value", False),
        ("number_input", NumberInput(id="a", default=3, data_type=NumberInput.INT), "int_value", 3),
        ("number_input", NumberInput(id="a", default=0.5, data_type=NumberInput.FLOAT), "double_value", 0.5),
        ("slider", Slider(id="a", default=[10]), "double_array_value", [10.0]),
        ("slider", Slider(id="a", default=[10], value=[20], set_value=True), "double_array_value", [20.0]),
        ("selectbox", Selectbox(id="a", options=["x", "y"], default=1), "string_value", "y"),
        ("selectbox", Selectbox(id="a", options=["x"], default=0, raw_value="z", set_value=True), "string_value", "z"),
        ("multiselect", MultiSelect(id="a", options=["x", "y", "z"], default=[0, 2]), "string_array_value", ["x", "z"]),
    ],
)
def test_widget_state_is_the_default_or_the_value_the_server_set(kind, element, field, expected):
    state = widget_state(kind, element, None)
    assert state.id == "a" and state.WhichOneof("value") == field
    value = getattr(state, field)
    assert (list(value.data) if hasattr(value, "data") else value) == expected


def test_timers_ask_less_often_as_more_sessions_play():
    assert [tick_seconds(0.05, playing) for playing in (1, 4, 5, 8, 9, 16, 32, 33)] == pytest.approx(
        [0.05, 0.05, 0.1, 0.1, 0.2, 0.2, 0.4, 0.8]
    )


def test_a_widget_keeps_its_value_until_the_server_sets_one():
    held = WidgetState(id="a", bool_value=False)
    assert widget_state("checkbox", Checkbox(id="a", default=True), held) is held
    assert widget_state("checkbox", Checkbox(id="a", value=True, set_value=True), held).bool_value is True
    assert widget_state("button", object(), None) is None


@pytest.fixture(scope="module")
def server_url():
    process, url = start_server()
    yield url
    stop_server(process)


def test_two_sessions_play_and_receive_new_charts(server_url):
    sessions = run_async(play_sessions(server_url, count=2, seconds=PLAY_SECONDS))
    for session in sessions:
        assert session.errors == []
        assert session.failure() is None
        steps = [step for _, step in session.updates]
        assert steps[0] == 0, "the first chart, before Play, is the untrained model"
        assert len(steps) >= 6, f"only {len(steps) - 1} chart updates in {PLAY_SECONDS:g} s of playing"
        assert all(later > earlier for earlier, later in zip(steps, steps[1:], strict=False)), steps
        assert session.query == "run=1", "the page writes the playing state into its link"
        assert session.reruns_sent > len(steps), "the fragment timer asks for the ticks"


def test_every_chart_a_tick_builds_reaches_the_browser_and_timers_slow_down_with_more_sessions(server_url):
    """With one training step per tick, each tick's chart shows the next step: a step missing from
    what a session received is a chart the server built and never sent. (Streamlit drops a
    fragment's unsent messages when its next run starts; with 8 sessions on 2 cores two charts in
    three were lost that way until a tick waited for its chart to leave, training.wait_until_sent.)"""
    sessions = run_async(play_sessions(server_url, count=8, seconds=PLAY_SECONDS, values={"train_steps_per_tick": 1}))
    for session in sessions:
        assert session.errors == [] and session.failure() is None
        steps = sorted({step for _, step in session.updates if step > 0})
        assert len(steps) >= 3, f"too few charts to judge: {steps}"
        delivered = (len(steps) - 1) / (steps[-1] - steps[0])
        assert delivered >= 0.8, f"only {delivered:.0%} of the charts built reached the browser: steps {steps}"
        # 8 sessions playing (up to 10 if the previous test's are still counted): each browser's timers
        # were re-armed from a tick to ask half or a quarter as often as one session's do
        expected = [
            sorted(tick_seconds(base, playing) for base in (TICK_SECONDS, SLOW_TICK_SECONDS)) for playing in (8, 10)
        ]
        armed = sorted(session.timer_intervals.values())  # float32 in the message
        assert any(armed == pytest.approx(intervals, rel=1e-6) for intervals in expected), armed


def test_pause_is_answered_by_a_full_run_and_the_charts_stop(server_url):
    async def play_then_pause():
        session = Session(server_url)
        await session.open()
        await session.wait_ready()
        await session.press("train_play")
        await asyncio.sleep(2.0)
        seconds = await session.answered("train_pause")
        charts = len(session.updates)
        await asyncio.sleep(1.0)  # a fragment run already asked for may still land; none after that
        settled = len(session.updates)
        await asyncio.sleep(1.5)
        await session.close()
        return session, seconds, charts, settled

    session, seconds, charts, settled = run_async(play_then_pause())
    assert session.errors == [] and session.failure() is None
    assert 0 < seconds < 60 and charts >= 3
    assert len(session.updates) == settled, "charts kept coming after the pause"
    assert not session._buttons["train_play"].disabled, "the paused page offers Play again"
