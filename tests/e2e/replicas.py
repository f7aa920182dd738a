"""N replicas of `streamlit run` behind HAProxy on loopback, with deploy/haproxy.cfg as shipped.

The only change to the config is its backend: the DNS server-template line becomes one
`server` line per local replica (all on 127.0.0.1, each on its own port). Used by
tests/e2e/test_replicas.py and bench/replicas.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.conftest import ROOT, _free_port, start_server, stop_server

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CONFIG = ROOT / "deploy" / "haproxy.cfg"
COOKIE = "LAB_REPLICA"  # the affinity cookie named in deploy/haproxy.cfg
TEMPLATE = re.compile(r"^\s*server-template .*$", re.MULTILINE)


def loopback_config(ports: list[int]) -> str:
    """deploy/haproxy.cfg with its server-template replaced by the local replicas."""
    text = CONFIG.read_text()
    assert len(TEMPLATE.findall(text)) == 1, "deploy/haproxy.cfg must have exactly one server-template line"
    servers = "\n".join(f"    server lab{index} 127.0.0.1:{port}" for index, port in enumerate(ports, 1))
    return TEMPLATE.sub(servers, text)


def _get(url: str, timeout: float = 2) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


@dataclass
class Cluster:
    """The running replicas (process, url) and the proxy's url."""

    url: str
    replicas: list[tuple[subprocess.Popen, str]]
    proxy: subprocess.Popen
    killed: set[int] = field(default_factory=set)

    def active_sessions(self, index: int) -> int:
        """Sessions connected to replica index (read from the replica itself: the proxy closes metrics)."""
        text = _get(f"{self.replicas[index][1]}/_stcore/metrics")
        return int(float(re.search(r"^active_sessions (\S+)", text, re.MULTILINE).group(1)))

    def kill(self, index: int) -> None:
        """SIGKILL replica index: a crash, not a clean shutdown."""
        process = self.replicas[index][0]
        process.kill()
        process.wait(timeout=10)
        self.killed.add(index)

    def wait_healthy(self, timeout: float = 30) -> None:
        """Wait until the proxy answers /_stcore/health (from some replica)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if _get(f"{self.url}/_stcore/health") == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the proxy did not answer /_stcore/health within {timeout} s")


@contextmanager
def cluster(count: int, cookie_secret: str = "one-secret-for-every-replica", env: dict | None = None):
    """`count` replicas and HAProxy in front of them; everything is stopped when the block ends."""
    replicas, proxy = [], None
    folder = Path(tempfile.mkdtemp(prefix="lab-proxy-"))
    try:
        for _ in range(count):
            replicas.append(start_server(env={"STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret, **(env or {})}))
        ports = [int(url.rsplit(":", 1)[1]) for _, url in replicas]
        config = folder / "haproxy.cfg"
        config.write_text(loopback_config(ports))
        port = _free_port()
        proxy_env = {**os.environ, "LAB_BIND": f"127.0.0.1:{port}", "LAB_AFFINITY_KEY": "test-key"}
        check = subprocess.run([HAPROXY, "-c", "-f", str(config)], env=proxy_env, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        proxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], env=proxy_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        running = Cluster(f"http://127.0.0.1:{port}", replicas, proxy)
        running.wait_healthy()
        time.sleep(2.5)  # one health-check interval: every replica counted up before the first session
        yield running
    finally:
        if proxy is not None:
            stop_server(proxy)
        for process, _ in replicas:
            stop_server(process)
        shutil.rmtree(folder, ignore_errors=True)
