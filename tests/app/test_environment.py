"""app.environment: bad values in the environment fall back to the default with a logged warning."""

import logging

import pytest

from app.environment import choice_setting, int_setting

NAME = "LSOFTMAX_TEST_SETTING"


@pytest.mark.parametrize("raw", ["", "abc", "2.5", "0", "-3", " ", "1e3"])
def test_a_bad_integer_falls_back_with_a_warning(monkeypatch, caplog, raw):
    monkeypatch.setenv(NAME, raw)
    with caplog.at_level(logging.WARNING, logger="app.environment"):
        assert int_setting(NAME, 2) == 2
    assert NAME in caplog.text


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), (" 7 ", 7), ("16", 16)])
def test_a_good_integer_is_used(monkeypatch, caplog, raw, expected):
    monkeypatch.setenv(NAME, raw)
    with caplog.at_level(logging.WARNING, logger="app.environment"):
        assert int_setting(NAME, 2) == expected
    assert not caplog.records


def test_unset_is_the_default_without_a_warning(monkeypatch, caplog):
    monkeypatch.delenv(NAME, raising=False)
    with caplog.at_level(logging.WARNING, logger="app.environment"):
        assert int_setting(NAME, 2) == 2
    assert not caplog.records


@pytest.mark.parametrize(("raw", "expected", "warns"), [("CPU", "cpu", False), ("", "", False), ("gpu0", "", True)])
def test_choice_setting(monkeypatch, caplog, raw, expected, warns):
    monkeypatch.setenv(NAME, raw)
    with caplog.at_level(logging.WARNING, logger="app.environment"):
        assert choice_setting(NAME, ("cpu", "cuda")) == expected
    assert bool(caplog.records) == warns


@pytest.mark.parametrize("raw", ["", "abc", "2.5"])
def test_the_training_page_module_loads_with_a_bad_tick_limit(raw):
    """The issue's case: LSOFTMAX_MAX_TRAINING_TICKS broke /train on every load."""
    import subprocess
    import sys
    from pathlib import Path

    code = "import app.training_session as s; print(s.MAX_TRAINING_TICKS)"
    env = {"LSOFTMAX_MAX_TRAINING_TICKS": raw, "PATH": "/usr/bin:/bin"}
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
    assert "LSOFTMAX_MAX_TRAINING_TICKS" in result.stderr
