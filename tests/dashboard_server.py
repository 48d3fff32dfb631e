"""Test helper shared by the browser tests: one headless `streamlit run dashboard` per runs folder
for the whole test session (the ``dashboard_servers`` fixture of tests/conftest.py), so the modules
that read the same runs share one server, its loaded models, vectors and data, instead of each
starting its own and loading them again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the Streamlit server at ``url`` answers its health check (or exited, or ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout:.0f} s")


class DashboardServers:
    """Started servers by runs folder; :meth:`url` starts one on first use, :meth:`close` stops all."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, tuple[str, subprocess.Popen, Path]] = {}

    def url(self, runs_dir: Path) -> str:
        """The address of a server reading ``runs_dir`` (``$NERLIB_RUNS_DIR`` wins when set, as for
        the docs' screenshots of real runs)."""
        env = dict(os.environ)
        env.setdefault("NERLIB_RUNS_DIR", str(runs_dir))
        folder = env["NERLIB_RUNS_DIR"]
        if folder in self.running:
            url, process, _ = self.running[folder]
            if process.poll() is None:
                return url
        port = free_port()
        log = self.log_dir / f"streamlit-{port}.log"
        with open(log, "wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false"],
                cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        self.running[folder] = (url, process, log)
        wait_healthy(url, process)
        return url

    def close(self) -> None:
        for _, process, log in self.running.values():
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.returncode not in (0, -15, None):
                print(log.read_text(errors="replace")[-4000:])
        self.running.clear()
