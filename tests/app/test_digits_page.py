"""The digits page (Figure 2 on real digits) in AppTest: Train runs in ticks to a result with
one table row per m, Stop keeps a partial result, a finished run comes back from the cache,
and MNIST that cannot be found gives a message, not a traceback."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
MAX_TICKS = 200


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LSOFTMAX_MNIST_MIRROR", "http://127.0.0.1:9/")  # offline, at once


def open_page(epochs=1, margins=(1, 2)) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120).run()
    at.switch_page("views/digits.py").run()
    at.slider(key="digits_epochs").set_value(epochs)
    at.multiselect(key="digits_margins").set_value(list(margins))
    return at.run()


def exceptions(at: AppTest) -> list[str]:
    return [element.value for element in at.exception]


def train_to_the_end(at: AppTest) -> AppTest:
    at.button(key="digits_train").click().run()
    for _ in range(MAX_TICKS):  # one run() is one tick of the fragment
        if "digits_trainer" not in at.session_state:
            return at
        at.run()
    raise AssertionError(f"training did not finish in {MAX_TICKS} ticks")


def test_page_opens_with_train_enabled_and_stop_disabled():
    at = open_page()
    assert not exceptions(at), exceptions(at)
    assert at.title[0].value == "Figure 2 on real digits"
    assert not at.button(key="digits_train").disabled and at.button(key="digits_stop").disabled
    assert any("Press Train" in info.value for info in at.info)


def test_train_runs_to_a_result_with_a_row_per_m():
    at = train_to_the_end(open_page(epochs=1, margins=(1, 2)))
    assert not exceptions(at), exceptions(at)
    assert "digits_trainer" not in at.session_state
    table = at.table[0].value
    assert list(table["m"]) == [1, 2]
    assert list(table["MNIST error (paper)"]) == ["0.40 %", "0.32 %"]
    assert all(text.endswith(" %") for text in table["test accuracy"])
    assert len(at.get("plotly_chart")) == 3  # Figure 2 for test and training images, and the angle chart
    assert any("epochs" in markdown.value and "trained on CPU" in markdown.value for markdown in at.markdown)

    again = open_page(epochs=1, margins=(1, 2))  # a new session with the same settings: the cache
    assert not exceptions(again), exceptions(again)
    assert again.button(key="digits_train").label == "Train again"
    assert any("from the cache" in markdown.value for markdown in again.markdown)
    assert list(again.table[0].value["m"]) == [1, 2]


def test_stop_keeps_a_partial_result_and_does_not_cache_it(tmp_path):
    at = open_page(epochs=50, margins=(1, 4))
    at.button(key="digits_train").click().run()
    assert not at.button(key="digits_stop").disabled
    at.button(key="digits_stop").click().run()
    assert not exceptions(at), exceptions(at)
    assert any("stopped after" in markdown.value for markdown in at.markdown)
    assert list(at.table[0].value["m"]) == [1, 4]
    assert not list((tmp_path / "cache").rglob("*.npz"))
    fresh = open_page(epochs=50, margins=(1, 4))
    assert fresh.button(key="digits_train").label == "Train"  # nothing was cached


def test_missing_mnist_is_a_message():
    at = open_page()
    at.radio(key="digits_dataset").set_value("mnist").run()
    at.button(key="digits_train").click().run()
    assert not exceptions(at), exceptions(at)
    assert any("could not be downloaded" in error.value for error in at.error)
    assert at.button(key="digits_stop").disabled
