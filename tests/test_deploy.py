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
import yaml

from tests.ci import skip_or_fail

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
    from lab.user_data import MAX_UPLOAD_MB

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
    assert not _ignored("app/streamlit_app.py", patterns) and not _ignored("lab/settings.py", patterns)
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


# ------------------------------------------------------------------ deploy/: proxy and replicas

DEPLOY = ROOT / "deploy"
HAPROXY_CONFIG = (DEPLOY / "haproxy.cfg").read_text()


def _haproxy_lines(section: str) -> list[str]:
    """The directives of one section ("backend replicas") of deploy/haproxy.cfg, comments dropped."""
    lines, inside = [], False
    for line in HAPROXY_CONFIG.splitlines():
        if line and not line[0].isspace():
            inside = line.strip() == section
            continue
        text = line.split("#", 1)[0].strip()
        if inside and text:
            lines.append(text)
    return lines


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", text).groups()
    return int(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 0.001}[unit]


def test_haproxy_config_is_valid_for_haproxy():
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.path.exists(haproxy):
        skip_or_fail("HAProxy is not installed (apt-get install haproxy)")
    result = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_config_has_what_streamlit_replicas_need():
    backend, defaults, frontend = (_haproxy_lines(name) for name in ("backend replicas", "defaults", "frontend lab"))
    cookie = next(line for line in backend if line.startswith("cookie "))
    assert " insert " in cookie and "httponly" in cookie  # affinity by cookie, not by client IP
    assert not any(line.startswith("balance source") for line in backend)
    assert "option httpchk GET /_stcore/health" in backend and "option redispatch" in " ".join(defaults)
    timeouts = {line.split()[1]: _seconds(line.split()[2]) for line in defaults if line.startswith("timeout ")}
    assert min(timeouts["tunnel"], timeouts["client"], timeouts["server"]) >= 3600  # websockets stay up
    assert any("/_stcore/metrics" in line and line.startswith("http-request deny") for line in frontend)
    assert any("frame-ancestors" in line for line in frontend) and any("X-Frame-Options" in line for line in frontend)
    assert not any("Host" in line for line in frontend + backend)  # the Host header is passed unchanged


def _yaml_documents(name: str) -> list[dict]:
    return [document for document in yaml.safe_load_all((DEPLOY / name).read_text()) if document]


def test_compose_runs_replicas_with_one_secret_behind_the_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    lab, proxy = compose["services"]["lab"], compose["services"]["proxy"]
    assert lab["build"] == ".." and lab["deploy"]["replicas"] >= 2 and "ports" not in lab  # reached via the proxy
    secret = lab["environment"]["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert secret.startswith("${LAB_COOKIE_SECRET:?")  # one value for every replica, and required
    assert proxy["build"]["dockerfile"] == "haproxy.Dockerfile"
    assert proxy["environment"]["LAB_REPLICAS"] == "lab:8501"
    assert proxy["environment"]["LAB_BIND"].endswith(":8080") and proxy["ports"] == ["8080:8080"]
    assert "COPY haproxy.cfg /etc/haproxy/haproxy.cfg" in (DEPLOY / "haproxy.Dockerfile").read_text()


def test_kubernetes_has_the_same_properties_as_compose():
    documents = {
        (document["kind"], document["metadata"]["name"]): document for document in _yaml_documents("kubernetes.yaml")
    }
    lab = documents[("Deployment", "lab")]["spec"]
    container = lab["template"]["spec"]["containers"][0]
    env = {item["name"]: item for item in container["env"]}
    assert lab["replicas"] >= 2
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "lab-secrets"
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    headless = documents[("Service", "lab-replicas")]["spec"]
    assert headless["clusterIP"] == "None" and headless["selector"] == lab["selector"]["matchLabels"]
    proxy = documents[("Deployment", "lab-proxy")]["spec"]["template"]["spec"]
    proxy_env = {item["name"]: item.get("value") for item in proxy["containers"][0]["env"]}
    host, port = proxy_env["LAB_REPLICAS"].rsplit(":", 1)
    assert host.startswith("lab-replicas.") and int(port) == headless["ports"][0]["port"]
    assert proxy["containers"][0]["volumeMounts"][0]["mountPath"] == "/etc/haproxy"
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    generated = kustomization["configMapGenerator"][0]
    assert generated["files"] == ["haproxy.cfg"] and proxy["volumes"][0]["configMap"]["name"] == generated["name"]


def test_proxy_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, str(DEPLOY / "haproxy.Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
