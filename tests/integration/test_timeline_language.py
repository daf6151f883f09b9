"""A task's timeline and last error are stored as codes and read in the operator's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from contenthub_async.domain.submission import NewTask
from tests.integration.test_cli_language import english_words
from tests.integration.test_daemon_behaviour import run_until_terminal
from tests.support.cli import EN, ZH, Ctl
from tests.support.daemons import prepare, settings_for, submit


@pytest.mark.slow
async def test_failed_task_reads_in_chinese_and_english(tmp_path: Path) -> None:
    db_path = tmp_path / "contenthub.db"
    url = f"sqlite:///{db_path}"
    await prepare(url)
    [task_id] = await submit(url, [NewTask(account_id=49, topic="注定失败", max_retries=1)])
    settings = settings_for(url, tmp_path / "fake", {"fail": "all"}, ASYNC_RETRY_BACKOFF=0.2)
    [task] = await run_until_terminal(url, settings, [task_id])
    assert task.status == "failed" and task.error_code == "error.creator_failed"

    ctl = Ctl(db_path, tmp_path)
    zh = ctl("status", task_id, lang=ZH, env={"COLUMNS": "200"})
    assert zh.code == 0, zh.err
    assert "秒后进行第 1/1 次重试：content-creator 报告生成失败：模拟失败" in zh.out
    assert "尝试 2 次后放弃：content-creator 报告生成失败" in zh.out
    assert "已领取" in zh.out and "content-creator 已受理" in zh.out
    assert english_words(zh.out) == [], zh.out
    en = ctl("status", task_id, lang=EN, env={"COLUMNS": "200"})
    assert "gave up after 2 attempt(s): content-creator reported failure: 模拟失败" in en.out
    # the tables keep the English sentence for sqlite3 readers, and the code beside it
    rows = ctl.rows("SELECT message, code FROM task_events WHERE to_status = 'failed'")
    assert rows == [(rows[0][0], "task.gave_up")] and rows[0][0].startswith("gave up after 2 attempt(s)")
    stats = ctl("monitor", "stats", "--days", "1", lang=ZH, env={"COLUMNS": "200"})
    assert stats.code == 0 and "content-creator 报告生成失败：模拟失败" in stats.out, stats.out
