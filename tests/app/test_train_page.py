"""The live training page in AppTest: one at.run() is one tick (run_every is not simulated)."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app import training_session as session
from app.live_chart import unpack_message
from app.live_chart.encoding import decode_typed_array
from lab.settings import TrainSettings

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "train.py")
GOOD_CSV = b"x,y,label\n" + b"".join(f"{i % 5},{i % 3 - (i % 2) * 4},{i % 2}\n".encode() for i in range(20))


def start(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def step_count(at: AppTest) -> int:
    text = next(m.value for m in at.markdown if m.value.startswith("Training on"))
    return int(re.search(r"step \*\*([\d,]+)\*\*", text).group(1).replace(",", ""))


def views(at: AppTest) -> dict:
    """The figure the main live chart got in this run."""
    header, _ = unpack_message(at.get("bidi_component")[0].proto.bytes)
    return header


def feature_points(header: dict) -> np.ndarray:
    """Every feature drawn in the first feature panel (markers on x2), as (n, 2)."""
    traces = [
        trace
        for trace in header["figure"]["data"]
        if trace.get("xaxis") == "x2" and trace.get("mode") == "markers" and trace["name"].startswith("class")
    ]
    x = np.concatenate([decode_typed_array(trace["x"]) for trace in traces])
    y = np.concatenate([decode_typed_array(trace["y"]) for trace in traces])
    return np.stack([x, y], axis=1)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_starts_paused_at_step_zero_and_names_the_device():
    import torch

    device = "CUDA" if torch.cuda.is_available() else "CPU"
    at = start()
    assert step_count(at) == 0
    assert any(m.value.startswith(f"Training on **{device}**") for m in at.markdown)
    assert views(at)["step"] == 0
    assert not at.button(key="train_play").disabled and at.button(key="train_pause").disabled


def test_play_ticks_advance_and_pause_holds():
    at = click(start(), "train_play")
    first = step_count(at)
    assert first > 0
    at.run()
    second = step_count(at)
    assert second > first
    assert views(at)["step"] == second  # the chart got the new step's data
    click(at, "train_pause")
    paused = step_count(at)
    at.run()
    at.run()
    assert step_count(at) == paused


@pytest.mark.parametrize("steps", [1, 7])
def test_step_advances_by_the_set_amount(steps):
    at = start()
    at.slider(key="train_steps_per_tick").set_value(steps).run()
    click(at, "train_step")
    assert step_count(at) == steps
    click(at, "train_step")
    assert step_count(at) == 2 * steps


def test_reset_restores_the_start():
    at = start()
    initial = feature_points(views(at))
    click(at, "train_play")
    at.run()
    assert step_count(at) > 0
    assert not np.allclose(feature_points(views(at)), initial)
    click(at, "train_reset")
    assert step_count(at) == 0
    np.testing.assert_array_equal(feature_points(views(at)), initial)
    assert at.button(key="train_pause").disabled  # reset pauses


def test_changing_a_model_setting_restarts_from_step_zero_with_the_same_seed():
    at = start()
    initial = feature_points(views(at))
    click(at, "train_step")
    at.slider(key="ts_m").set_value(2).run()
    assert step_count(at) == 0
    assert at.query_params["m"] == "2"
    np.testing.assert_array_equal(feature_points(views(at)), initial)  # same seed: same initial network


def test_new_seed_changes_the_seed_and_the_link():
    at = start()
    initial = feature_points(views(at))
    click(at, "train_new_seed")
    assert at.number_input(key="ts_seed").value == 1
    assert at.query_params["seed"] == "1"
    assert not np.allclose(feature_points(views(at)), initial)


def test_a_link_sets_the_controls_and_compare_mode():
    at = start(m="2", compare_ms="1,3", dataset="moons", learning_rate="0.005")  # a link from before the family
    assert at.slider(key="ts_m").value == 2
    assert at.multiselect(key="ts_compare").value == ["softmax", "lsoftmax:3"]
    assert at.selectbox(key="ts_dataset").value == "moons"
    titles = [annotation["text"] for annotation in views(at)["figure"]["layout"]["annotations"]]
    assert any(title.startswith("features, softmax (±") for title in titles)
    assert any(title.startswith("features, L-Softmax m=3 (±") for title in titles)
    assert not at.warning


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"m": "99"}, "m"), ({"lambda_kind": "bogus"}, "lambda_kind"), ({"n_samples": "19999"}, "n_samples")],
)
def test_a_bad_link_shows_a_notice_and_uses_a_valid_value(query, expected):
    at = start(**query)
    notices = [warning.value for warning in at.warning]
    assert any(expected in notice for notice in notices), notices
    assert step_count(at) == 0


def test_divergence_pauses_with_the_trainers_message():
    at = start(learning_rate="5.0", lambda_kind="none", optimizer="sgd")
    click(at, "train_play")
    for _ in range(5):
        if at.error:
            break
        at.run()
    assert any("diverged" in error.value for error in at.error)
    assert at.button(key="train_play").disabled and at.button(key="train_pause").disabled
    held = step_count(at)
    at.run()
    assert step_count(at) == held


def test_a_good_csv_becomes_the_dataset():
    at = start()
    at.file_uploader(key="train_csv").set_value(("points.csv", GOOD_CSV, "text/csv")).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="ts_dataset").value == "custom"
    header = views(at)
    points = [
        t for t in header["figure"]["data"] if t.get("name") in ("train points", "test points") and t["x"] != [None]
    ]
    assert sum(len(decode_typed_array(t["x"])) for t in points) == 20


def test_a_bad_csv_shows_the_message_and_keeps_the_model():
    at = start()
    click(at, "train_step")
    before = step_count(at)
    at.file_uploader(key="train_csv").set_value(("bad.csv", b"x,y,label\n1,2,a\nnot,a,number\n", "text/csv")).run()
    assert not at.exception
    messages = [error.value for error in at.error]
    assert any(message.startswith("bad.csv:") and "previous data" in message for message in messages), messages
    assert at.selectbox(key="ts_dataset").value == TrainSettings().dataset
    assert step_count(at) == before


def test_load_uploaded_csv_reports_the_parsers_reason():
    with pytest.raises(ValueError, match="Line 3: y must be a number"):
        session.load_uploaded_csv(SimpleNamespace(name="f.csv", getvalue=lambda: b"x,y,label\n1,2,0\n1,oops,1\n"))
    data = session.load_uploaded_csv(SimpleNamespace(name="f.csv", getvalue=lambda: GOOD_CSV))
    assert data.inputs.shape == (20, 2) and data.n_classes == 2 and data.name == "f.csv"


# ------------------------------------------------------------------ session plumbing (app/training_session.py)


def fake_snapshot(weights, margins):
    return SimpleNamespace(weights=np.asarray(weights, dtype=np.float32), margins=tuple(margins))


@pytest.mark.parametrize(
    ("current", "needed", "expected"),
    [(1.0, 5.0, 7.0), (10.0, 5.0, 10.0), (15.0, 5.0, 7.0), (7.0, 6.0, 7.0), (100.0, 30.0, 40.0)],
)
def test_feature_axes_grow_at_once_and_shrink_only_when_twice_too_wide(current, needed, expected):
    assert session.next_extent(current, needed) == expected


def test_paused_arcs_are_exactly_the_geometry_librarys():
    from lsoftmax.geometry import feasible_arcs, margin_gaps

    weights = np.array([[[1.0, 0.2], [-0.5, 1.0], [-0.4, -1.2]], [[0.3, 1.0], [-1.0, 0.1], [0.8, -0.9]]])
    run = session.Run(settings=None, data_id="", trainer=None)
    arcs = session.refresh_arcs(run, fake_snapshot(weights, (2, 4)), max_updates=2)
    for g, m in enumerate((2, 4)):
        expected = feasible_arcs(weights[g].astype(np.float32).astype(np.float64), m)
        assert arcs[g].arcs == expected
        assert arcs[g].gaps == [(gap.start, gap.end) for gap in margin_gaps(expected) if gap.width > 0]


def test_playing_refreshes_the_most_moved_model_only():
    weights = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    run = session.Run(settings=None, data_id="", trainer=None)
    session.refresh_arcs(run, fake_snapshot(weights, (1, 3)), max_updates=2)
    before = [run.arcs[g] for g in (0, 1)]
    moved = weights.copy()
    moved[0, 0] = [0.9, 0.3]  # model 0 moved a lot
    moved[1, 0] = [1.0, 0.05]  # model 1 a little
    session.refresh_arcs(run, fake_snapshot(moved, (1, 3)), max_updates=1)
    assert run.arcs[0] is not before[0] and run.arcs[1] is before[1]
    session.refresh_arcs(run, fake_snapshot(moved, (1, 3)), max_updates=1)
    assert run.arcs[1] is not before[1]


def test_zero_class_vector_draws_no_arcs_instead_of_failing():
    run = session.Run(settings=None, data_id="", trainer=None)
    arcs = session.refresh_arcs(run, fake_snapshot([[[1.0, 0.0], [0.0, 0.0]]], (2,)), max_updates=1)
    assert arcs[0].arcs == [[], []] and arcs[0].gaps == []


@pytest.mark.parametrize("threads_before", [2, 3])
def test_torch_threads_are_one_in_every_script_thread(threads_before):
    """Each Streamlit script run has its own thread, and torch's setting is per thread."""
    import threading

    import torch

    seen = []

    def script_run():
        torch.set_num_threads(threads_before)  # whatever the thread started with
        session.set_torch_threads_once()
        session.set_torch_threads_once()
        seen.append(torch.get_num_threads())

    thread = threading.Thread(target=script_run)
    thread.start()
    thread.join()
    assert seen == [1]


def test_a_link_to_custom_data_without_the_csv_says_so_and_uses_a_generated_dataset():
    at = start(dataset="custom")
    assert any("CSV" in warning.value for warning in at.warning)
    assert at.selectbox(key="ts_dataset").value == TrainSettings().dataset
    assert step_count(at) == 0


@pytest.mark.parametrize(("value", "device"), [("cpu", "cpu"), ("", "cpu"), ("cuda", "cuda"), (" CUDA ", "cuda")])
def test_the_toy_model_runs_on_the_cpu_unless_cuda_is_forced(monkeypatch, value, device):
    import importlib

    monkeypatch.setenv("LSOFTMAX_DEVICE", value)
    try:
        assert device == importlib.reload(session).TOY_DEVICE
    finally:
        monkeypatch.delenv("LSOFTMAX_DEVICE")
        importlib.reload(session)
