"""A real contenthubd serving its HTTP API on a loopback port, for tests that speak HTTP to it.

The daemon runs in its own session; its whole process group (the fake creator included) is
killed on every exit path.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.daemons import CONTENTHUBD, daemon_environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HttpDaemon:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=60, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=30)


def spawn(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen([str(CONTENTHUBD)], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def wait_for_http(base_url: str, process: subprocess.Popen[bytes], log_path: Path, within: float = 90) -> None:
    """Poll ``/healthz`` until it answers 200. One client for every poll: each new httpx client
    loads the CA bundle (~20 ms of CPU), and a daemon starting on a loaded machine is polled
    dozens of times."""
    deadline = time.monotonic() + within
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"contenthubd exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"contenthubd did not answer HTTP within {within}s:\n{log_path.read_text()}")


@contextmanager
def http_daemon(db_url: str, tmp_path: Path, knobs: dict[str, Any] | None = None, **overrides: Any) -> Iterator[HttpDaemon]:
    """contenthubd on ``db_url`` with the fake creator, listening on a free loopback port."""
    port = free_port()
    env = daemon_environment(db_url, tmp_path / "fake", knobs, CONTENTHUB_HTTP_LISTEN=f"127.0.0.1:{port}",
                             **overrides)
    log_path = tmp_path / f"contenthubd-{port}.log"
    process = spawn(env, log_path)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(base_url, process, log_path)
        yield HttpDaemon(base_url, process, log_path)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    finally:
        kill_group(process)
