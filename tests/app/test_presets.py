"""Every preset opens its page cleanly: the page's own validation accepts every parameter (no
link notice, no exception), and the widgets show the preset's values."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import training_session as session
from app.presets import PAGE_FILES, PRESETS, Preset
from lab.settings import TrainSettings

APP = Path(__file__).resolve().parents[2] / "app"
TRAINING = [key for key, preset in PRESETS.items() if preset.page == "train"]
GEOMETRY = [key for key, preset in PRESETS.items() if preset.page != "train"]


def open_preset(preset: Preset) -> AppTest:
    at = AppTest.from_file(str(APP / preset.page_file), default_timeout=90)
    for name, value in preset.query.items():
        at.query_params[name] = value
    return at.run()


def widget_value(at: AppTest, key: str):
    """The value of the URL-bound widget with this key, whatever its kind."""
    return at.session_state[key]


def same(shown, raw: str) -> bool:
    """Does a widget value equal the URL text raw (booleans as true/false, numbers by value)?"""
    if isinstance(shown, bool):
        return str(shown).lower() == raw
    if isinstance(shown, (int, float)):
        return float(shown) == float(raw)
    return str(shown) == raw


def test_the_registry_covers_every_figure_and_every_explorer():
    titles = [preset.title for preset in PRESETS.values()]
    for wanted in ("Figure 4: equal norms", "Figure 3: psi for m = 1..4", "Figure 2 live"):
        assert any(title.startswith(wanted) for title in titles), wanted
    assert {preset.page for preset in PRESETS.values()} == set(PAGE_FILES)
    assert all(preset.description for preset in PRESETS.values())


@pytest.mark.parametrize("name", GEOMETRY)
def test_geometry_preset_passes_the_page_validation_and_sets_the_widgets(name):
    preset = PRESETS[name]
    at = open_preset(preset)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "ignored" in w.value], [w.value for w in at.warning]
    for key, raw in preset.query.items():
        assert same(widget_value(at, key), raw), (key, widget_value(at, key), raw)


def test_mnist_preset_is_the_papers_schedule():
    at = open_preset(PRESETS["mnist-lambda"])
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["λ at iteration 10,000"] == "0.405648"  # the reference's check value
    assert shown["λ at iteration 1"] == "999.125"


def test_ten_classes_preset_draws_ten_classes_with_one_short_vector():
    at = open_preset(PRESETS["ten-classes-one-short"])
    classes = at.table[1].value
    assert len(classes) == 10
    assert list(classes["norm"]) == ["1.7"] + ["2"] * 9
    widths = [float(width) for width in classes["feasible (°)"]]
    assert 0 < widths[0] < 0.5 * min(widths[1:])  # thin, but still there
    assert any("W1 is the shortest vector" in info.value for info in at.info)


@pytest.mark.parametrize("name", TRAINING)
def test_training_preset_round_trips_and_opens_the_page_without_notice(name):
    preset = PRESETS[name]
    settings, problems = TrainSettings.from_query(preset.query)
    assert problems == []
    assert [margin.m for margin in settings.margins] == [1, 2, 3, 4] and settings.dataset == "spiral"
    at = open_preset(preset)
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert list(at.session_state[session.widget_key("compare")]) == [
        "softmax",
        "lsoftmax:2",
        "lsoftmax:3",
        "lsoftmax:4",
    ]


def test_links_are_relative_and_carry_the_query():
    assert PRESETS["first-margin"].link == "binary?m=2&n1=2&lock=true&t12=90"
    assert PRESETS["figure2-live"].link == "train?compare=softmax,lsoftmax:2,lsoftmax:3,lsoftmax:4"


@pytest.mark.parametrize("page", ["", "about", "../etc", "lesson"])
def test_unknown_page_is_rejected(page):
    with pytest.raises(ValueError, match="page must be one of"):
        Preset("x", page)
