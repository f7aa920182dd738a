"""Honest controls and numbers on the training page (AppTest): m is disabled in compare mode, a
reset says why, K is the data's, an upload's label mapping is shown, epoch and step counters,
the latest losses and accuracies as numbers, and the View toggles."""

import numpy as np
from streamlit.testing.v1 import AppTest

from app.figures.training import LEVELS
from app.live_chart.encoding import decode_typed_array
from tests.app.test_train_page import click, start, step_count, views

TEXT_CSV = b"x,y,label\n" + b"".join(
    f"{i % 7},{(i * 3) % 5},{('dog', 'cat', 'bird')[i % 3]}\n".encode() for i in range(30)
)


def shown_k(at: AppTest):
    widget = next(widget for widget in at.number_input if widget.label == "Classes K")
    return widget.value, widget.disabled


def notices(at: AppTest) -> list[str]:
    return [info.value for info in at.info]


def test_m_is_disabled_in_compare_mode_only():
    assert not start().slider(key="ts_m").disabled
    compare = start(compare_ms="1,2,3,4")
    assert compare.slider(key="ts_m").disabled
    assert "Compare" in compare.slider(key="ts_m").help


def test_a_change_that_resets_the_run_says_so_once():
    at = click(start(), "train_step")
    assert step_count(at) == 10
    at.slider(key="ts_m").set_value(2).run()
    assert step_count(at) == 0
    assert "Restarted at step 0: m changed (it was at step 10)." in notices(at)
    click(at, "train_step")
    assert not [notice for notice in notices(at) if notice.startswith("Restarted")]
    at.selectbox(key="ts_dataset").set_value("moons").run()
    assert any(notice.startswith("Restarted at step 0: dataset changed") for notice in notices(at))


def test_k_shows_the_classes_the_data_really_has():
    assert shown_k(start()) == (3, False)
    assert shown_k(start(dataset="gaussians")) == (2, True)
    assert shown_k(start(dataset="xor", n_classes="5")) == (2, True)


def test_an_upload_shows_its_k_and_its_label_mapping_as_text():
    at = start()
    at.file_uploader(key="train_csv").set_value(("pets.csv", TEXT_CSV, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ts_dataset").value == "custom"
    assert shown_k(at) == (3, True)
    assert "Labels: bird = class 1, cat = class 2, dog = class 3" in [text.value for text in at.text]


def test_epoch_and_step_counters_and_the_numbers_beside_the_curves():
    at = click(start(), "train_step")
    status = next(m.value for m in at.markdown if m.value.startswith("Training on"))
    train_count = 450  # 600 points, a quarter held out
    assert f"epoch **{10 * 32 / train_count:.1f}** · step **10**" in status
    table = at.table[0].value
    snapshot = at.session_state["train_run"].snapshot
    assert list(table["step"]) == ["10"]
    assert list(table["test loss"]) == [f"{snapshot.test_loss[0]:.4f}"]
    assert list(table["train accuracy"]) == [f"{snapshot.train_acc[0]:.1%}"]
    compare = click(start(compare_ms="1,4"), "train_step")
    assert list(compare.table[0].value["model"]) == ["softmax", "L-Softmax m=4"]


def open_circles(header: dict) -> int:
    """Test points drawn in the feature panel (open circles)."""
    return sum(
        decode_typed_array(trace["x"]).size
        for trace in header["figure"]["data"]
        if trace.get("marker", {}).get("symbol") == "circle-open" and trace.get("xaxis") == "x2"
    )


def test_show_test_data_and_discretise_output_toggles():
    at = start()
    assert open_circles(views(at)) > 0
    at.slider(key="train_steps_per_tick").set_value(400)
    click(at, "train_step")
    at.toggle(key="train_show_test").set_value(False).run()
    assert open_circles(views(at)) == 0 and step_count(at) == 400  # a view change, not a restart
    heatmap = next(trace for trace in views(at)["figure"]["data"] if trace["type"] == "heatmap")
    assert len(set(np.ravel(decode_typed_array(heatmap["z"])) % LEVELS)) > 1  # confidence bands
    at.toggle(key="train_discretise").set_value(True).run()
    heatmap = next(trace for trace in views(at)["figure"]["data"] if trace["type"] == "heatmap")
    assert set(np.ravel(decode_typed_array(heatmap["z"])) % LEVELS) == {LEVELS - 1}
