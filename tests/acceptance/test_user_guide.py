"""The operators' guide (../shared/seeds/user-guide.md), walked through with ``contenthub-ctl`` in
place of ``contenthub``: every command line about tasks, monitoring and import, run by bash in a
working directory with the guide's ``.env``, the default database ``data/contenthub.db`` and a
real contenthubd driving the fake content-creator. The guide's abbreviated best-practice lines
omit the required ``-a`` (its own parameter table marks it required); they get ``-a 49``.

The walk runs once in Chinese and once in English; in Chinese, no English prose may leak into
any human output (ids, commands, settings and product names excepted, see ``english_words``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from tests.integration.test_cli_language import english_words
from tests.support.daemons import BIN, CONTENTHUBD, FAKE_CREATOR, fake_knobs, wait_until
from tests.support.http import free_port

#: The guide's .env (配置说明), with the waits of a test instead of production ones.
DOTENV = """\
ASYNC_CONTENT_GENERATION_ENABLED=true
ASYNC_MAX_CONCURRENT_TASKS=5
ASYNC_TASK_TIMEOUT=1800
ASYNC_POLL_INTERVAL=0.3
ASYNC_AUTO_APPROVE=true
ASYNC_MAX_RETRIES=1
ASYNC_RETRY_BACKOFF=0.2
CONTENTHUB_HEARTBEAT_INTERVAL=1
CONTENTHUB_JANITOR_INTERVAL=0.5
"""

#: The guide's CSV (批量导入任务).
TASKS_CSV = """\
account_id,topic,keywords,priority,auto_approve
49,"AI技术","AI,机器学习",8,true
50,"区块链应用","区块链,金融",7,false
"""

FAILING = "必败选题"  # the fake creator fails every task whose topic contains this


@dataclass
class Shell:
    cwd: Path
    env: dict[str, str]
    human: list[str]  # every human (not JSON) output, for the language check

    def __call__(self, script: str) -> subprocess.CompletedProcess[str]:
        """Run guide lines with bash, ``contenthub`` spelled ``contenthub-ctl``."""
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("contenthub ", "contenthub-ctl ")],
            cwd=self.cwd, env=self.env, capture_output=True, text=True, encoding="utf-8", timeout=120,
        )

    def ok(self, script: str) -> str:
        done = self(script)
        assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        if "--format json" not in script:
            self.human.append(done.stdout + done.stderr)
        return done.stdout

    def json(self, script: str) -> object:
        return json.loads(self.ok(script))

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.cwd / "data" / "contenthub.db") as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(params=["zh_CN.UTF-8", "en_US.UTF-8"], ids=["zh", "en"])
def guide(tmp_path: Path, request: pytest.FixtureRequest) -> Shell:
    work = tmp_path / "ops"
    work.mkdir()
    (work / ".env").write_text(DOTENV, encoding="utf-8")
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "TERM")}
    env = {
        **keep,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "LANG": request.param,
        "TZ": "Asia/Shanghai",
        "CREATOR_CLI_PATH": str(FAKE_CREATOR),
        "CONTENTHUB_CREATOR_ENV": json.dumps(fake_knobs(tmp_path / "fake", fail_topic=FAILING, latency=0.5)),
        "CONTENTHUB_LOG_FORMAT": "json",
        "CONTENTHUB_HTTP_LISTEN": f"127.0.0.1:{free_port()}",  # not the default port: tests run at once
    }
    return Shell(work, env, [])


def task_id_of(output: str) -> str:
    return output.split()[0]


async def test_the_guide_walked_through(guide: Shell) -> None:
    sh = guide
    zh = sh.env["LANG"].startswith("zh")
    sh.ok("contenthub db init")
    for account in (49, 50, 51, 52, 53):
        sh.ok(f'contenthub account add --name "账号{account}" --id {account}')

    # 快速开始 1: submissions (the daemon is not running yet: the table is the interface)
    basic = task_id_of(sh.ok('contenthub content generate -a 49 -t "AI技术发展" --async'))
    sh.ok('contenthub content generate -a 49 -t "AI技术发展" --async --auto-approve')
    full = sh.json(
        'contenthub content generate -a 49 -t "智能客服系统" -k "AI,客服,自动化" --async --auto-approve '
        '--priority 8 --requirements "详细介绍AI客服的优势" --format json'
    )
    assert isinstance(full, dict) and full["status"] == "pending" and full["message"]
    assert sh.rows(f"SELECT priority, keywords, requirements FROM content_generation_tasks "
                   f"WHERE task_id = '{full['task_id']}'") == [(8, "AI,客服,自动化", "详细介绍AI客服的优势")]

    # 2. 监控任务状态 before the daemon runs
    shown = sh.ok(f"contenthub task status {basic}")
    for label in ("任务 ID", "状态", "进度", basic, "待处理") if zh else ("Task", "Status", "Progress", basic, "pending"):
        assert label in shown
    pending = sh.ok("contenthub monitor pending")
    assert basic in pending
    listed = sh.json("contenthub task list --account-id 49 --status pending --format json")
    assert isinstance(listed, list) and len(listed) == 3 and {t["status"] for t in listed} == {"pending"}

    # 场景 1: the batch script as written
    batch = sh.ok("""
ACCOUNTS=(49 50 51 52 53)
TOPIC="AI技术发展趋势"

for account in "${ACCOUNTS[@]}"; do
  contenthub content generate \\
    -a $account \\
    -t "$TOPIC" \\
    --async \\
    --auto-approve
done

echo "批量任务提交完成"
""")
    assert batch.strip().endswith("批量任务提交完成")
    assert sh.rows("SELECT count(DISTINCT account_id) FROM content_generation_tasks WHERE topic = 'AI技术发展趋势'") == [(5,)]

    # 场景 3, 高级用法 (JSON requirements), 最佳实践 (with the required -a), and a task that fails
    sh.ok('contenthub content generate -a 49 -t "紧急：新产品发布" --async --auto-approve --priority 10 '
          '--requirements "突出产品核心优势，语气专业"')
    sh.ok("""contenthub content generate -a 49 -t "AI 应用" --async --requirements '{
    "style": "专业",
    "length": "2000字",
    "sections": ["背景", "应用", "展望"],
    "tone": "客观"
  }'""")
    sh.ok('contenthub content generate -a 49 -t "每日科技简报_20260208" --async')
    sh.ok('contenthub content generate -a 49 -t "AI系列_第1期" --async')
    sh.ok('contenthub content generate -a 49 -t "突发新闻" --async --priority 10')
    sh.ok('contenthub content generate -a 49 -t "技术文章" --async --priority 6')
    sh.ok('contenthub content generate -a 49 -t "存档内容" --async --priority 3')
    doomed = task_id_of(sh.ok(f'contenthub content generate -a 49 -t "{FAILING}" --async'))

    # 批量导入任务: the guide's CSV
    (sh.cwd / "tasks.csv").write_text(TASKS_CSV, encoding="utf-8")
    sh.ok("contenthub bulk-import --file tasks.csv --async")
    assert sh.rows("SELECT account_id, topic, priority, auto_approve, source FROM content_generation_tasks "
                   "WHERE source = 'import' ORDER BY account_id") == [
        (49, "AI技术", 8, 1, "import"), (50, "区块链应用", 7, 0, "import")]

    # 数据库问题: the guide's sqlite3 line reads the same table
    total = int(sh.ok('sqlite3 data/contenthub.db "SELECT COUNT(*) FROM content_generation_tasks;"'))
    assert total == 3 + 5 + 7 + 1 + 2

    # The daemon does the work.
    daemon_log = open(sh.cwd / "contenthubd.log", "ab")  # noqa: SIM115 - closed below
    daemon = subprocess.Popen([str(CONTENTHUBD)], cwd=sh.cwd, env=sh.env, stdout=daemon_log, stderr=daemon_log)
    try:
        await wait_until(
            lambda: sh.rows("SELECT count(*) FROM content_generation_tasks "
                            "WHERE status IN ('completed', 'failed', 'timeout', 'cancelled')") == [(total,)],
            timeout=120, interval=0.5,
        )

        # 故障排查 / 任务卡住: health while the daemon runs
        health = sh("contenthub monitor health")
        assert health.returncode == 0, health.stdout + health.stderr

        # 查看综合指标 (human, as in the guide)
        metrics = sh.ok("contenthub monitor metrics")
        for label in ("系统指标", "总任务数", "待处理", "处理中", "已完成", "失败", "成功率", "平均完成时间") if zh else (
                "Total", "pending", "completed", "failed", "Success rate"):
            assert label in metrics, label

        # 场景 4: the monitoring loop's body, with jq
        failed = int(sh.ok("""FAILED=$(contenthub monitor metrics --format json | jq '.failed_count')
echo "$FAILED"
if [ "$FAILED" -gt 5 ]; then
  echo "警告：失败任务数量过多: $FAILED"
fi""").splitlines()[0])
        assert failed == 1 == sh.rows("SELECT count(*) FROM content_generation_tasks WHERE status = 'failed'")[0][0]

        # 成功率低: failed tasks and the grouped reasons
        assert doomed in sh.ok("contenthub monitor failed")
        sh.ok(f"contenthub task status {doomed}")  # the timeline of a failed task, in the operator's language
        sh.ok("contenthub task list")
        reasons = sh.json("contenthub monitor stats --days 7 --format json | jq '.failure_reasons'")
        assert isinstance(reasons, list) and reasons, reasons
        assert sum(r["count"] for r in reasons) >= 1
        sh.ok("contenthub monitor stats --days 7")
        sh.ok("contenthub monitor stats --days 1")

        # the failed task shows the creator's message; every other task became an article, and the
        # auto-approved ones (all but the CSV row with auto_approve=false) joined the publish pool
        failed_status = sh.json(f"contenthub task status {doomed} --format json")
        assert isinstance(failed_status, dict) and failed_status["status"] == "failed"
        assert failed_status["error_message"]
        assert sh.rows("SELECT count(*) FROM contents") == [(total - 1,)]
        assert sh.rows("SELECT count(*) FROM publish_pool") == [(total - 2,)]
        assert sh.rows("SELECT t.topic FROM content_generation_tasks t JOIN contents c ON c.id = t.content_id "
                       "WHERE c.review_status = 'pending'") == [("区块链应用",)]

        # 查看失败的任务并处理: retry sends it back to the queue
        sh.ok(f"contenthub task retry {doomed}")
        assert sh.rows(
            "SELECT e.actor FROM task_events e JOIN content_generation_tasks t ON t.id = e.generation_task_id "
            f"WHERE t.task_id = '{doomed}' AND e.from_status = 'failed' AND e.to_status = 'pending'"
        ) == [("cli",)]
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = await anyio.to_thread.run_sync(lambda: daemon.wait(timeout=30))
        daemon_log.close()
    assert code == 0
    if zh:
        leaks = [(output, english_words(output)) for output in sh.human if english_words(output)]
        assert leaks == [], leaks
