"""The Dockerfile's entry command, run exactly as the image would run it (no Docker engine here)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


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


def _healthcheck() -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    line = next(line for line in joined.splitlines() if line.startswith("HEALTHCHECK "))
    return json.loads(line.split(" CMD ", 1)[1])


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
        probe = [sys.executable if part == "python" else part for part in _healthcheck()]
        assert subprocess.run(probe, env=env, timeout=30).returncode == 0  # the image's probe finds this port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("name", ["OMP_NUM_THREADS", "STREAMLIT_SERVER_ADDRESS", "STREAMLIT_SERVER_FILE_WATCHER_TYPE"])
def test_image_settings_present(name):
    assert name in _dockerfile_env()


def test_healthcheck_probes_the_configured_port_and_fails_when_nothing_listens():
    env = {**os.environ, "STREAMLIT_SERVER_PORT": str(_free_port())}
    probe = [sys.executable if part == "python" else part for part in _healthcheck()]
    assert subprocess.run(probe, env=env, capture_output=True, timeout=30).returncode != 0


def test_the_shipped_config_holds_the_production_settings():
    """`make run`, the tests and the image all read .streamlit/config.toml, not only the image's ENV."""
    from lsoftmax.user_data import MAX_UPLOAD_MB

    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["client"]["toolbarMode"] == "viewer"
    assert CONFIG["server"]["maxUploadSize"] == MAX_UPLOAD_MB  # one upload limit
    assert CONFIG["server"]["allowedHosts"] and "*" not in CONFIG["server"]["allowedHosts"]
    assert CONFIG["server"]["enableXsrfProtection"] is True and CONFIG["server"]["enableCORS"] is True
    assert CONFIG["server"]["enableStaticServing"] is False
    assert CONFIG["runner"]["postScriptGC"] is False
    overridden = {name for name in _dockerfile_env() if name.startswith("STREAMLIT_")}
    assert not overridden & {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"}


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path (or a folder above it) decides."""
    ignored = False
    parts = path.split("/")
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        regex = re.compile(fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*"))
        if pattern == "**" or any(regex.match(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_what_the_image_copies_and_nothing_heavy():
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and line[0] != "#"
    ]
    copied = [
        part for line in DOCKERFILE.splitlines() if line.startswith("COPY ")
        for part in line.split()[1:-1] if not part.startswith("--")
    ]  # fmt: skip
    assert copied and not [path for path in copied if _ignored(path.rstrip("/"), patterns)]
    assert not _ignored("app/streamlit_app.py", patterns) and not _ignored("lsoftmax/settings.py", patterns)
    for heavy in (".venv/lib/x.py", ".git/HEAD", "tests/test_deploy.py", "test-results/a.png", "app/__pycache__/a.pyc"):
        assert _ignored(heavy, patterns), heavy


def test_the_files_copied_before_the_install_are_enough_to_build_the_package(tmp_path):
    """`pip install .` in the image sees only what the COPY lines above it brought in."""
    lines = DOCKERFILE.splitlines()
    install = next(index for index, line in enumerate(lines) if "pip install" in line and line.startswith("RUN"))
    context = tmp_path / "image"
    context.mkdir()
    for line in lines[:install]:
        if line.startswith("COPY "):
            *sources, _destination = [part for part in line.split()[1:] if not part.startswith("--")]
            for source in sources:
                copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
                copy(ROOT / source, context / source)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(tmp_path), "."],
        cwd=context, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "did not match any files" not in output, output  # e.g. license-files missing from the COPY
    assert list(tmp_path.glob("lsoftmax-*.whl"))
