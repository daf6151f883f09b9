"""CliCreator against real subprocesses: scripts/fake-content-creator and throwaway stand-ins."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path

import anyio
import pytest

from contenthub_async.creator import (
    CliCreator,
    CreateRequest,
    Creator,
    CreatorError,
    CreatorStatus,
)
from tests.support.processes import alive, wait_dead, wait_for_file, write_script

REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "scripts" / "fake-content-creator"
FIXTURES = REPO / "tests" / "fixtures" / "content-creator"


# ---------------------------------------------------------------------------
# helpers


HANGING = """\
    import os, subprocess, sys, time
    # a grandchild in the same process group, holding stdout and stderr open
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(sys.argv[1], "w") as f:
        f.write(f"{os.getpid()} {child.pid}\\n")
    print("started", flush=True)
    if len(sys.argv) > 2 and sys.argv[2] == "exit":
        sys.exit(0)  # the leader exits; the grandchild keeps the pipes open
    time.sleep(60)
"""


# ---------------------------------------------------------------------------
# without the fake: process handling


def test_cli_creator_satisfies_the_port() -> None:
    assert isinstance(CliCreator(["content-creator"]), Creator)


def test_constructor_validates() -> None:
    with pytest.raises(ValueError):
        CliCreator([])
    with pytest.raises(ValueError):
        CliCreator("content-creator")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CliCreator(["x"], max_processes=0)
    with pytest.raises(ValueError):
        CliCreator(["x"], call_timeout=0)


async def test_missing_executable_is_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-content-creator"
    with pytest.raises(CreatorError) as info:
        await CliCreator([str(missing)]).version()
    e = info.value
    assert e.kind == "not_found" and e.retryable
    assert str(missing) in e.message and str(missing) in e.command


async def test_not_executable_is_not_found(tmp_path: Path) -> None:
    script = tmp_path / "content-creator"
    script.write_text("#!/bin/sh\necho 0.1.0\n")
    script.chmod(0o644)
    with pytest.raises(CreatorError) as info:
        await CliCreator([str(script)]).version()
    assert info.value.kind == "not_found" and info.value.retryable


async def test_missing_workdir_is_not_found(tmp_path: Path) -> None:
    script = write_script(tmp_path / "cc", "print('0.1.0')\n")
    with pytest.raises(CreatorError) as info:
        await CliCreator([str(script)], workdir=str(tmp_path / "gone")).version()
    assert info.value.kind == "not_found"
    assert "gone" in info.value.message


async def test_workdir_env_and_argv(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    script = write_script(
        tmp_path / "cc",
        f"""\
        import json, os, sys
        with open({str(seen)!r}, "w") as f:
            json.dump({{"cwd": os.getcwd(), "argv": sys.argv[1:], "x": os.environ.get("CC_X"),
                       "path": os.environ.get("PATH"), "stdin": sys.stdin.read()}}, f)
        print("0.1.0")
        """,
    )
    work = tmp_path / "work"
    work.mkdir()
    creator = CliCreator([str(script)], workdir=str(work), extra_env={"CC_X": "42"})
    assert await creator.version() == "0.1.0"
    data = json.loads(seen.read_text())
    assert data == {
        "cwd": str(work),
        "argv": ["--version"],
        "x": "42",
        "path": os.environ.get("PATH"),
        "stdin": "",  # stdin is /dev/null
    }


async def test_from_command_line_with_several_words(tmp_path: Path) -> None:
    script = write_script(
        tmp_path / "dir with space" / "cc",
        """\
        import sys
        print("=" * 40); print("Configuration Loaded Successfully"); print("=" * 40)
        print("Storage: local"); print("=" * 40)
        print(sys.argv[1] + "+" + "|".join(sys.argv[2:]))
        """,
    )
    line = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} 1.2.3"
    creator = CliCreator.from_command_line(line, call_timeout=10)
    assert creator.command == (sys.executable, str(script), "1.2.3")
    assert await creator.version() == "1.2.3+--version"


async def test_undecodable_output_is_replaced_not_fatal(tmp_path: Path) -> None:
    script = write_script(
        tmp_path / "cc",
        """\
        import sys
        sys.stdout.buffer.write(b"\\xff\\xfe junk\\n0.2.0\\n")
        sys.stderr.buffer.write(b"\\xc3\\x28 oops\\n")
        """,
    )
    assert await CliCreator([str(script)]).version() == "0.2.0"


async def test_garbage_output_is_unparsable(tmp_path: Path) -> None:
    script = write_script(tmp_path / "cc", "print('Segmentation fault? no, just noise')\n")
    creator = CliCreator([str(script)])
    for call in (creator.version(), creator.status("abc"), creator.list_recent(5)):
        with pytest.raises(CreatorError) as info:
            await call
        assert info.value.kind == "unparsable" and info.value.retryable
        assert info.value.returncode == 0


async def test_nonzero_exit_is_exit_status_with_context(tmp_path: Path) -> None:
    script = write_script(
        tmp_path / "cc",
        """\
        import sys
        print("partial")
        print("\\x1b[31m❌ 错误: connect ECONNREFUSED\\x1b[39m", file=sys.stderr)
        sys.exit(3)
        """,
    )
    with pytest.raises(CreatorError) as info:
        await CliCreator([str(script)]).status("t-1")
    e = info.value
    assert (e.kind, e.retryable, e.returncode) == ("exit_status", True, 3)
    assert e.message == "connect ECONNREFUSED"
    assert e.stderr_tail == "❌ 错误: connect ECONNREFUSED"
    assert e.command == f"{script} status --task-id=t-1"


@pytest.mark.parametrize("leader", ["sleeps", "exits"])
async def test_timeout_kills_the_process_group(tmp_path: Path, leader: str) -> None:
    pids_file = tmp_path / "pids"
    script = write_script(tmp_path / "cc", HANGING)
    args = [str(script), str(pids_file)] + (["exit"] if leader == "exits" else [])
    # The timeout must fall after the command has started its grandchild: start with a
    # short one and allow more when the machine was too busy to get there in time.
    for budget in (1.0, 4.0, 16.0):
        pids_file.unlink(missing_ok=True)
        creator = CliCreator(args, call_timeout=budget)
        started = time.monotonic()
        with pytest.raises(CreatorError) as info:
            await creator.version()
        elapsed = time.monotonic() - started
        e = info.value
        assert e.kind == "timeout" and e.retryable
        # ended by its timeout, not by the 60 s the command would have taken
        assert budget <= elapsed < budget + 30
        if pids_file.exists() and pids_file.read_text().endswith("\n"):
            break
    leader_pid, child_pid = map(int, pids_file.read_text().split())
    assert not alive(leader_pid)  # killed and reaped by the call itself
    assert not Path(f"/proc/{leader_pid}").exists() or leader == "exits"
    assert await wait_dead([child_pid]) == []


async def test_cancelling_the_call_kills_the_process_group(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids"
    script = write_script(tmp_path / "cc", HANGING)
    creator = CliCreator([str(script), str(pids_file)], call_timeout=30)
    call = asyncio.create_task(creator.version())
    leader_pid, child_pid = map(int, (await wait_for_file(pids_file)).split())
    assert alive(leader_pid) and alive(child_pid)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not Path(f"/proc/{leader_pid}").exists()  # reaped: no zombie
    assert await wait_dead([child_pid]) == []
    # the slot was given back
    assert creator._slots.locked() is False


async def test_anyio_cancel_scope_kills_the_process_group(tmp_path: Path) -> None:
    # the daemon runs on anyio, whose cancel scopes re-deliver cancellation while
    # the call cleans up: the group must still be killed at once
    pids_file = tmp_path / "pids"
    script = write_script(tmp_path / "cc", HANGING)
    creator = CliCreator([str(script), str(pids_file)], call_timeout=600)
    for budget in (1.0, 4.0, 16.0):
        pids_file.unlink(missing_ok=True)
        started = time.monotonic()
        with anyio.move_on_after(budget) as scope:
            await creator.version()
        assert scope.cancelled_caught
        # ended by the scope, not by the 60 s the command would have taken
        assert time.monotonic() - started < budget + 30
        if pids_file.exists() and pids_file.read_text().endswith("\n"):
            break
    leader_pid, child_pid = map(int, pids_file.read_text().split())
    assert await wait_dead([leader_pid, child_pid]) == []


async def test_cancel_during_wait_for_slot(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids"
    script = write_script(tmp_path / "cc", HANGING)
    creator = CliCreator([str(script), str(pids_file)], call_timeout=30, max_processes=1)
    first = asyncio.create_task(creator.version())
    await wait_for_file(pids_file)
    second = asyncio.create_task(creator.version())
    await asyncio.sleep(0.1)
    second.cancel()
    first.cancel()
    for task in (first, second):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert pids_file.read_text().count("\n") == 1  # the waiting call never started a process


COUNTING = """\
    import os, sys, time
    log = sys.argv[1]
    with open(log, "a") as f:
        f.write(f"start {os.getpid()} {time.time():.6f}\\n")
    time.sleep(0.3)
    with open(log, "a") as f:
        f.write(f"end {os.getpid()} {time.time():.6f}\\n")
    print("0.1.0")
"""


def max_overlap(log: str) -> tuple[int, int]:
    """(calls, most processes alive at once) from start/end lines."""
    events = []
    for line in log.splitlines():
        kind, _pid, when = line.split()
        events.append((float(when), 1 if kind == "start" else -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return sum(1 for _, d in events if d == 1), peak


async def test_max_processes_bound_holds(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    script = write_script(tmp_path / "cc", COUNTING)
    creator = CliCreator([str(script), str(log)], max_processes=2, call_timeout=20)
    started = time.monotonic()
    versions = await asyncio.gather(*(creator.version() for _ in range(8)))
    elapsed = time.monotonic() - started
    assert versions == ["0.1.0"] * 8
    calls, peak = max_overlap(log.read_text())
    assert calls == 8
    assert peak == 2  # never more than 2, and the bound is used
    assert elapsed >= 4 * 0.3


# ---------------------------------------------------------------------------
# against scripts/fake-content-creator


@pytest.fixture
def fake_env(tmp_path: Path) -> dict[str, str]:
    if not FAKE.exists():
        pytest.fail(f"{FAKE} is missing")
    state = tmp_path / "fake-state"
    state.mkdir()
    return {"FAKE_CREATOR_STATE_DIR": str(state)}


def fake(env: dict[str, str], **kw: object) -> CliCreator:
    kw.setdefault("call_timeout", 10.0)
    return CliCreator([str(FAKE)], extra_env=env, **kw)  # type: ignore[arg-type]


def invocations(env: dict[str, str]) -> list[tuple[float, int, str]]:
    log = Path(env["FAKE_CREATOR_STATE_DIR"]) / "invocations.log"
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        when, pid, command = line.split()
        rows.append((float(when), int(pid), command))
    return rows


async def wait_status(
    creator: CliCreator, task_id: str, wanted: CreatorStatus, within: float = 5.0
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        states = {s.creator_task_id: s for s in await creator.list_recent(20)}
        if states[task_id].status is wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{task_id} never became {wanted}")


async def test_fake_version_via_command_line(fake_env: dict[str, str]) -> None:
    line = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE))}"
    creator = CliCreator.from_command_line(line, extra_env=fake_env)
    assert len(creator.command) == 2
    assert await creator.version() == "0.1.0"
    assert [c for _, _, c in invocations(fake_env)] == ["version"]


async def test_create_takes_the_id_of_its_own_task_not_one_in_the_requirements(
    fake_env: dict[str, str],
) -> None:
    # requirements may span lines; content-creator echoes them before its own success block
    creator = fake(fake_env)
    victim = await creator.create(CreateRequest(topic="victim", requirements="r"))
    forged = f"r\n✅ 任务已成功创建\n{'─' * 40}\n任务ID: {victim}\n{'─' * 40}"
    attacker = await creator.create(CreateRequest(topic="attacker", requirements=forged))
    assert attacker != victim
    assert {s.creator_task_id for s in await creator.list_recent(10)} == {victim, attacker}


async def test_fake_life_cycle(fake_env: dict[str, str]) -> None:
    env = fake_env | {"FAKE_CREATOR_PENDING_SECONDS": "1.5", "FAKE_CREATOR_LATENCY": "2.0"}
    creator = fake(env)
    request = CreateRequest(
        topic="-以连字符开头的主题",
        keywords=" 异步，队列, ,",
        category="技术",
        tone="轻松",
        target_audience="开发者",
        priority=9,
    )
    before = time.time()
    task_id = await creator.create(request)
    assert len(task_id) == 36

    recent = await creator.list_recent(10)
    assert [(s.creator_task_id, s.status) for s in recent] == [(task_id, CreatorStatus.PENDING)]
    pending = await creator.status(task_id)
    assert pending.status is CreatorStatus.PENDING and pending.started_at is None
    with pytest.raises(CreatorError) as info:
        await creator.result(task_id)
    assert info.value.kind == "not_finished" and info.value.status is CreatorStatus.PENDING
    assert info.value.retryable and info.value.returncode == 0

    await wait_status(creator, task_id, CreatorStatus.COMPLETED)
    [listed] = await creator.list_recent(1)
    assert listed.creator_task_id == task_id and listed.status is CreatorStatus.COMPLETED
    assert listed.started_at is not None and listed.completed_at is not None
    assert listed.completed_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert before - 1 < listed.completed_at.timestamp() < time.time() + 1

    done = await creator.status(task_id)
    assert done.status is CreatorStatus.COMPLETED and done.error_message is None
    assert done.completed_at is not None
    assert abs((done.completed_at - listed.completed_at).total_seconds()) < 1.5

    result = await creator.result(task_id)
    assert result.creator_task_id == task_id
    lines = result.markdown.split("\n")
    assert lines[0] == "# -以连字符开头的主题"  # the topic stayed a value
    assert lines[-1].startswith("总结：")
    # requirements were derived from topic, category, keywords and tone
    derived = "围绕「-以连字符开头的主题」撰写一篇技术类文章，关键词：异步、队列，语气：轻松。"
    assert f"创作要求：{derived}" in result.markdown
    assert "- 异步：" in result.markdown and "- 队列：" in result.markdown
    assert result.word_count == len(result.markdown)  # all BMP characters here
    assert len(result.image_urls) == 1 and result.image_urls[0].startswith("http://")

    # one process per call
    commands = [c for _, _, c in invocations(env)]
    assert commands[:4] == ["create", "list", "status", "result"]
    assert commands[-3:] == ["list", "status", "result"]


async def test_fake_cancel(fake_env: dict[str, str]) -> None:
    env = fake_env | {"FAKE_CREATOR_PENDING_SECONDS": "1.0", "FAKE_CREATOR_LATENCY": "30"}
    creator = fake(env)
    task_id = await creator.create(CreateRequest(topic="长任务", requirements="慢一点"))
    assert await creator.cancel(task_id) is False  # pending: cannot be cancelled
    await wait_status(creator, task_id, CreatorStatus.RUNNING)
    assert await creator.cancel(task_id) is True
    assert (await creator.status(task_id)).status is CreatorStatus.CANCELLED
    assert await creator.cancel(task_id) is False  # already cancelled
    with pytest.raises(CreatorError) as info:
        await creator.result(task_id)
    assert info.value.kind == "not_finished" and info.value.status is CreatorStatus.CANCELLED


async def test_fake_unknown_id(fake_env: dict[str, str]) -> None:
    creator = fake(fake_env)
    unknown = "00000000-0000-4000-8000-000000000000"
    for call in (creator.status(unknown), creator.result(unknown), creator.cancel(unknown)):
        with pytest.raises(CreatorError) as info:
            await call
        e = info.value
        assert (e.kind, e.retryable, e.returncode) == ("unknown_task", True, 1)
        assert e.message == f"未找到任务 {unknown}"
        assert f"--task-id={unknown}" in e.command
        assert "未找到任务" in e.stderr_tail


async def test_fake_lost_task(fake_env: dict[str, str]) -> None:
    env = fake_env | {"FAKE_CREATOR_LOSE_TOPIC": "丢失", "FAKE_CREATOR_LATENCY": "0.2"}
    creator = fake(env)
    kept = await creator.create(CreateRequest(topic="保留", requirements="r"))
    lost = await creator.create(CreateRequest(topic="会丢失的任务", requirements="r"))
    assert [s.creator_task_id for s in await creator.list_recent(10)] == [kept]
    with pytest.raises(CreatorError) as info:
        await creator.status(lost)
    assert info.value.kind == "unknown_task" and info.value.retryable


async def test_fake_failed_task(fake_env: dict[str, str]) -> None:
    env = fake_env | {
        "FAKE_CREATOR_FAIL_TOPIC": "失败",
        "FAKE_CREATOR_PENDING_SECONDS": "0",
        "FAKE_CREATOR_LATENCY": "0.2",
    }
    creator = fake(env)
    task_id = await creator.create(CreateRequest(topic="会失败的任务", requirements="r"))
    await wait_status(creator, task_id, CreatorStatus.FAILED)
    [listed] = await creator.list_recent(5)
    assert listed.error_message == "模拟失败: 会失败的任务 (FAKE_CREATOR_FAIL_TOPIC)"
    state = await creator.status(task_id)
    assert state.status is CreatorStatus.FAILED
    assert state.error_message == listed.error_message
    with pytest.raises(CreatorError) as info:
        await creator.result(task_id)
    assert info.value.kind == "not_finished" and info.value.status is CreatorStatus.FAILED


async def test_fake_rejects_missing_requirements_via_raw_argv(fake_env: dict[str, str]) -> None:
    # CliCreator always sends --requirements; check the classification of a refusal
    creator = fake(fake_env)
    with pytest.raises(CreatorError) as info:
        await creator._call(["create", "--mode", "async", "--topic=T"], lambda s: s)
    e = info.value
    assert (e.kind, e.retryable, e.returncode) == ("rejected", False, 1)
    assert e.message == "参数错误: 缺少必需参数: requirements"


async def test_fake_garbage_is_unparsable(fake_env: dict[str, str]) -> None:
    creator = fake(fake_env | {"FAKE_CREATOR_GARBAGE": "all"})
    some_id = "00000000-0000-4000-8000-000000000001"
    calls = [
        creator.create(CreateRequest(topic="T")),
        creator.list_recent(10),
        creator.status(some_id),
        creator.result(some_id),
        creator.cancel(some_id),
        creator.version(),
    ]
    for call in calls:
        with pytest.raises(CreatorError) as info:
            await call
        assert info.value.kind == "unparsable" and info.value.retryable


async def test_fake_hang_times_out_and_kills(fake_env: dict[str, str]) -> None:
    env = fake_env | {"FAKE_CREATOR_HANG": "list"}
    creator = fake(env, call_timeout=1.0)
    assert await creator.version() == "0.1.0"  # other commands still answer
    started = time.monotonic()
    with pytest.raises(CreatorError) as info:
        await creator.list_recent(10)
    assert 1.0 <= time.monotonic() - started < 3.0
    assert info.value.kind == "timeout" and info.value.retryable
    [(_, pid, _)] = [row for row in invocations(env) if row[2] == "list"]
    assert not alive(pid)


async def test_fake_process_bound_from_invocation_log(fake_env: dict[str, str]) -> None:
    delay = 0.3
    env = fake_env | {"FAKE_CREATOR_STARTUP_DELAY": str(delay)}
    creator = fake(env, max_processes=2)
    results = await asyncio.gather(*(creator.list_recent(5) for _ in range(8)))
    assert results == [[]] * 8
    starts = sorted(when for when, _, _ in invocations(env))
    assert len(starts) == 8
    # each process lives at least `delay` after logging its start; with at most two
    # alive at once, the k-th start waits for one of the two before the previous one
    gaps = [b - a for a, b in zip(starts, starts[2:], strict=False)]
    assert min(gaps) >= delay - 0.005, gaps
    assert starts[1] - starts[0] < delay  # two did run at once
