"""app.digits_cli: the command line writes metrics.json and the figures, and reports bad input
without a traceback."""

import json
from pathlib import Path

import pytest

from app.digits_cli import main


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))  # never the user's cache


def test_command_line_writes_metrics_and_figures(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["--margins", "1,2", "--epochs", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert [model["m"] for model in metrics["models"]] == [1, 2]
    assert metrics["models"][0]["paper_mnist_error_percent"] == 0.40
    html = (out / "figure.html").read_text()
    assert "plotly" in html.lower() and "digit 0" in html and len(html) > 1_000_000  # plotly.js inlined
    assert (out / "angles.html").is_file()
    if Path("/usr/bin/chromium").exists():  # kaleido drives the system Chromium
        assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", printed
    else:
        assert "skipped figure.png" in printed


def test_command_line_reports_bad_input_without_a_traceback(capsys):
    assert main(["--margins", "1,x"]) == 2
    assert "error: margins must be comma-separated integers" in capsys.readouterr().err
