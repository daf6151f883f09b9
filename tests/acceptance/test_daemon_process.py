"""contenthubd as systemd runs it: notify protocol on a real socket, signals, exit codes."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import anyio

from contenthub_async.domain.submission import NewTask
from tests.support.daemons import daemon_environment, prepare, start_daemon, status_counts, submit, wait_until


def receive_until(sock: socket.socket, wanted: str, timeout: float) -> list[str]:
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if any(wanted in m.split("\n") for m in messages):
            return messages
    raise AssertionError(f"{wanted!r} not received; got {messages}")


async def test_ready_watchdog_and_stopping_reach_systemd(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'contenthub.db'}"
    await prepare(url)
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        env = daemon_environment(url, tmp_path / "fake", NOTIFY_SOCKET=address, WATCHDOG_USEC="400000")
        daemon = start_daemon(env, tmp_path / "daemon.log")
        try:
            assert any(m.startswith("READY=1") for m in receive_until(sock, "READY=1", 20))
            receive_until(sock, "WATCHDOG=1", 5)
        finally:
            daemon.send_signal(signal.SIGTERM)
        assert any("STOPPING=1" in m for m in receive_until(sock, "STOPPING=1", 10))
        assert daemon.wait(timeout=20) == 0


async def test_second_signal_stops_at_once_and_loses_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    await submit(url, [NewTask(account_id=49, topic=f"slow {i}") for i in range(4)])
    env = daemon_environment(url, tmp_path / "fake", {"slow_create": 60}, ASYNC_MAX_CONCURRENT_TASKS="2",
                             CONTENTHUB_SHUTDOWN_GRACE="60", CONTENTHUB_CREATOR_CALL_TIMEOUT="90",
                             CONTENTHUB_LEASE_SECONDS="120")
    daemon = start_daemon(env, tmp_path / "daemon.log")
    await wait_until(lambda: status_counts(db_path).get("submitting") == 2, timeout=30, interval=0.05)
    daemon.send_signal(signal.SIGTERM)
    await anyio.sleep(0.5)
    assert daemon.poll() is None, "first signal: still draining within the 60 s grace"
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 8, "second signal: stops at once"
    assert status_counts(db_path) == {"pending": 4}, "released, nothing lost"


def test_invalid_setting_fails_at_start_naming_the_variable(tmp_path: Path) -> None:
    import subprocess

    from tests.support.daemons import CONTENTHUBD

    env = daemon_environment(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "fake", ASYNC_MAX_CONCURRENT_TASKS="many")
    done = subprocess.run([str(CONTENTHUBD)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "ASYNC_MAX_CONCURRENT_TASKS" in done.stderr
    assert not (tmp_path / "c.db").exists()
