"""Process identity from /proc: a live pid has a key; a gone, reaped or zombie pid has none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from contenthub_async.domain.liveness import scope_of
from contenthub_async.host import host_id, process_scope, running_process_key

pytestmark = pytest.mark.skipif(process_scope() is None, reason="needs /proc")


def test_this_process_has_a_key_in_this_scope() -> None:
    key = running_process_key(os.getpid())
    assert key is not None and scope_of(key) == process_scope()
    assert running_process_key(os.getpid()) == key


def test_a_killed_process_has_no_key_as_a_zombie_nor_once_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert running_process_key(child.pid) is not None
        os.killpg(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
        assert running_process_key(child.pid) is None
    finally:
        child.kill()
        child.wait()
    assert running_process_key(child.pid) is None


def test_two_processes_have_different_keys() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert running_process_key(child.pid) not in (None, running_process_key(os.getpid()))
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def test_host_id_setting_wins_over_the_machine() -> None:
    assert host_id("  simulated-host ") == "simulated-host"
    assert host_id("") == host_id("   ") != ""
