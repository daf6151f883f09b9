"""contenthubd and contenthub-ctl start without the cyclic garbage collector (startup.py): no
collection runs while they start, and once started, what the start made is frozen out of the
collector's way and collection is on again. The real console scripts are watched from inside by a
``sitecustomize`` module (Python imports it at every start) that records each collection."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Ctl
from tests.support.daemons import daemon_environment, daemon_process, prepare, running_daemon, settings_for, wait_until

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

#: What a start leaves in memory for good: imports alone make far more objects than this.
START_UP_OBJECTS = 50_000

OBSERVER = """
import atexit, gc, json, sys

collections = []  # the number of frozen objects when each collection began
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(gc.get_freeze_count()))


def report():
    state = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
             "before_the_freeze": sum(1 for frozen in collections if frozen == 0)}
    print("COLLECTOR " + json.dumps(state), file=sys.stderr, flush=True)


atexit.register(report)
"""


def observed(tmp_path: Path) -> dict[str, str]:
    """Environment entries under which every Python process reports its collector at exit."""
    folder = tmp_path / "observer"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(OBSERVER, encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


def report_in(output: str) -> dict[str, Any]:
    [line] = [line for line in output.splitlines() if line.startswith("COLLECTOR ")]
    report: dict[str, Any] = json.loads(line.removeprefix("COLLECTOR "))
    return report


def assert_started_without_collecting(report: dict[str, Any]) -> None:
    assert report["enabled"], "collection is on again once the command has started"
    assert report["frozen"] > START_UP_OBJECTS, "what the start made is frozen"
    # Before the pause: the interpreter's own start and this observer's (a start that
    # collects runs 60 to 130 collections before it is done).
    assert report["before_the_freeze"] <= 3, report


def test_pause_and_resume() -> None:
    script = (
        "import gc, json\n"
        "from contenthub_async import startup\n"
        "state = {}\n"
        "startup.resume_collection()\n"
        "state['never_paused'] = [gc.isenabled(), gc.get_freeze_count()]\n"
        "startup.pause_collection()\n"
        "state['paused'] = gc.isenabled()\n"
        "made = [[n] for n in range(100_000)]\n"
        "startup.resume_collection()\n"
        "state['resumed'] = [gc.isenabled(), gc.get_freeze_count()]\n"
        "startup.resume_collection()\n"
        "state['resumed_twice'] = gc.get_freeze_count()\n"
        "gc.disable()\n"
        "startup.pause_collection()\n"
        "startup.resume_collection()\n"
        "state['off_by_others'] = [gc.isenabled(), gc.get_freeze_count()]\n"
        "print(json.dumps(state))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    state = json.loads(done.stdout)
    assert state["never_paused"] == [True, 0], "resuming what was not paused changes nothing"
    assert state["paused"] is False
    enabled, frozen = state["resumed"]
    assert enabled and frozen >= 100_000, "resuming freezes what was made meanwhile and collects again"
    assert state["resumed_twice"] == frozen, "a second resume freezes nothing more"
    assert state["off_by_others"] == [False, frozen], "a collector someone else turned off stays off"


@ON_SQLITE
async def test_contenthubd_starts_without_collecting(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url)
    env = {**daemon_environment(db_url, tmp_path / "fake"), **observed(tmp_path)}
    log = tmp_path / "daemon.log"
    with daemon_process(env, log) as proc:
        await wait_until(lambda: b'"contenthubd started"' in log.read_bytes(), timeout=120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    assert_started_without_collecting(report_in(log.read_text(encoding="utf-8")))


def test_contenthub_ctl_starts_without_collecting(ctl: Ctl, tmp_path: Path) -> None:
    assert ctl("db", "init").code == 0
    assert ctl("account", "add", "--name", "Daily tech").code == 0
    listed = ctl.process("account", "list", env=observed(tmp_path))  # SQLAlchemy's engine: the largest start
    assert listed.code == 0 and "Daily tech" in listed.out
    assert_started_without_collecting(report_in(listed.err))


def nothing_frozen_since(frozen: int) -> bool:
    """Whether no freeze happened since the permanent generation held ``frozen`` objects. Its
    count falls as frozen objects die (the test process froze what collecting made); a freeze
    would add every object of the younger generations, thousands at the least."""
    return gc.get_freeze_count() <= frozen


@ON_SQLITE
async def test_the_daemon_run_in_process_leaves_its_host_collector_alone(db_url: str, tmp_path: Path) -> None:
    """The test suite runs the daemon in its own process: nothing of it may be frozen."""
    await prepare(db_url)
    frozen = gc.get_freeze_count()
    async with running_daemon(settings_for(db_url, tmp_path / "fake")):
        assert gc.isenabled() and nothing_frozen_since(frozen)


def test_the_cli_run_in_process_leaves_its_host_collector_alone(ctl: Ctl) -> None:
    assert ctl("db", "init").code == 0
    frozen = gc.get_freeze_count()
    assert ctl("account", "list").code == 0
    assert gc.isenabled() and nothing_frozen_since(frozen)
