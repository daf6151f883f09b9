"""CliCreator.generate (sync mode) and the creator guard, with real processes.

Every process these tests start carries the test's temporary directory in its
command line; ``no_survivors`` finds them through /proc, so the tests can check
that nothing is left, and the ``tree`` fixture kills whatever is left on every
exit path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from contenthub_async.creator import CliCreator, CreateRequest, CreatorError, parsing
from contenthub_async.creator.guard import guard_argv
from tests.support.processes import alive, kill_survivors, no_survivors, wait_dead, wait_for_file, write_script

REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "scripts" / "fake-content-creator"
FIXTURES = REPO / "tests" / "fixtures" / "content-creator"
REQUEST = CreateRequest(topic="同步模式测试", requirements="写一篇短文", keywords="a,b", priority=8)


# ---------------------------------------------------------------------------
# processes


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[str]:
    """The marker of this test's processes; SIGKILLs their groups and them at the end."""
    marker = str(tmp_path)
    yield marker
    kill_survivors(marker)


# The command: starts a grandchild in its process group that also holds stdout and
# stderr, writes "guard command grandchild pgid" to PIDS, then sleeps. With "ignore",
# both ignore SIGTERM (the grandchild inherits the disposition), so only SIGKILL ends them.
HANGING = """\
    import os, signal, subprocess, sys, time
    pids, how = sys.argv[1], sys.argv[2]
    if how == "ignore":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", pids])
    with open(pids + ".tmp", "w") as f:
        f.write(f"{os.getppid()} {os.getpid()} {child.pid} {os.getpgrp()}\\n")
    os.rename(pids + ".tmp", pids)
    print("started", flush=True)
    time.sleep(600)
"""


def hanging(tmp_path: Path, how: str, **kw: object) -> tuple[CliCreator, Path]:
    pids = tmp_path / "pids"
    script = write_script(tmp_path / "cc-hanging", HANGING)
    return CliCreator([str(script), str(pids), how], **kw), pids  # type: ignore[arg-type]


def read_pids(text: str) -> list[int]:
    guard, command, grandchild, pgid = map(int, text.split())
    assert pgid == guard  # the guard leads the group; the command and its child are in it
    return [guard, command, grandchild]


# Replays a capture of the real tool: its stdout, stderr and exit status.
REPLAY = f"""\
    import sys
    from pathlib import Path
    name = sys.argv[1]
    fixtures = Path({str(FIXTURES)!r})
    sys.stdout.buffer.write((fixtures / (name + ".stdout")).read_bytes())
    sys.stderr.buffer.write((fixtures / (name + ".stderr")).read_bytes())
    sys.exit(int((fixtures / (name + ".rc")).read_text()))
"""


def replaying(tmp_path: Path, name: str) -> CliCreator:
    return CliCreator([str(write_script(tmp_path / "cc-replay", REPLAY)), name])


def fake(tmp_path: Path, **knobs: str) -> tuple[CliCreator, Path]:
    state = tmp_path / "fake-state"
    env = {"FAKE_CREATOR_STATE_DIR": str(state), "FAKE_CREATOR_LATENCY": "0.2"}
    env.update({f"FAKE_CREATOR_{k.upper()}": v for k, v in knobs.items()})
    return CliCreator([str(FAKE)], extra_env=env, max_processes=2), state


def invocations(state: Path) -> list[tuple[float, str]]:
    lines = (state / "invocations.log").read_text().splitlines()
    return [(float(line.split()[0]), line.split()[2]) for line in lines]


def fake_records(creator: CliCreator) -> dict[str, dict]:
    """The fake's task records by id (its `list --json`)."""
    proc = subprocess.run(
        [*creator.command, "list", "--json"], env={**os.environ, **creator.extra_env}, capture_output=True,
        timeout=60, check=True, start_new_session=True,
    )
    text = proc.stdout.decode()
    return {r["id"]: r for r in json.loads(text[text.index("\n[") :])}


# ---------------------------------------------------------------------------
# outcomes


async def test_generate_with_the_fake(tmp_path: Path, tree: str) -> None:
    creator, state = fake(tmp_path)
    result = await creator.generate(REQUEST)
    assert result.creator_task_id.startswith("task-")
    lines = result.markdown.split("\n")
    assert lines[0] == "# 同步模式测试" and lines[-1].startswith("总结：")
    assert "创作要求：写一篇短文" in result.markdown and "- a：" in result.markdown
    assert result.word_count == len(result.markdown)
    [image] = result.image_urls
    assert image.startswith(f"data/images/{result.creator_task_id}_0_") and f"]({image})" in result.markdown
    assert result.quality_score is not None and 0 <= result.quality_score <= 100
    # one creator process for the whole generation, which ran in sync mode
    assert [command for _, command in invocations(state)] == ["create"]
    record = fake_records(creator)[result.creator_task_id]
    assert (record["status"], record["mode"]) == ("completed", "sync")
    assert await no_survivors(tree) == []


async def test_generate_failed_with_the_fake(tmp_path: Path) -> None:
    creator, _ = fake(tmp_path, fail_topic="失败")
    with pytest.raises(CreatorError) as info:
        await creator.generate(CreateRequest(topic="会失败的同步任务", requirements="r"))
    e = info.value
    assert (e.kind, e.retryable, e.returncode) == ("generation_failed", True, 0)
    assert e.message == (
        "[LLM:Enhanced] LLM API request failed after retries: 模拟失败: 会失败的同步任务 (FAKE_CREATOR_FAIL_TOPIC)"
    )
    assert " create --mode sync " in e.command and "'--topic=会失败的同步任务'" in e.command


async def test_generate_garbage_is_unparsable(tmp_path: Path) -> None:
    creator, _ = fake(tmp_path, garbage="create")
    with pytest.raises(CreatorError) as info:
        await creator.generate(REQUEST)
    assert (info.value.kind, info.value.retryable, info.value.returncode) == ("unparsable", True, 0)


async def test_generate_replays_the_real_captures(tmp_path: Path) -> None:
    result = await replaying(tmp_path, "create-sync-success").generate(REQUEST)
    assert result == parsing.parse_generate((FIXTURES / "create-sync-success.stdout").read_text())
    assert result.creator_task_id == "task-1796247238202"

    with pytest.raises(CreatorError) as info:
        await replaying(tmp_path, "create-sync-failed").generate(REQUEST)
    assert info.value.kind == "generation_failed"
    assert info.value.message.endswith(": Request failed with status code 500")
    assert info.value.stderr_tail.endswith("任务执行完成!")  # said the spinner

    with pytest.raises(CreatorError) as info:
        await replaying(tmp_path, "create-sync-terminated").generate(REQUEST)
    assert (info.value.kind, info.value.returncode) == ("exit_status", 143)

    with pytest.raises(CreatorError) as info:
        await replaying(tmp_path, "create-missing-requirements").generate(REQUEST)
    e = info.value
    assert (e.kind, e.retryable, e.returncode) == ("rejected", False, 1)


async def test_generate_command_that_cannot_start(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-content-creator"
    not_executable = tmp_path / "content-creator"
    not_executable.write_text("#!/bin/sh\n")
    for command in (missing, not_executable):
        with pytest.raises(CreatorError) as info:
            await CliCreator([str(command)]).generate(REQUEST)
        e = info.value
        assert (e.kind, e.retryable) == ("not_found", True)
        assert e.message.startswith(f"cannot start content-creator command {str(command)!r}: ")
    with pytest.raises(CreatorError) as info:
        await CliCreator([str(FAKE)], workdir=str(tmp_path / "gone")).generate(REQUEST)
    assert info.value.kind == "not_found" and "gone" in info.value.message


async def test_generate_holds_a_process_slot(tmp_path: Path) -> None:
    creator, state = fake(tmp_path, latency="1")
    creator = CliCreator(creator.command, extra_env=creator.extra_env, max_processes=1)
    generating = asyncio.create_task(creator.generate(REQUEST))
    while not (state / "invocations.log").exists():
        await asyncio.sleep(0.02)
    assert await creator.version() == "0.1.0"  # waits for the slot
    result = await generating
    [(_, first), (version_started, second)] = invocations(state)
    assert (first, second) == ("create", "version")
    completed = datetime.fromisoformat(fake_records(creator)[result.creator_task_id]["completedAt"])
    assert version_started >= completed.timestamp()  # started once the generation had ended


async def test_deadline_also_bounds_the_wait_for_a_slot(tmp_path: Path, tree: str) -> None:
    creator, state = fake(tmp_path, latency="600")
    creator = CliCreator(creator.command, extra_env=creator.extra_env, max_processes=1, kill_grace=0.5)
    first = asyncio.create_task(creator.generate(REQUEST))
    try:
        while not (state / "invocations.log").exists():
            await asyncio.sleep(0.02)
        loop = asyncio.get_running_loop()
        with pytest.raises(CreatorError) as info:
            await creator.generate(REQUEST, deadline=loop.time() + 0.3)
        assert info.value.kind == "timeout" and "slot" in info.value.message
        assert [command for _, command in invocations(state)] == ["create"]  # nothing started
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
    assert await no_survivors(tree) == []


def test_kill_grace_is_validated() -> None:
    assert CliCreator(["x"], kill_grace=0).kill_grace == 0
    for grace in (-1.0, float("nan")):
        with pytest.raises(ValueError):
            CliCreator(["x"], kill_grace=grace)


# ---------------------------------------------------------------------------
# stopping: deadline, cancellation, death of the starter


@pytest.mark.slow  # waits out deadlines
@pytest.mark.parametrize("how", ["obey", "ignore"])
async def test_deadline_stops_the_group(tmp_path: Path, tree: str, how: str) -> None:
    # The deadline must fall after the command has started its grandchild: start with a
    # short one and allow more when the machine was too busy to get there in time.
    for budget in (2.0, 4.0, 8.0, 16.0, 32.0):
        creator, pids = hanging(tmp_path, how, kill_grace=0.5)
        pids.unlink(missing_ok=True)
        loop = asyncio.get_running_loop()
        with pytest.raises(CreatorError) as info:
            await creator.generate(REQUEST, deadline=loop.time() + budget)
        e = info.value
        assert (e.kind, e.retryable) == ("timeout", True)
        assert await no_survivors(tree) == []
        if pids.exists():
            break
    processes = read_pids(pids.read_text())
    assert await wait_dead(processes) == []
    assert not Path(f"/proc/{processes[0]}").exists()  # the guard was reaped
    assert not creator._slots.locked()


@pytest.mark.parametrize("how", ["obey", "ignore"])
async def test_cancellation_stops_the_group(tmp_path: Path, tree: str, how: str) -> None:
    creator, pids = hanging(tmp_path, how, kill_grace=0.5)
    generating = asyncio.create_task(creator.generate(REQUEST))
    processes = read_pids(await wait_for_file(pids))
    assert all(alive(pid) for pid in processes)
    generating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await generating
    # the stop ran before the cancellation went on: TERM, then KILL after the grace
    assert not Path(f"/proc/{processes[0]}").exists()  # the guard was reaped
    assert await no_survivors(tree) == []
    assert not creator._slots.locked()


async def test_anyio_cancel_scope_stops_the_group(tmp_path: Path, tree: str) -> None:
    # the daemon runs on anyio, whose cancel scopes deliver cancellation again and again
    # while the cancelled call cleans up: the stop must still run to its end
    creator, pids = hanging(tmp_path, "ignore", kill_grace=0.5)

    async def cancel_once_started(scope: anyio.CancelScope) -> None:
        await wait_for_file(pids)
        scope.cancel()

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(cancel_once_started, scope)
            await creator.generate(REQUEST)
    assert scope.cancelled_caught
    assert not Path(f"/proc/{read_pids(pids.read_text())[0]}").exists()
    assert await no_survivors(tree) == []


async def test_cancellation_while_the_command_is_being_started_stops_its_group(
    tmp_path: Path, tree: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a busy machine the command can already run (and start children) before asyncio has
    # finished starting it. A cancellation then must not go on before the group is stopped, nor
    # leave the start pending: a loop that closes would wait forever for it to end (its pipes
    # are held by the command, which nobody would stop).
    pids = tmp_path / "pids"
    running = asyncio.Event()
    start = asyncio.create_subprocess_exec

    async def slow_to_finish_starting(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        proc = await start(*args, **kwargs)
        await wait_for_file(pids)
        running.set()
        await asyncio.sleep(0.5)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", slow_to_finish_starting)
    creator, _ = hanging(tmp_path, "ignore", kill_grace=0.5)
    generating = asyncio.create_task(creator.generate(REQUEST))
    await running.wait()
    processes = read_pids(pids.read_text())
    generating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await generating
    # the stop ran before the cancellation went on: the group killed, the guard reaped
    assert not Path(f"/proc/{processes[0]}").exists()
    assert await wait_dead(processes) == []
    assert not creator._slots.locked()


PARENT = """\
    import asyncio, sys
    from contenthub_async.creator import CliCreator, CreateRequest
    creator = CliCreator(sys.argv[1:], kill_grace=1.0)
    asyncio.run(creator.generate(CreateRequest(topic="T", requirements="R")))
"""


@pytest.mark.parametrize("how", ["obey", "ignore"])
async def test_killed_parent_takes_the_group_along(tmp_path: Path, tree: str, how: str) -> None:
    parent_script = write_script(tmp_path / "parent.py", PARENT)
    command = write_script(tmp_path / "cc-hanging", HANGING)
    pids = tmp_path / "pids"
    parent = subprocess.Popen(
        [sys.executable, str(parent_script), str(command), str(pids), how],
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        processes = read_pids(await wait_for_file(pids))
        assert all(alive(pid) for pid in processes)
        parent.send_signal(signal.SIGKILL)  # no clean-up code runs in the parent
        parent.wait(timeout=30)
        assert await no_survivors(tree) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)


# Prints a successful generation and exits once its grandchild is ready (writes READY),
# leaving it behind in the group: one that holds stdout and stderr (and obeys SIGTERM),
# or one that ignores SIGTERM (and holds neither).
LEAVES_A_GRANDCHILD = f"""\
    import subprocess, sys, time
    from pathlib import Path
    ready, holds_pipes = Path(sys.argv[1]), sys.argv[2] == "holds-pipes"
    code = "import signal, sys, time; from pathlib import Path; "
    if not holds_pipes:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    code += "Path(sys.argv[1]).write_text('ready'); time.sleep(600)"
    output = None if holds_pipes else subprocess.DEVNULL
    subprocess.Popen([sys.executable, "-c", code, str(ready)], stdout=output, stderr=output)
    while not ready.exists():
        time.sleep(0.01)
    sys.stdout.buffer.write(Path({str(FIXTURES)!r}, "create-sync-success.stdout").read_bytes())
"""


@pytest.mark.parametrize("holds_pipes", ["holds-pipes", "ignores-term"])
async def test_what_the_command_leaves_behind_is_killed(tmp_path: Path, tree: str, holds_pipes: str) -> None:
    script = write_script(tmp_path / "cc-leaves", LEAVES_A_GRANDCHILD)
    result = await CliCreator([str(script), str(tmp_path / "ready"), holds_pipes]).generate(REQUEST)
    assert result.creator_task_id == "task-1796247238202"
    assert await no_survivors(tree) == []


# ---------------------------------------------------------------------------
# the guard on its own


class Guarded:
    """The guard run directly, its lifeline a pipe this test holds."""

    def __init__(self, command: list[str], grace: float = 5.0) -> None:
        lifeline, self.lifeline = os.pipe()
        try:
            self.proc = subprocess.Popen(
                guard_argv(grace, command), stdin=lifeline, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,
            )
        finally:
            os.close(lifeline)

    def cut_lifeline(self) -> None:
        if self.lifeline >= 0:
            os.close(self.lifeline)
            self.lifeline = -1

    def finish(self) -> tuple[bytes, bytes]:
        """Output until the guard ends; then its group is killed and the lifeline cut."""
        try:
            return self.proc.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.cut_lifeline()


def test_guard_passes_output_and_exit_status_through(tmp_path: Path, tree: str) -> None:
    code = "import sys; print(sys.stdin.read() == '', sys.argv[1]); print('err', file=sys.stderr); sys.exit(3)"
    guarded = Guarded([sys.executable, "-c", code, str(tmp_path)])
    assert guarded.finish() == (b"True " + str(tmp_path).encode() + b"\n", b"err\n")
    assert guarded.proc.returncode == 3


def test_guard_dies_of_the_commands_signal(tmp_path: Path, tree: str) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    guarded = Guarded([sys.executable, "-c", code, str(tmp_path)])
    guarded.finish()
    assert guarded.proc.returncode == -signal.SIGTERM


@pytest.mark.parametrize("argv", [[], ["5", "--"], ["5", "x", "true"], ["soon", "--", "true"], ["-1", "--", "true"]])
def test_guard_usage(argv: list[str]) -> None:
    proc = subprocess.run(
        guard_argv(0, ["true"])[:4] + argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
        start_new_session=True,
    )
    assert proc.returncode == 2 and proc.stderr


async def test_cutting_the_lifeline_stops_the_group(tmp_path: Path, tree: str) -> None:
    script = write_script(tmp_path / "cc-hanging", HANGING)
    guarded = Guarded([str(script), str(tmp_path / "pids"), "ignore"], grace=0.5)
    try:
        processes = read_pids(await wait_for_file(tmp_path / "pids"))
        assert processes[0] == guarded.proc.pid
        guarded.cut_lifeline()
        assert guarded.proc.wait(timeout=30) == -signal.SIGKILL  # the end of every stop
        assert await no_survivors(tree) == []
    finally:
        guarded.finish()


async def test_sigterm_to_the_guard_stops_the_group(tmp_path: Path, tree: str) -> None:
    script = write_script(tmp_path / "cc-hanging", HANGING)
    guarded = Guarded([str(script), str(tmp_path / "pids"), "obey"], grace=600)
    try:
        read_pids(await wait_for_file(tmp_path / "pids"))
        guarded.proc.send_signal(signal.SIGTERM)
        assert guarded.proc.wait(timeout=30) == -signal.SIGKILL  # the command obeyed: no 600 s wait
        assert await no_survivors(tree) == []
    finally:
        guarded.finish()
