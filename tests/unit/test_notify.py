"""SystemdNotifier against real AF_UNIX datagram sockets (no mocks)."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from contenthub_async.daemon.notify import SystemdNotifier

SRC = Path(__file__).resolve().parents[2] / "src"


def _short_dir(tmp_path: Path) -> Path:
    # sun_path is limited to 108 bytes; pytest's tmp_path can get long.
    if len(str(tmp_path / "notify.sock")) < 100:
        return tmp_path
    return Path(tempfile.mkdtemp(prefix="sdn-"))


def _recv(sock: socket.socket, timeout: float = 5.0) -> str:
    sock.settimeout(timeout)
    data = sock.recv(4096)
    return data.decode("utf-8")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(_short_dir(tmp_path) / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        yield sock, path
    finally:
        sock.close()
        if os.path.exists(path):
            os.unlink(path)


@pytest.fixture
def notifier(server: tuple[socket.socket, str]) -> Iterator[SystemdNotifier]:
    n = SystemdNotifier.from_env({"NOTIFY_SOCKET": server[1]})
    yield n
    n.close()


def test_messages_arrive_exactly(server: tuple[socket.socket, str], notifier: SystemdNotifier) -> None:
    sock, _ = server
    assert notifier.enabled

    assert notifier.ready() is True
    assert _recv(sock) == "READY=1"
    assert notifier.ready(status="serving, 0 tasks in flight") is True
    assert _recv(sock) == "READY=1\nSTATUS=serving, 0 tasks in flight"
    assert notifier.status("claimed 3 tasks") is True
    assert _recv(sock) == "STATUS=claimed 3 tasks"
    assert notifier.watchdog() is True
    assert _recv(sock) == "WATCHDOG=1"
    assert notifier.stopping() is True
    assert _recv(sock) == "STOPPING=1"
    assert notifier.stopping("draining 2 tasks") is True
    assert _recv(sock) == "STOPPING=1\nSTATUS=draining 2 tasks"
    assert notifier.extend_timeout(10) is True
    assert _recv(sock) == "EXTEND_TIMEOUT_USEC=10000000"
    assert notifier.send("RELOADING=1\nMONOTONIC_USEC=1") is True
    assert _recv(sock) == "RELOADING=1\nMONOTONIC_USEC=1"


def test_notify_fields_order_case_and_escaping(server: tuple[socket.socket, str], notifier: SystemdNotifier) -> None:
    sock, _ = server
    assert notifier.notify(status="two\nlines", errno=5, ready=True, skipped=None) is True
    assert _recv(sock) == "STATUS=two lines\nERRNO=5\nREADY=1"
    assert notifier.notify() is False
    assert notifier.status("naïve ✓") is True
    assert _recv(sock) == "STATUS=naïve ✓"


def test_abstract_namespace_socket() -> None:
    name = f"contenthub-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        n = SystemdNotifier.from_env({"NOTIFY_SOCKET": "@" + name})
        assert n.enabled
        assert n.ready("up") is True
        assert _recv(sock) == "READY=1\nSTATUS=up"
        assert n.watchdog() is True
        assert _recv(sock) == "WATCHDOG=1"
        n.close()
    finally:
        sock.close()


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "relative/path"}, {"NOTIFY_SOCKET": "@"}])
def test_disabled_without_usable_notify_socket(environ: dict[str, str]) -> None:
    n = SystemdNotifier.from_env({**environ, "WATCHDOG_USEC": "60000000"})
    assert n.enabled is False
    assert n.watchdog_interval is None
    assert n.ready() is False
    assert n.status("x") is False
    assert n.watchdog() is False
    assert n.stopping() is False
    assert n.notify(READY=1) is False
    assert n.send("READY=1") is False


def test_default_environ_is_os_environ(monkeypatch: pytest.MonkeyPatch, server: tuple[socket.socket, str]) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert SystemdNotifier.from_env().enabled is False
    monkeypatch.setenv("NOTIFY_SOCKET", server[1])
    n = SystemdNotifier.from_env()
    assert n.ready() is True
    assert _recv(server[0]) == "READY=1"
    n.close()


def test_watchdog_interval(server: tuple[socket.socket, str]) -> None:
    path = server[1]
    base = {"NOTIFY_SOCKET": path}
    assert SystemdNotifier.from_env(base).watchdog_interval is None
    assert SystemdNotifier.from_env({**base, "WATCHDOG_USEC": "60000000"}).watchdog_interval == 30.0
    assert SystemdNotifier.from_env({**base, "WATCHDOG_USEC": "1000000"}).watchdog_interval == 0.5
    mine = {**base, "WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}
    assert SystemdNotifier.from_env(mine).watchdog_interval == 30.0
    other = {**base, "WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert SystemdNotifier.from_env(other).watchdog_interval is None
    for bad in ("0", "-5", "sixty", ""):
        assert SystemdNotifier.from_env({**base, "WATCHDOG_USEC": bad}).watchdog_interval is None
    # watchdog pings are still sendable even when the interval is unknown
    assert SystemdNotifier.from_env(other).watchdog() is True
    assert _recv(server[0]) == "WATCHDOG=1"


def test_unset_environment() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid()), "KEEP": "1"}
    n = SystemdNotifier.from_env(env, unset_environment=True)
    assert n.enabled and n.watchdog_interval == 1.0
    assert env == {"KEEP": "1"}


def test_vanished_socket_returns_false(tmp_path: Path) -> None:
    path = str(_short_dir(tmp_path) / "gone.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    n = SystemdNotifier.from_env({"NOTIFY_SOCKET": path})
    assert n.ready() is True
    assert _recv(sock) == "READY=1"

    sock.close()  # receiver gone, path still there -> ECONNREFUSED
    assert n.watchdog() is False
    os.unlink(path)  # path gone -> ENOENT
    assert n.watchdog() is False
    assert n.status("still alive") is False
    assert n.stopping() is False

    # systemd re-created its socket (e.g. after daemon-reexec): works again
    sock2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock2.bind(path)
    try:
        assert n.watchdog() is True
        assert _recv(sock2) == "WATCHDOG=1"
    finally:
        sock2.close()
        os.unlink(path)
        n.close()


def test_never_socket_returns_false(tmp_path: Path) -> None:
    n = SystemdNotifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "never-bound.sock")})
    assert n.enabled
    assert n.ready() is False


def test_full_queue_does_not_block(server: tuple[socket.socket, str], notifier: SystemdNotifier) -> None:
    # Nobody reads: the receiver's queue fills up (net.unix.max_dgram_qlen)
    # and a non-blocking send must fail fast instead of hanging the event loop.
    start = time.monotonic()
    results = [notifier.watchdog() for _ in range(2000)]
    assert time.monotonic() - start < 5
    assert results[0] is True
    assert False in results


def test_ready_from_real_subprocess(server: tuple[socket.socket, str]) -> None:
    sock, path = server
    passcred = hasattr(socket, "SO_PASSCRED") and hasattr(socket, "SCM_CREDENTIALS")
    if passcred:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    program = textwrap.dedent(
        """
        import sys
        from contenthub_async.daemon.notify import SystemdNotifier
        n = SystemdNotifier.from_env()
        ok = n.ready(status="contenthubd up")
        print(n.enabled, ok, n.watchdog_interval)
        sys.exit(0 if ok else 3)
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_PID",)}
    env.update(NOTIFY_SOCKET=path, WATCHDOG_USEC="10000000")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-c", program], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sock.settimeout(30)
        data, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert out.decode().split() == ["True", "True", "5.0"]
    assert data.decode() == "READY=1\nSTATUS=contenthubd up"
    if passcred:
        # What NotifyAccess=main checks: the datagram's sender is the main PID.
        creds = [d for level, kind, d in ancdata if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS]
        assert creds, ancdata
        pid, _uid, _gid = struct.unpack("3i", creds[0][: struct.calcsize("3i")])
        assert pid == proc.pid
