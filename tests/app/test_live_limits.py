"""What one live update may compute: a heavy link is reduced with a notice, heavy widget values refused."""

import dataclasses
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import training_session as session
from lab.settings import TrainSettings

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "train.py")
HEAVY = {
    "n_samples": "5000",
    "hidden_layers": "6",
    "hidden_width": "128",
    "batch_size": "1024",
    "compare_ms": "1,2,3,4,5,6,7,8",
    "n_classes": "10",
}


def brute_force_macs(settings: TrainSettings, points: int, grid: int = session.MIN_GRID_RESOLUTION) -> tuple[int, int]:
    """Multiply-adds counted layer by layer over an explicit list of layer shapes."""
    shapes = []
    width_in = 2
    for _ in range(settings.hidden_layers):
        shapes.append((width_in, settings.hidden_width))
        width_in = settings.hidden_width
    shapes.append((width_in, 2))  # the 2-D feature layer
    shapes.append((2, settings.effective_classes))  # the head
    per_point = sum(a * b for a, b in shapes) * len(settings.margins)
    return 3 * settings.batch_size * per_point, (points + grid**2) * per_point


def test_the_cost_estimate_counts_every_layer():
    for query in ({}, HEAVY, {"hidden_layers": "0"}, {"hidden_layers": "1", "hidden_width": "7", "compare_ms": "2,3"}):
        settings = TrainSettings.from_query(query)[0]
        assert session.live_costs(settings) == brute_force_macs(settings, settings.n_samples)


def test_the_default_and_the_papers_comparison_fit_unchanged_at_the_full_grid():
    for query in ({}, {"compare_ms": "1,2,3,4"}):
        settings = TrainSettings.from_query(query)[0]
        assert session.fit_live_limits(settings) == (settings, [])
        assert session.live_grid_resolution(settings) == session.GRID_RESOLUTION


def test_a_heavier_network_gets_a_coarser_grid_that_fits():
    settings = TrainSettings.from_query({"compare_ms": "1,2,3,4,5,6,7,8", "hidden_layers": "6"})[0]
    assert session.fit_live_limits(settings) == (settings, [])
    grid = session.live_grid_resolution(settings)
    assert session.MIN_GRID_RESOLUTION <= grid < session.GRID_RESOLUTION
    assert brute_force_macs(settings, settings.n_samples, grid)[1] <= session.SNAPSHOT_MAC_LIMIT
    assert brute_force_macs(settings, settings.n_samples, grid + 5)[1] > session.SNAPSHOT_MAC_LIMIT
    assert session.new_run(settings).grid_resolution == grid


def test_the_heavy_link_is_reduced_to_what_a_live_update_can_compute_with_a_notice():
    settings, problems = session.settings_from_link(HEAVY, {})
    step, snapshot = brute_force_macs(settings, settings.n_samples)
    assert step <= session.STEP_MAC_LIMIT and snapshot <= session.SNAPSHOT_MAC_LIMIT
    assert settings.hidden_width < 128 and settings.batch_size < 1024
    assert len(settings.margins) == 8 and settings.hidden_layers == 6  # compare_ms: an old link, still 8 models
    assert any(problem.startswith("hidden_width=128 ") for problem in problems)
    assert any(problem.startswith("batch_size=1024 ") for problem in problems)
    wider = dataclasses.replace(settings, hidden_width=settings.hidden_width + 1)
    assert brute_force_macs(wider, wider.n_samples)[1] > session.SNAPSHOT_MAC_LIMIT or wider.hidden_width > 128


def test_the_page_opens_the_heavy_link_reduced_and_plays_a_tick():
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in HEAVY.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert any("hidden_width=128" in warning.value for warning in at.warning)
    assert at.number_input(key="ts_hidden_width").value < 128
    at.button(key="train_play").click()
    at.run()
    assert not at.exception, at.exception


def test_a_widget_change_that_is_too_heavy_is_refused_and_says_why():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["compare_ms"] = "1,2,3,4,5,6,7,8"
    at.query_params["hidden_layers"] = "6"
    at.run()
    assert not at.warning  # this fits (with a coarser grid)
    at.number_input(key="ts_hidden_width").set_value(128)
    at.run()
    assert not at.exception, at.exception
    assert any("multiply-adds" in error.value for error in at.error)
    assert at.session_state[session.SETTINGS_KEY].hidden_width == 32
