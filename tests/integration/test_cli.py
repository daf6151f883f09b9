"""contenthub-ctl as operators run it, against a SQLite file: commands run in-process through the
cyclopts app (tests/support/cli.py); the installed console script as a real process where the
process is what is tested (exit statuses, stream encodings, start-up imports). Fixtures are
written with the store API in-process; only what is under test runs through the CLI.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import task_commands
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import SCHEMA_VERSION
from tests.support.cli import EN, ISO_Z, TASK_ID, ZH, Ctl


async def _accounts(db: Database, clock: ManualClock) -> None:
    """Account 1 (active, "main") and 2 (disabled, "off")."""
    async with db.write() as conn:
        await account_store.insert_account(conn, name="main", now=clock.now(), account_id=1)
        await account_store.insert_account(conn, name="off", now=clock.now(), account_id=2)
        await account_store.set_account_active(conn, 2, False, now=clock.now())


async def _two_tasks(db: Database, clock: ManualClock) -> list[str]:
    await _accounts(db, clock)
    new = [
        NewTask(account_id=1, topic="第一篇：AI 客服", keywords="AI,客服", priority=7),
        NewTask(account_id=1, topic="second topic", priority=3),
    ]
    return await task_commands.submit_tasks(db, new, clock=clock, actor="cli")


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {text!r}"
    return lines[0]


# ---------------------------------------------------------------- schema and accounts


def test_empty_database_hint_then_db_init_and_accounts(ctl: Ctl) -> None:
    r = ctl("status", "task-0123456789ab")
    assert r.code == 1 and r.out == ""
    assert "contenthub-ctl db init" in one_line(r.err) and str(ctl.path) in r.err
    assert not ctl.path.exists(), "a command that cannot succeed must not create the database file"

    # account add does not create a database either: it names the one it resolved.
    r = ctl("account", "add", "--name", "科技号", "--id", "49", lang=ZH)
    assert r.code == 1 and r.out == "" and str(ctl.path) in r.err and "db init" in one_line(r.err)
    assert not ctl.path.exists()
    r = ctl("db", "version", "--format", "json")
    assert r.json() == {"database": str(ctl.path), "version": 0, "expected_version": SCHEMA_VERSION,
                        "up_to_date": False}

    r = ctl("db", "init")
    assert r.code == 0 and f"0 → {SCHEMA_VERSION}" in r.out and str(ctl.path) in r.out
    assert ctl("db", "init", "--format", "json").json() == {
        "database": str(ctl.path), "from_version": SCHEMA_VERSION, "to_version": SCHEMA_VERSION}
    r = ctl("db", "version", lang=ZH)
    assert r.code == 0 and f"数据库 {ctl.path}：结构版本 {SCHEMA_VERSION}" in r.out

    r = ctl("account", "add", "--name", "科技号", "--id", "49", "--platform", "wechat", "--category", "科技")
    assert r.code == 0 and "49" in r.out and "科技号" in r.out

    r = ctl("account", "add", "--name", "科技号")
    assert r.code == 2 and r.out == "" and "科技号" in one_line(r.err)

    assert ctl("account", "disable", "49").code == 0
    listed = ctl("account", "list", "--format", "json").json()
    assert isinstance(listed, list)
    assert [(a["id"], a["name"], a["is_active"]) for a in listed] == [(49, "科技号", False)]
    assert ISO_Z.match(listed[0]["created_at"]) and listed[0]["platform"] == "wechat"
    r = ctl("account", "enable", "49", lang=ZH)
    assert r.code == 0 and "已启用" in r.out
    r = ctl("account", "list")
    assert r.code == 0 and "科技号" in r.out and "wechat" in r.out and "disabled" not in r.out
    r = ctl("account", "disable", "999")
    assert r.code == 1 and "999" in one_line(r.err)


# ---------------------------------------------------------------- submit


def test_submit_human_and_json_rows_readable_with_sqlite3(ctl: Ctl) -> None:
    ctl.store(_accounts)
    defaults = {"ASYNC_AUTO_APPROVE": "false", "ASYNC_MAX_RETRIES": "4"}

    r = ctl("submit", "-a", "1", "-t", "AI技术发展", env=defaults)
    assert r.code == 0, r.err
    first_id, message = r.out.strip().splitlines()
    assert TASK_ID.match(first_id) and "submitted" in message.lower()

    r = ctl(
        "submit", "--account-id", "1", "--topic", "-starts with a dash", "-k", "AI, 客服，自动化",
        "-c", "科技", "-r", "详细介绍", "--tone", "专业", "-p", "8", "--auto-approve", "--max-retries", "1",
        "--format", "json", env=defaults,
    )
    assert r.code == 0, r.err
    data = r.json()
    assert isinstance(data, dict) and TASK_ID.match(data["task_id"])
    assert data["status"] == "pending" and data["message"]
    assert (data["priority"], data["auto_approve"], data["max_retries"]) == (8, True, 1)

    rows = ctl.rows(
        "SELECT task_id, status, priority, topic, keywords, category, requirements, tone, auto_approve,"
        " max_retries, source, created_at, run_after, typeof(created_at) FROM content_generation_tasks ORDER BY id"
    )
    assert [r[:11] for r in rows] == [
        (first_id, "pending", 5, "AI技术发展", None, None, None, None, 0, 4, "cli"),
        (data["task_id"], "pending", 8, "-starts with a dash", "AI,客服,自动化", "科技", "详细介绍", "专业",
         1, 1, "cli"),
    ]
    for row in rows:
        assert ISO_Z.match(row[11]) and ISO_Z.match(row[12]) and row[13] == "text"
    events = ctl.rows("SELECT from_status, to_status, actor FROM task_events ORDER BY id")
    assert events == [(None, "pending", "cli"), (None, "pending", "cli")]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(ctl: Ctl) -> None:
    ctl.store(_accounts)
    ctl.store(lambda db, clock: task_commands.submit_tasks(
        db, [NewTask(account_id=1, topic="existing")], clock=clock, actor="cli"))
    before = ctl.count()
    cases = [
        (["submit", "-a", "99", "-t", "x"], "99"),                         # unknown account
        (["submit", "-a", "2", "-t", "x"], "disabled"),                    # inactive account
        (["submit", "-a", "1", "-t", "   "], "--topic"),                   # empty topic
        (["submit", "-a", "1", "-t", "字" * 501], "501"),                  # topic > 500 characters
        (["submit", "-a", "1", "-t", "x", "-p", "11"], "--priority"),      # priority out of range
        (["submit", "-a", "1", "-t", "x", "--priority", "high"], "high"),  # not an integer
        (["submit", "-a", "1", "-t", "x", "-p", "1.5"], "1.5"),            # not an integer either
        (["submit", "-a", "1", "-t", "x", "--bogus"], "--bogus"),          # unknown option
        (["submit", "-a", "1"], "--topic"),                                # missing option
        (["list", "--status", "running"], "running"),                      # bad status
    ]
    results = [ctl(*args) for args, _ in cases]
    for (args, needle), r in zip(cases, results, strict=True):
        assert r.code == 2, (args, r)
        assert r.out == "", (args, r)
        line = one_line(r.err)
        assert needle in line and line.startswith("contenthub-ctl: error: "), (args, line)
    assert ctl.count() == before


def test_unknown_task_id_exits_1(ctl: Ctl) -> None:
    ctl.store(_accounts)
    for args in (["status", "task-ffffffffffff", "--format", "json"], ["retry", "task-ffffffffffff"]):
        r = ctl(*args)
        assert r.code == 1 and r.out == ""
        assert "task-ffffffffffff" in one_line(r.err)


# ---------------------------------------------------------------- status, list, cancel, retry


def test_status_list_cancel_retry(ctl: Ctl) -> None:
    first, second = ctl.store(_two_tasks)  # type: ignore[misc]

    r = ctl("status", first)
    assert r.code == 0, r.err
    assert re.search(r"Status:\s+pending", r.out)
    assert re.search(r"Priority:\s+7", r.out) and re.search(r"Progress:\s+0%", r.out)
    assert re.search(r"Retries:\s+0/3", r.out) and "1 (main)" in r.out and "第一篇：AI 客服" in r.out
    assert "2026-11-22 16:00:00 CST" in r.out, "times are shown in the local zone (TZ=CST-8)"
    assert re.search(r"Timeline:\n  2026-11-22 16:00:00 CST  → pending  cli  submitted", r.out)

    detail = ctl("status", first, "--format", "json").json()
    assert isinstance(detail, dict)
    assert (detail["task_id"], detail["status"], detail["priority"], detail["account_name"]) == (
        first, "pending", 7, "main")
    assert detail["created_at"] == "2026-11-22T08:00:00.000Z" and detail["completed_at"] is None
    assert detail["events"] == [
        {"at": "2026-11-22T08:00:00.000Z", "from": None, "to": "pending", "actor": "cli", "message": "submitted",
             "code": "task.submitted"}
    ]

    r = ctl("list")
    assert r.code == 0 and first in r.out and second in r.out and "second topic" in r.out
    assert r.out.index(second) < r.out.index(first), "newest first"
    listed = ctl("list", "-a", "1", "-s", "pending", "--limit", "1", "--format", "json").json()
    assert isinstance(listed, list) and [t["task_id"] for t in listed] == [second]
    assert set(listed[0]) == set(detail) - {"events", "attempts", "content"}
    assert (detail["attempts"], detail["content"]) == (0, None)

    r = ctl("cancel", first)
    assert r.code == 0 and "cancelled" in r.out
    r = ctl("cancel", first)
    assert r.code == 1 and r.out == "" and "cancelled" in one_line(r.err)
    retried = ctl("retry", first, "--format", "json").json()
    assert retried == {"task_id": first, "status": "pending", "message": retried["message"]}
    r = ctl("retry", second)
    assert r.code == 1 and "pending" in one_line(r.err)
    statuses = ctl.rows("SELECT to_status FROM task_events JOIN content_generation_tasks t"
                        " ON t.id = generation_task_id WHERE t.task_id = ? ORDER BY task_events.id", first)
    assert [s for (s,) in statuses] == ["pending", "cancelled", "pending"]


def test_cancel_at_the_creator_is_a_request(ctl: Ctl) -> None:
    [task_id] = ctl.store(_submitted_task)  # type: ignore[misc]

    r = ctl("cancel", task_id, "--format", "json")
    assert r.code == 0, r.err
    assert r.json() == {"task_id": task_id, "outcome": "requested", "status": "submitted",
                        "message": r.json()["message"]}  # type: ignore[index]
    assert "daemon" in r.json()["message"]  # type: ignore[index]

    r = ctl("status", task_id, lang=ZH)
    assert r.code == 0, r.err
    assert "已提交（submitted）" in r.out and "creator-uuid-1" in r.out
    assert re.search(r"请求取消时间:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CST", r.out)
    assert "已请求取消" in r.out and "cancel requested" not in r.out
    [(status, requested)] = ctl.rows(
        "SELECT status, cancel_requested_at FROM content_generation_tasks WHERE task_id = ?", task_id)
    assert status == "submitted" and ISO_Z.match(requested)


async def _submitted_task(db: Database, clock: ManualClock) -> list[str]:
    """A task content-creator holds: pending → submitting → submitted."""
    await _accounts(db, clock)
    ids = await task_commands.submit_tasks(db, [NewTask(account_id=1, topic="at the creator")], clock=clock,
                                           actor="cli")
    async with db.write() as conn:
        [claimed] = await task_store.claim_tasks(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=60)
        moved = await task_store.transition(
            conn, claimed, TaskStatus.SUBMITTED, now=clock.now(), actor="d1", lease_owner="d1",
            values={"creator_task_id": "creator-uuid-1", "submitted_at": clock.now()},
        )
        assert moved is not None
    return ids


# ---------------------------------------------------------------- locale


def test_language_follows_lc_all_then_lc_messages_then_lang(ctl: Ctl) -> None:
    [task_id, _] = ctl.store(_two_tasks)  # type: ignore[misc]

    r = ctl("status", task_id, lang=EN, env={"LC_MESSAGES": ZH})
    assert "状态:" in r.out and "待处理（pending）" in r.out and "时间线" in r.out

    r = ctl("status", task_id, lang=ZH, env={"LC_ALL": "C.UTF-8", "LC_MESSAGES": ZH})
    assert re.search(r"Status:\s+pending", r.out) and "状态" not in r.out

    r = ctl("submit", "-a", "1", "-t", "x", "-p", "11", lang=ZH)
    assert r.code == 2 and "优先级" in one_line(r.err) and "错误" in r.err
    assert ctl.count() == (2, 2)


# ---------------------------------------------------------------- the original command lines


def test_seed_spellings(ctl: Ctl) -> None:
    assert ctl("db", "init").code == 0
    r = ctl("account", "add", "--name", "seed", "--id", "49")
    assert r.code == 0, r.err

    r = ctl("content", "generate", "-a", "49", "-t", "智能客服系统", "-k", "AI,客服,自动化", "--async",
            "--auto-approve", "--priority", "8", "--requirements", "详细介绍AI客服的优势", "--format", "json",
            lang=ZH)
    assert r.code == 0, r.err
    submitted = r.json()
    assert isinstance(submitted, dict)
    assert submitted["status"] == "pending"
    assert submitted["message"] == "任务已提交并排队；当前没有运行中的守护进程（contenthubd），启动后才会处理"
    task_id = submitted["task_id"]
    r = ctl("content", "generate", "-a", "49", "-t", "AI技术发展")  # --async is implied
    assert r.code == 0, r.err

    listed = ctl("task", "list", "--account-id", "49", "--status", "pending", "--format", "json").json()
    assert isinstance(listed, list) and len(listed) == 2 and listed[1]["task_id"] == task_id
    assert (listed[1]["priority"], listed[1]["requirements"], listed[1]["auto_approve"]) == (
        8, "详细介绍AI客服的优势", True)

    r = ctl("task", "status", task_id)
    assert r.code == 0 and task_id in r.out and "智能客服系统" in r.out
    r = ctl("task", "cancel", task_id)
    assert r.code == 0 and "cancelled" in r.out
    assert ctl.rows("SELECT status FROM content_generation_tasks WHERE task_id = ?", task_id) == [("cancelled",)]


# ---------------------------------------------------------------- the process boundary


@pytest.mark.slow
def test_the_console_script_exit_statuses_and_streams(ctl: Ctl) -> None:
    ids = ctl.store(_two_tasks)
    assert isinstance(ids, list)
    r = ctl.process("status", ids[0], lang=ZH)
    assert r.code == 0 and r.err == "" and ids[0] in r.out and "待处理" in r.out
    r = ctl.process("list", lang="C")  # an ASCII locale: Chinese data is written as UTF-8
    assert r.code == 0 and "第一篇：AI 客服" in r.out
    r = ctl.process("status", "task-ffffffffffff")
    assert (r.code, r.out) == (1, "") and "task-ffffffffffff" in one_line(r.err)
    r = ctl.process("list", "--limit", "x")
    assert (r.code, r.out) == (2, "") and one_line(r.err).startswith("contenthub-ctl: error: ")


# ---------------------------------------------------------------- start-up cost (one process)


#: Libraries no everyday command needs: the daemon's, the HTTP API's, the settings and
#: validation frameworks (settings are read with the standard library, config.py) and
#: SQLAlchemy's ORM and asyncio extension (store/connection.py).
NOT_AT_START = {
    "sqlalchemy.orm", "sqlalchemy.ext.asyncio",
    "rich", "structlog", "croniter", "asyncpg", "anyio", "pydantic", "pydantic_core", "pydantic_settings",
    "fastapi", "starlette", "uvicorn", "httpx", "jinja2", "markdown_it", "prometheus_client", "dotenv",
    "contenthub_async.daemon", "contenthub_async.creator", "contenthub_async.http",
    "contenthub_async.cli.queries", "contenthub_async.cli.wait", "contenthub_async.cli.imports",
    "contenthub_async.cli.cleanup", "contenthub_async.domain.task_csv", "contenthub_async.services.task_import",
    "contenthub_async.services.retention",
}


def loaded_by(ctl: Ctl, *args: str) -> tuple[int, set[str]]:
    """Exit code of one command run in a fresh interpreter, and the modules (and top-level
    packages) loaded by its end."""
    probe = (
        "import sys\n"
        "from contenthub_async.cli.main import run_cli\n"
        "code = run_cli(sys.argv[1:])\n"
        "loaded = {m.split('.')[0] for m in sys.modules} | set(sys.modules)\n"
        "print(code, ' '.join(sorted(loaded)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, *args], cwd=ctl.cwd, env=ctl.env(EN, None),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    code, _, modules = proc.stdout.strip().splitlines()[-1].partition(" ")
    return int(code), set(modules.split())


def test_a_file_that_is_not_a_database_is_one_line_whichever_driver_reads_it(ctl: Ctl) -> None:
    ctl.path.parent.mkdir(parents=True, exist_ok=True)
    ctl.path.write_bytes(b"not a database " * 100)
    for args in (("submit", "-a", "1", "-t", "x"), ("status", "task-0123456789ab"), ("list",),
                 ("cancel", "task-0123456789ab"), ("account", "list")):
        r = ctl(*args)
        assert (r.code, r.out) == (1, ""), args
        assert "file is not a database" in one_line(r.err), args


#: On SQLite the everyday commands run the store's prepared statements on the standard
#: library's sqlite3 (store/sqlite_driver.py): no SQLAlchemy, no asyncio driver.
NOT_ON_SQLITE = {"sqlalchemy", "aiosqlite", "greenlet"}


def test_everyday_commands_do_not_import_what_they_do_not_use(ctl: Ctl) -> None:
    [at_creator] = ctl.store(_submitted_task)  # type: ignore[misc]
    unwanted = NOT_AT_START | NOT_ON_SQLITE
    code, loaded = loaded_by(ctl, "submit", "-a", "1", "-t", "lean")
    assert (code, loaded & unwanted) == (0, set())
    [task_id] = ctl.rows("SELECT task_id FROM content_generation_tasks WHERE topic = 'lean'")
    for args in (("status", task_id[0]), ("cancel", task_id[0]), ("cancel", at_creator), ("status", at_creator),
                 ("status", "task-ffffffffffff")):
        code, loaded = loaded_by(ctl, *args)
        assert (code, loaded & unwanted) == (1 if args[1] == "task-ffffffffffff" else 0, set()), args
    assert ctl.rows("SELECT status, cancel_requested_at IS NOT NULL FROM content_generation_tasks ORDER BY id") == [
        ("submitted", 1), ("cancelled", 1)]
    for args in (("list",), ("list", "-a", "1", "-s", "pending,submitted", "--limit", "5")):
        code, loaded = loaded_by(ctl, *args)  # its table is drawn by rich
        assert (code, loaded & (unwanted - {"rich"})) == (0, set()), args
