"""lab.digits: a short CPU run learns the 8x8 digits for m = 1 and m = 4; lockstep (same start,
same batches), progress, stop, the cache and the settings' checks (the command line: tests/app/test_digits_cli.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.digits import (
    DigitsData,
    DigitsSettings,
    DigitsTrainer,
    lambda_schedule,
    load_digits_data,
    load_result,
    save_result,
)

ROOT = Path(__file__).resolve().parents[2]
# The short run of the suite: 8 epochs of the 1,347 training digits (688 steps of two models),
# 10-30 s on one core of this shared machine.
SHORT = DigitsSettings(margins=(1, 4), epochs=8)
MIN_TEST_ACCURACY = {1: 0.90, 4: 0.80}  # measured 0.96 and 0.90


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine more threads only wait for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def short_run(one_thread):
    return DigitsTrainer(SHORT, load_digits_data(SHORT), device="cpu").run()


def test_short_cpu_run_beats_the_stated_accuracy(short_run):
    assert not short_run.stopped and short_run.device == "cpu"
    for model in short_run.models:
        assert model.test_accuracy > MIN_TEST_ACCURACY[model.m], (model.m, model.test_accuracy)


def test_features_and_class_vectors_are_two_dimensional(short_run):
    for model in short_run.models:
        assert model.train_features.shape == (len(short_run.train_labels), 2)
        assert model.test_features.shape == (len(short_run.test_labels), 2)
        assert model.weights.shape == (10, 2) and np.isfinite(model.weights).all()


def test_larger_m_gathers_features_closer_to_their_class_vector(short_run):
    angles = {model.m: float(np.nanmean(model.class_angle_deg)) for model in short_run.models}
    margins = {model.m: model.margin_deg for model in short_run.models}
    assert angles[4] < angles[1]
    assert margins[1] < 1e-6 < margins[4]  # m = 1 is plain softmax: no gaps between arcs


def test_the_8x8_split_is_disjoint_and_complete():
    data = load_digits_data(DigitsSettings())
    assert data.train_images.shape[1:] == (1, 8, 8) and len(data.train_labels) + len(data.test_labels) == 1797
    assert abs(float(data.train_images.mean())) < 1e-5  # standardised on the training images


def test_models_start_equal_and_see_the_same_batches():
    settings = DigitsSettings(margins=(1, 2, 3), epochs=1)
    trainer = DigitsTrainer(settings, load_digits_data(settings), device="cpu")
    states = [model.state_dict() for model in trainer.models]
    for name, value in states[0].items():
        if torch.is_tensor(value):
            assert all(torch.equal(value, state[name]) for state in states[1:]), name
    first = trainer._next_batch()
    again = DigitsTrainer(settings, load_digits_data(settings), device="cpu")._next_batch()
    assert torch.equal(first, again)  # batch order comes from the seed, not from global state
    assert [model.head.m for model in trainer.models] == [1, 2, 3]


def test_the_network_handles_mnist_sized_images():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((40, 1, 28, 28)).astype(np.float32)
    labels = np.arange(40) % 10
    data = DigitsData(images[:32], labels[:32], images[32:], labels[32:], "random 28x28")
    settings = DigitsSettings(dataset="mnist", margins=(1, 3), epochs=1, batch_size=16)
    trainer = DigitsTrainer(settings, data, device="cpu")
    sizes = [module.out_channels for module in trainer.models[0].body if isinstance(module, torch.nn.Conv2d)]
    assert sizes == [16, 16, 32, 32, 64, 64]  # 28 -> 14 -> 7 -> 3 pixels
    result = trainer.run()
    assert result.steps == 2 and result.models[1].test_features.shape == (8, 2)
    assert np.isfinite(result.models[1].test_features).all()


def test_lambda_reaches_the_stated_end_value():
    settings = DigitsSettings(lambda_base=1000.0, lambda_end=0.5)
    schedule = lambda_schedule(settings, 500)
    assert schedule.schedule(0) == 1000.0
    assert schedule.schedule(500) == pytest.approx(0.5, rel=1e-9)


def test_progress_reports_and_stop_keeps_a_partial_result():
    settings = DigitsSettings(margins=(1, 2), epochs=3)
    trainer = DigitsTrainer(settings, load_digits_data(settings), device="cpu")
    reports = []
    # report_seconds=0: one step per report, so the stop lands mid-run however fast the machine is
    result = trainer.run(on_progress=reports.append, should_stop=lambda: len(reports) >= 1, report_seconds=0)
    assert len(reports) == 1 and 0 < reports[0].fraction < 1 and reports[0].seconds_left > 0
    assert result.stopped and 0 < result.steps < trainer.total_steps
    assert result.epochs_done == pytest.approx(result.steps / trainer.steps_per_epoch)


def test_a_saved_result_loads_back_only_for_its_own_settings(short_run, tmp_path):
    path = save_result(short_run)
    loaded = load_result(SHORT)
    assert path.is_file() and loaded is not None
    assert loaded.metrics() == short_run.metrics()
    assert np.array_equal(loaded.models[1].test_features, short_run.models[1].test_features)
    assert load_result(DigitsSettings(margins=(1, 4), epochs=7)) is None
    path.write_bytes(b"not an npz")
    assert load_result(SHORT) is None


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"dataset": "cifar"}, "dataset"),
        ({"margins": (1, 1)}, "margins"),
        ({"margins": ()}, "margins"),
        ({"epochs": 0}, "epochs"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"batch_size": 2.5}, "batch_size"),
    ],
)
def test_bad_settings_name_the_field(changes, name):
    with pytest.raises(ValueError, match=f"^{name} must be"):
        DigitsSettings(**changes)


def test_the_lab_never_imports_the_front_end():
    code = "import sys, lab.digits, lab.idx; print(sorted({'streamlit', 'plotly'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
