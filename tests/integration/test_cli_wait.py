"""`submit --wait` and the richer `status`, as operators run them: a real
contenthubd process with the fake creator, real contenthub-ctl processes, a SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands, task_queries
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.contents import ContentState
from contenthub_async.store.database import Database
from tests.support.daemons import CTL, daemon_environment, prepare, start_daemon

EN = "en_US.UTF-8"
ZH = "zh_CN.UTF-8"
ACCOUNT = "49"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, object]:
        data = json.loads(self.out)
        assert isinstance(data, dict)
        return data


@dataclass
class Hub:
    """A database (account 49) and how to run contenthub-ctl against it."""

    path: Path
    cwd: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def env(self, lang: str = EN) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
        return {**keep, "DATABASE_URL": self.url, "LANG": lang, "TZ": "CST-8", "ASYNC_AUTO_APPROVE": "true"}

    def __call__(self, *args: str, lang: str = EN) -> Result:
        proc = subprocess.run(
            [str(CTL), *args], cwd=self.cwd, env=self.env(lang),
            capture_output=True, text=True, encoding="utf-8", timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql, params).fetchall()


def new_hub(root: Path) -> Hub:
    work = root / "work"
    work.mkdir(parents=True)
    hub = Hub(root / "contenthub.db", work)
    asyncio.run(prepare(hub.url, (int(ACCOUNT),)))
    return hub


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub with contenthubd running; topics containing "doomed" always fail at the creator."""
    root = tmp_path_factory.mktemp("running")
    hub = new_hub(root)
    daemon = start_daemon(daemon_environment(hub.url, root / "fake", {"fail_topic": "doomed"}), root / "daemon.log")
    try:
        yield hub
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0


def moves(output: str) -> list[str]:
    """The state changes printed by --wait (``pending → submitting``), in order."""
    return re.findall(r"CST  ((?:\w+ )?→ \w+)  ", output)


async def test_detail_reads_content_and_pool_state_on_every_backend(db: Database, clock: ManualClock) -> None:
    """What `status` and `--wait` read, on SQLite and PostgreSQL: new events only, content, pool."""
    async with db.write() as conn:
        await account_store.insert_account(conn, name="acc", now=clock.now(), account_id=1)
    [task_id] = await task_commands.submit_tasks(db, [NewTask(account_id=1, topic="t", auto_approve=False)],
                                                 clock=clock, actor="cli")
    async with db.write() as conn:
        [claimed] = await task_store.claim_tasks(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=60)
        task = await task_store.transition(conn, claimed, TaskStatus.SUBMITTED, now=clock.now(), actor="d1",
                                           lease_owner="d1", values={"creator_task_id": "c-1"})
        assert task is not None
        content_id = await content_store.insert_content(conn, content_store.NewContent(
            account_id=1, generation_task_id=task.id, title="标题", body_markdown="# 标题", summary=None, images=[],
            word_count=42, category=None, tags=None, approved=False), now=clock.now())
        done = await task_store.transition(conn, task, TaskStatus.COMPLETED, now=clock.now(), actor="d1",
                                           values={"content_id": content_id, "progress": 100})
        assert done is not None

    detail = await task_queries.task_detail(db, task_id)
    assert detail is not None and detail.attempts == 1
    assert detail.content == ContentState(content_id, "标题", 42, "pending", "draft", None)
    async with db.read() as conn:
        newer = await task_store.task_events_of(conn, done.id, after=detail.events[1].id)
    assert [(e.from_status, e.to_status) for e in newer] == [("submitting", "submitted"), ("submitted", "completed")]

    async with db.write() as conn:
        await pool_store.insert_entry(conn, content_id=content_id, account_id=1, priority=5, now=clock.now(), actor="test")
    detail = await task_queries.task_detail(db, task_id)
    assert detail is not None and detail.content is not None and detail.content.pool_status == "pending"


# ---------------------------------------------------------------- Ctrl-C, daemon not running


def start_waiting(hub: Hub, topic: str) -> tuple[subprocess.Popen[str], str]:
    """``submit --wait`` in its own session, once it has shown the first state."""
    proc = subprocess.Popen(
        [str(CTL), "submit", "-a", ACCOUNT, "-t", topic, "--wait"], cwd=hub.cwd, env=hub.env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        start_new_session=True,
    )
    assert proc.stdout is not None
    task_id = proc.stdout.readline().strip()
    for line in proc.stdout:  # waiting has begun once the first state is shown
        if "→ pending" in line:
            return proc, task_id
    proc.wait(timeout=60)
    pytest.fail(f"contenthub-ctl ended before showing the task: {proc.stderr.read() if proc.stderr else ''}")


def assert_stopped_waiting(hub: Hub, proc: subprocess.Popen[str], task_id: str) -> None:
    try:
        code = proc.wait(timeout=30)  # less than SQLite's busy timeout (60 s) a parked read may wait
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert code == 130, err
    assert "Traceback" not in err
    assert f"task {task_id} goes on" in err and f"contenthub-ctl status {task_id}" in err
    assert hub.rows("SELECT status, cancel_requested_at FROM content_generation_tasks WHERE task_id = ?",
                    task_id) == [("pending", None)]


@contextlib.contextmanager
def write_lock_held(hub: Hub) -> Iterator[None]:
    """Another writer (as the daemon is, often): every write of ``hub`` waits while this holds the lock."""
    conn = sqlite3.connect(hub.path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.close()


def parked_submit(hub: Hub, topic: str) -> subprocess.Popen[str]:
    """``submit`` started while another writer holds the lock, once it waits for it."""
    proc = subprocess.Popen(
        [str(CTL), "submit", "-a", ACCOUNT, "-t", topic], cwd=hub.cwd, env=hub.env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True,
    )
    while len(os.listdir(f"/proc/{proc.pid}/task")) < 2:  # the database's worker thread: connected
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)  # past the schema check (a read), into BEGIN IMMEDIATE
    return proc


def interrupted(proc: subprocess.Popen[str], signals: int) -> tuple[int, str, str]:
    """Send ``signals`` Ctrl-Cs; the exit code and output, within less than SQLite's busy timeout
    (60 s) the parked write would otherwise wait."""
    try:
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_stops_waiting_not_the_task_at_any_point_of_the_loop(tmp_path: Path) -> None:
    from contenthub_async.cli.wait import POLL_SECONDS

    hub = new_hub(tmp_path)
    offsets = [POLL_SECONDS * i / 8 for i in range(8)]  # across one poll: sleeping, reading, printing
    waiting = [start_waiting(hub, f"nobody runs this {i}") for i in range(len(offsets))]
    started = time.monotonic()
    for offset, (proc, _) in zip(offsets, waiting, strict=True):
        time.sleep(max(0.0, started + offset - time.monotonic()))
        proc.send_signal(signal.SIGINT)
    for proc, task_id in waiting:
        assert_stopped_waiting(hub, proc, task_id)
    assert hub.rows("SELECT from_status, to_status FROM task_events") == [(None, "pending")] * len(offsets)


@pytest.mark.slow  # waits out SQLite's busy timeout
@pytest.mark.parametrize("signals", [1, 2])
def test_ctrl_c_ends_a_command_that_waits_for_the_write_lock(tmp_path: Path, signals: int) -> None:
    # A cancelled database call goes on in SQLite's worker thread (here: BEGIN IMMEDIATE waiting
    # up to the busy timeout) and the connection's clean-up queues behind it. The first Ctrl-C
    # gives the clean-up a few seconds, a second one ends the process at once.
    hub = new_hub(tmp_path)
    with write_lock_held(hub):
        code, out, err = interrupted(parked_submit(hub, "never written"), signals)
    assert code == 130, err
    assert out == "" and err.strip() == "contenthub-ctl: error: interrupted"
    assert hub.rows("SELECT count(*) FROM content_generation_tasks") == [(0,)]


# ---------------------------------------------------------------- --wait with a daemon
# Last in the module: the module-scoped daemon stops when the module ends, so it does not idle
# through the tests that do not use it.


def test_wait_prints_each_state_and_exits_0_when_completed(running: Hub) -> None:
    r = running("submit", "-a", ACCOUNT, "-t", "waited for", "--wait")
    assert r.code == 0, r
    task_id = r.out.splitlines()[0]
    steps = moves(r.out)
    assert steps[:3] == ["→ pending", "pending → submitting", "submitting → submitted"], r.out
    assert steps[-1].endswith("→ completed"), r.out
    assert r.out.splitlines()[-1].startswith(f"Task {task_id} completed: content ")
    # The daemon's publisher may already have taken the article by the time --wait reports.
    assert re.search(r"\(approved, (queued|publishing|published)\)\.$", r.out.splitlines()[-1]), r.out
    assert running.rows("SELECT status FROM content_generation_tasks WHERE task_id = ?", task_id) == [("completed",)]


def test_wait_exits_1_when_the_task_fails(running: Hub) -> None:
    r = running("submit", "-a", ACCOUNT, "-t", "doomed topic", "--max-retries", "0", "--wait")
    assert r.code == 1, r
    task_id = r.out.splitlines()[0]
    assert moves(r.out)[-1].endswith("→ failed"), r.out
    assert r.out.splitlines()[-1].startswith(f"Task {task_id} failed: ") and "doomed" in r.out.splitlines()[-1]


def test_wait_json_prints_only_the_final_task_object(running: Hub) -> None:
    r = running("content", "generate", "-a", ACCOUNT, "-t", "as json", "--async", "--wait", "--format", "json")
    assert r.code == 0, r
    final = r.json()  # the whole of stdout is one JSON document
    assert final["status"] == "completed" and final["progress"] == 100 and final["attempts"] == 1
    content = final["content"]
    assert isinstance(content, dict) and content["content_id"] == final["content_id"]
    # approved into the pool, which the daemon's publisher may already have worked through
    assert content["review_status"] == "approved"
    assert (content["publish_status"], content["pool_status"]) in (
        ("queued", "pending"), ("queued", "publishing"), ("published", "published"))  # store/pool.CONTENT_STATUS
    assert [e["to"] for e in final["events"]][-1] == "completed"  # type: ignore[index, union-attr]
    again = running("status", str(final["task_id"]), "--format", "json").json()
    moving = ("publish_status", "pool_status")  # the publisher may still be at work in between
    assert {k: v for k, v in again.items() if k != "content"} == {k: v for k, v in final.items() if k != "content"}
    assert {k: v for k, v in again["content"].items() if k not in moving} == {
        k: v for k, v in content.items() if k not in moving}


def test_wait_draws_a_progress_bar_on_a_terminal(running: Hub) -> None:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [str(CTL), "submit", "-a", ACCOUNT, "-t", "on a terminal", "--wait"], cwd=running.cwd,
        env={**running.env(), "COLUMNS": "120"}, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    screen = b"".join(chunks).decode("utf-8")
    assert "━" in screen and "100%" in screen, screen
    assert "completed: content" in screen, screen


def test_status_shows_attempts_content_review_and_publishing(running: Hub) -> None:
    r = running("submit", "-a", ACCOUNT, "-t", "for status", "--wait", "--format", "json")
    assert r.code == 0, r
    task_id = str(r.json()["task_id"])

    r = running("status", task_id)
    assert r.code == 0, r
    for pattern in (r"Attempts:\s+1\n", r"Retries:\s+0/3", r"Title:\s+for status", r"Review:\s+approved",
                    r"Publishing:\s+(queued|publishing|published)", r"Publish pool:\s+(pending|publishing|published)", r"Creator task ID:\s+[0-9a-f-]{36}"):
        assert re.search(pattern, r.out), (pattern, r.out)

    r = running("status", task_id, lang=ZH)
    assert r.code == 0, r
    for pattern in (r"执行次数:\s+1\n", r"审核状态:\s+已通过（approved）", r"发布状态:\s+\S+（(queued|publishing|published)）",
                    r"发布池:\s+\S+（(pending|publishing|published)）"):
        assert re.search(pattern, r.out), (pattern, r.out)

