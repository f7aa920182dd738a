"""The Dockerfile's entry command, run exactly as the image would run it (no Docker engine here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _dockerfile_env() -> dict[str, str]:
    """The ENV block's KEY=VALUE pairs (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    pairs = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            pairs.update(dict(item.split("=", 1) for item in line[4:].split()))
    return pairs


def _entrypoint() -> list[str]:
    line = next(line for line in DOCKERFILE.splitlines() if line.startswith("ENTRYPOINT "))
    return json.loads(line[len("ENTRYPOINT ") :])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_with_healthcheck():
    assert re.search(r"^USER (?!root|0\b)", DOCKERFILE, re.MULTILINE)
    assert "EXPOSE 8501" in DOCKERFILE
    assert "/_stcore/health" in DOCKERFILE
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()


def test_entrypoint_serves_the_app():
    env = {**os.environ, **_dockerfile_env()}
    env["STREAMLIT_SERVER_ADDRESS"] = "127.0.0.1"  # tests stay on loopback
    env["STREAMLIT_SERVER_PORT"] = str(_free_port())
    command = _entrypoint()
    assert command[0] == "python"
    command[0] = sys.executable
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['STREAMLIT_SERVER_PORT']}"
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and health != "ok":
            assert process.poll() is None, process.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    health = response.read().decode().strip()
            except OSError:
                time.sleep(0.3)
        assert health == "ok"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert '<div id="root">' in response.read().decode()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("name", ["OMP_NUM_THREADS", "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "STREAMLIT_SERVER_ADDRESS"])
def test_production_settings_present(name):
    assert name in _dockerfile_env()
