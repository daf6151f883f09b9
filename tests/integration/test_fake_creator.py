"""Golden and knob tests of scripts/fake-content-creator.

The golden tests drive the fake into each state the fixtures were captured in, run it
as a real subprocess and compare stdout, stderr and the exit status with the raw
captures of the real tool byte for byte, after masking what legitimately differs
(ids, times, durations, the article, image URLs and paths, scores, error texts): see
``mask``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "scripts" / "fake-content-creator"
FIXTURES = ROOT / "tests" / "fixtures" / "content-creator"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
BANNER = (FIXTURES / "version.stdout").read_bytes().removesuffix(b"0.1.0\n")  # the fake's configuration
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The arguments of the three create captures, read back from the parameters they echo.
CREATE_1 = [
    "create", "--mode", "async", "--type", "content-creator",
    "--topic", "异步任务编排的最佳实践", "--requirements", "写一篇简短的技术科普",
    "--keywords", "异步,队列", "--priority", "high",
]
CREATE_2 = [
    "create", "--mode", "async", "--type", "content-creator",
    "--topic", "长任务", "--requirements", "慢一点",
]
CREATE_3 = [
    "create", "--mode", "async", "--type", "content-creator",
    "--topic", "会失败的任务", "--requirements", "写作步骤会报错",
]
CREATE_SYNC = [
    "create", "--mode", "sync", "--type", "content-creator",
    "--topic", "同步模式测试", "--requirements", "写一篇短文",
]
CREATE_SYNC_FAILED = [
    "create", "--mode", "sync", "--type", "content-creator",
    "--topic", "同步失败测试", "--requirements", "写一篇短文",
]
SLOW = {"FAKE_CREATOR_PENDING_SECONDS": "0", "FAKE_CREATOR_LATENCY": "600"}  # running for long
QUEUED = {"FAKE_CREATOR_PENDING_SECONDS": "600", "FAKE_CREATOR_LATENCY": "1200"}  # pending for long
INSTANT = {"FAKE_CREATOR_PENDING_SECONDS": "0", "FAKE_CREATOR_LATENCY": "0"}  # done at first read

_MASKS = [
    (re.compile(r"(内容:\n).*?(\n字数: )", re.S), r"\1<ARTICLE>\2"),
    (re.compile(r"(生成的内容:\n─+\n).*?(\n─+\n\n🖼️)", re.S), r"\1<ARTICLE>\2"),
    (re.compile(r"data/images/task-\d+_\d+_\d+\.png"), "<IMAGE>"),
    (re.compile(r"task-\d{13,}"), "<TASK>"),
    (re.compile(r"评分: \d+(?:\.\d+)?/100"), "评分: <SCORE>"),
    (re.compile(r'("(?:error|message|stack)":)"(?:[^"\\]|\\.)*"'), r'\1"<ERROR>"'),
    (re.compile(r'"duration":\d+'), '"duration":<MS>'),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "<TIME>"),
    (re.compile(r"耗时: (?:\d+分)?\d+秒"), "耗时: <DURATION>"),
    (re.compile(r"字数: \d+"), "字数: <N>"),
    (re.compile(r"(图片 URL:\n)[^\n]*"), r"\1<URL>"),
    (re.compile(r"(错误信息:\n)[^\n]*"), r"\1<ERROR>"),
    (re.compile(r'("errorMessage": )"(?:[^"\\]|\\.)*"'), r'\1"<ERROR>"'),
    (UUID_RE, "<UUID>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"), "<ISO>"),
    (re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}"), "<TIME>"),
    (re.compile(r"总耗时: (?:\d+分)?\d+秒"), "总耗时: <DURATION>"),
]


# The sync captures were taken with another content-creator configuration (no WORKER_ID,
# the LLM stand-in on another port): the banner shows configuration, not behaviour.
_CONFIG_MASKS = [
    (re.compile(r"^(Worker ID|LLM): .*$", re.M), r"\1: <CONFIG>"),
]


def mask(data: bytes, masks: list[tuple[re.Pattern[str], str]] = _MASKS) -> str:
    """Strictly decoded text with the content-not-format parts replaced by placeholders."""
    text = data.decode("utf-8")
    for pattern, replacement in masks:
        text = pattern.sub(replacement, text)
    return text


class Fake:
    """Runs the fake as a subprocess against one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_CREATOR_")}
        self.env["FAKE_CREATOR_STATE_DIR"] = str(state_dir)
        # The script runs through its own shebang (#!/usr/bin/env python3); putting this
        # interpreter's directory first lets env find a real python3 rather than a slow
        # wrapper such as a pyenv shim.
        self.env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), self.env.get("PATH", "")])

    def environ(self, knobs: dict[str, str]) -> dict[str, str]:
        return {**self.env, **knobs}

    def run(self, *args: str, timeout: float = 20, **knobs: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(FAKE), *args], env=self.environ(knobs), capture_output=True, timeout=timeout
        )

    def popen(self, *args: str, **knobs: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(FAKE), *args], env=self.environ(knobs),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )

    def create(self, args: list[str], **knobs: str) -> str:
        proc = self.run(*args, **knobs)
        assert proc.returncode == 0, proc.stderr.decode()
        ids = re.findall(r"^任务ID: (\S+)$", proc.stdout.decode(), re.M)
        assert len(ids) == 1
        return ids[0]

    def records(self, *extra: str) -> list[dict]:
        proc = self.run("list", "--json", *extra)
        assert proc.returncode == 0, proc.stderr.decode()
        return parse_list(proc.stdout)

    def status_of(self, task_id: str) -> str:
        return {r["id"]: r["status"] for r in self.records("--limit", "1000")}[task_id]


def parse_list(stdout: bytes) -> list[dict]:
    """The JSON array of `list --json`: from the first line starting with "[" (an empty
    list is the single line "[]", as JSON.stringify prints it)."""
    lines = stdout.decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("["))
    return json.loads("\n".join(lines[start:]))


@pytest.fixture
def fake(tmp_path: Path) -> Fake:
    return Fake(tmp_path / "state")


def assert_golden(case: str, proc: subprocess.CompletedProcess) -> None:
    expected_out = (FIXTURES / f"{case}.stdout").read_bytes()
    expected_err = (FIXTURES / f"{case}.stderr").read_bytes()
    expected_rc = int((FIXTURES / f"{case}.rc").read_text())
    masks = _MASKS + _CONFIG_MASKS if case.startswith("create-sync-") else _MASKS
    assert mask(proc.stdout, masks) == mask(expected_out, masks), f"{case}: stdout differs"
    assert mask(proc.stderr, masks) == mask(expected_err, masks), f"{case}: stderr differs"
    assert proc.returncode == expected_rc, f"{case}: rc differs"


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of a fake started by ``Fake.popen`` and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_for(condition, what: str, within: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ----------------------------------------------------------------------------- golden


def test_mask_keeps_format() -> None:
    # The masks replace values, never the lines around them.
    sample = "任务ID: 014f2e87-3a86-4a22-bf2b-64ee4042f787\n总耗时: 1分5秒\n创建时间: 2026/11/22 05:58:03\n"
    assert mask(sample.encode()) == "任务ID: <UUID>\n总耗时: <DURATION>\n创建时间: <TIME>\n"
    assert mask(b"a") != mask(b"b")
    sync = (
        '2026-12-02 21:34:25 [error]: [X] failed {"taskId":"task-1796247250878","error":"a \\"b\\"",'
        '"duration":14083}\n任务ID: task-1796247238202\n耗时: 14秒\n评分: 8.65/100\n'
        "data/images/task-1796247238202_0_1796247238534.png\n"
    )
    assert mask(sync.encode()) == (
        '<TIME> [error]: [X] failed {"taskId":"<TASK>","error":"<ERROR>","duration":<MS>}\n'
        "任务ID: <TASK>\n耗时: <DURATION>\n评分: <SCORE>\n<IMAGE>\n"
    )


def test_version_golden(fake: Fake) -> None:
    assert_golden("version", fake.run("--version"))


@pytest.mark.parametrize(
    "case, args",
    [("create-async", CREATE_1), ("create-async-2", CREATE_2), ("create-async-3", CREATE_3)],
)
def test_create_golden(fake: Fake, case: str, args: list[str]) -> None:
    assert_golden(case, fake.run(*args))


def test_create_missing_requirements_golden(fake: Fake) -> None:
    proc = fake.run("create", "--mode", "async", "--type", "content-creator", "--topic", "没有要求的主题")
    assert_golden("create-missing-requirements", proc)
    assert fake.records() == []


def test_pending_golden(fake: Fake) -> None:
    task_id = fake.create(CREATE_1, **QUEUED)
    assert_golden("status-pending", fake.run("status", "--task-id", task_id))
    assert_golden("result-pending-json", fake.run("result", "--task-id", task_id, "--format", "json"))
    assert_golden("cancel-pending", fake.run("cancel", "--task-id", task_id))
    assert fake.status_of(task_id) == "pending"


def test_running_and_cancelled_golden(fake: Fake) -> None:
    task_id = fake.create(CREATE_2, **SLOW)
    assert_golden("status-running", fake.run("status", "--task-id", task_id))
    assert_golden("cancel-running", fake.run("cancel", "--task-id", task_id))
    assert_golden("status-cancelled", fake.run("status", "-t", task_id))
    [rec] = fake.records()
    assert rec["status"] == "cancelled" and "completedAt" not in rec and "startedAt" in rec


def test_completed_golden(fake: Fake) -> None:
    task_id = fake.create(CREATE_1, **INSTANT)
    assert_golden("status-completed", fake.run("status", "--task-id", task_id))
    text = fake.run("result", "--task-id", task_id)
    assert_golden("result-completed-text", text)
    first = fake.run("result", "--task-id", task_id, "--format", "json")
    assert_golden("result-completed-json", first)
    assert_golden("cancel-completed", fake.run("cancel", "--task-id", task_id))
    # Transitions are persisted: the record, timestamps included, is stable between reads.
    assert fake.run("result", f"--task-id={task_id}", "--format=json").stdout == first.stdout
    # The article: markdown with title, sections, topic, keywords and the image placeholder.
    out = text.stdout.decode()
    article = out.split("内容:\n", 1)[1].split("\n字数: ", 1)[0]
    assert article.startswith("# ") and article.count("\n## ") >= 2
    assert "异步任务编排的最佳实践" in article and "异步" in article and "队列" in article
    assert "![示意图](image-placeholder-1)" in article
    assert f"\n字数: {len(article)}\n" in out
    assert re.search(r"图片 URL:\nhttp://127\.0\.0\.1:18999/img-\d+\.png\n", out)
    assert text.stdout == fake.run("result", "--task-id", task_id).stdout  # deterministic


def test_failed_golden(fake: Fake) -> None:
    task_id = fake.create(CREATE_3, FAKE_CREATOR_FAIL_TOPIC="会失败", **INSTANT)
    status = fake.run("status", "--task-id", task_id)
    assert_golden("status-failed", status)
    assert "模拟失败: 会失败的任务" in status.stdout.decode()
    assert_golden("result-failed-text", fake.run("result", "--task-id", task_id))
    assert_golden("result-failed-json", fake.run("result", "--task-id", task_id, "--format", "json"))


def test_create_sync_golden(fake: Fake) -> None:
    proc = fake.run(*CREATE_SYNC, FAKE_CREATOR_LATENCY="0")
    assert_golden("create-sync-success", proc)
    out = proc.stdout.decode()
    [task_id] = re.findall(r"^任务ID: (task-\d+)$", out, re.M)
    article = sync_article(out)
    image = f"data/images/{task_id}_0_"
    # the article: deterministic markdown from the inputs, embedding the image it lists
    assert article.startswith("# 同步模式测试\n") and "创作要求：写一篇短文" in article
    assert f"![示意图]({image}" in article
    assert re.search(rf"生成的配图:\n─+\n{image}\d+\.png\n─+\n", out)
    # the task is recorded as a finished sync task, and `result` shows the same article
    [rec] = fake.records()
    assert (rec["id"], rec["mode"], rec["status"]) == (task_id, "sync", "completed")
    result = fake.run("result", "--task-id", task_id).stdout.decode()
    assert f"内容:\n{article}\n字数: {len(article)}\n" in result
    # deterministic: the same inputs give the same article, but for the image's file name
    again = sync_article(fake.run(*CREATE_SYNC, FAKE_CREATOR_LATENCY="0").stdout.decode())
    assert again != article and mask(again.encode()) == mask(article.encode())


def sync_article(stdout: str) -> str:
    rule = "\n" + "─" * 40 + "\n"
    return stdout.split("📝 生成的内容:" + rule, 1)[1].split(rule, 1)[0]


def test_create_sync_failed_golden(fake: Fake) -> None:
    proc = fake.run(*CREATE_SYNC_FAILED, FAKE_CREATOR_LATENCY="0", FAKE_CREATOR_FAIL_TOPIC="失败")
    assert_golden("create-sync-failed", proc)
    out = proc.stdout.decode()
    assert "状态: 失败\n" in out and "生成的内容" not in out
    assert '"error":"模拟失败: 同步失败测试 (FAKE_CREATOR_FAIL_TOPIC)"' in out  # the cause, in the log lines
    [rec] = fake.records()
    assert rec["status"] == "failed" and rec["errorMessage"] == "模拟失败: 同步失败测试 (FAKE_CREATOR_FAIL_TOPIC)"


def test_create_sync_terminated_golden(fake: Fake) -> None:
    proc = fake.popen(*CREATE_SYNC, FAKE_CREATOR_LATENCY="600")
    try:
        wait_for(lambda: [r["status"] for r in fake.records()] == ["running"], "the generation to start")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        kill_group(proc)
    assert_golden("create-sync-terminated", subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    assert [r["status"] for r in fake.records()] == ["running"]  # as the real tool leaves it


def test_list_golden(fake: Fake) -> None:
    fake.create(CREATE_1, **INSTANT)
    cancelled = fake.create(CREATE_2, **SLOW)
    assert fake.run("cancel", "--task-id", cancelled).returncode == 0
    fake.create(CREATE_3, FAKE_CREATOR_FAIL_TOPIC="会失败", **INSTANT)

    listing = fake.run("list", "--json")
    assert_golden("list-json", listing)
    assert_golden("list-completed-json", fake.run("list", "--json", "--status", "completed", "--limit", "10"))

    def structure(data: bytes) -> list[tuple[list[str], str]]:
        return [(list(r), r["status"]) for r in parse_list(data)]

    assert structure(listing.stdout) == structure((FIXTURES / "list-json.stdout").read_bytes())
    records = fake.records("--limit", "2")
    assert [r["status"] for r in records] == ["failed", "cancelled"]
    assert records[0]["errorMessage"].startswith("模拟失败: 会失败的任务")
    assert fake.records("--status", "running") == []


@pytest.mark.parametrize("case, command", [
    ("status-unknown", "status"), ("result-unknown", "result"), ("cancel-unknown", "cancel"),
])
def test_unknown_golden(fake: Fake, case: str, command: str) -> None:
    assert_golden(case, fake.run(command, "--task-id", UNKNOWN_ID))


def test_status_missing_arg_golden(fake: Fake) -> None:
    assert_golden("status-missing-arg", fake.run("status"))


# ----------------------------------------------------------------------------- behaviour and knobs


@pytest.mark.slow  # waits out the fake creator's latency
def test_progress_by_elapsed_time(fake: Fake) -> None:
    before = time.monotonic()
    task_id = fake.create(CREATE_2, FAKE_CREATOR_PENDING_SECONDS="1", FAKE_CREATOR_LATENCY="2")
    after = time.monotonic()
    assert fake.status_of(task_id) == "pending"
    time.sleep(max(0.0, after + 1.05 - time.monotonic()))
    assert fake.status_of(task_id) == "running"
    assert time.monotonic() < before + 2  # still inside the running window
    time.sleep(max(0.0, after + 2.05 - time.monotonic()))
    [rec] = fake.records()
    assert rec["status"] == "completed" and rec["version"] == 3
    assert rec["startedAt"] < rec["completedAt"]


def test_fail_all(fake: Fake) -> None:
    task_id = fake.create(CREATE_1, FAKE_CREATOR_FAIL="all", **INSTANT)
    status = fake.run("status", "--task-id", task_id).stdout.decode()
    assert "状态: ❌ 失败" in status and "错误信息:\n模拟失败: 异步任务编排的最佳实践" in status
    [rec] = fake.records()
    assert rec["status"] == "failed" and rec["errorMessage"].startswith("模拟失败")


def test_fail_topic(fake: Fake) -> None:
    bad = fake.create(CREATE_3, FAKE_CREATOR_FAIL_TOPIC="失败", **INSTANT)
    good = fake.create(CREATE_2, FAKE_CREATOR_FAIL_TOPIC="失败", **INSTANT)
    assert fake.status_of(bad) == "failed"
    assert fake.status_of(good) == "completed"


def test_fail_first_two_then_succeed(fake: Fake) -> None:
    ids = [fake.create(CREATE_2, FAKE_CREATOR_FAIL_FIRST="2", **INSTANT) for _ in range(3)]
    other = fake.create(CREATE_1, FAKE_CREATOR_FAIL_FIRST="2", **INSTANT)
    assert [fake.status_of(i) for i in ids] == ["failed", "failed", "completed"]
    assert fake.status_of(other) == "failed"  # counted per topic: first attempt of its topic


def test_fail_rate_with_seed_is_reproducible(tmp_path: Path) -> None:
    def outcomes(name: str, seed: str) -> list[str]:
        fake = Fake(tmp_path / name)
        knobs = {"FAKE_CREATOR_FAIL_RATE": "0.5", "FAKE_CREATOR_SEED": seed, **INSTANT}
        for n in range(10):
            fake.create(["create", "--mode=async", f"--topic=主题{n % 5}", "--requirements=r"], **knobs)
        return [r["status"] for r in reversed(fake.records())]

    first = outcomes("a", "42")
    assert first == outcomes("b", "42")
    assert set(first) == {"failed", "completed"}
    assert outcomes("c", "7") != first


def test_lose_topic(fake: Fake) -> None:
    lost = fake.create(CREATE_3, FAKE_CREATOR_LOSE_TOPIC="失败")
    kept = fake.create(CREATE_2, FAKE_CREATOR_LOSE_TOPIC="失败")
    assert UUID_RE.fullmatch(lost)
    for command in ("status", "result", "cancel"):
        proc = fake.run(command, "--task-id", lost)
        assert proc.returncode == 1
        assert f"未找到任务 {lost}" in proc.stderr.decode()
    assert [r["id"] for r in fake.records()] == [kept]


def test_sync_latency_is_the_generation_time(fake: Fake) -> None:
    started = time.monotonic()
    proc = fake.run(*CREATE_SYNC, FAKE_CREATOR_LATENCY="0.8")
    assert time.monotonic() - started >= 0.8
    assert proc.returncode == 0 and "状态: 已完成\n" in proc.stdout.decode()
    [rec] = fake.records()
    assert rec["status"] == "completed"
    took = datetime.fromisoformat(rec["completedAt"]) - datetime.fromisoformat(rec["startedAt"])
    assert took.total_seconds() >= 0.8


def test_sync_stays_running_and_prints_only_the_banner_until_the_end(fake: Fake) -> None:
    proc = fake.popen(*CREATE_SYNC, FAKE_CREATOR_LATENCY="600")
    try:
        wait_for(lambda: [r["status"] for r in fake.records()] == ["running"], "the generation to start")
        assert fake.records("--status", "running")[0]["mode"] == "sync"
        time.sleep(0.5)
        assert [r["status"] for r in fake.records()] == ["running"]  # never moves by itself
        assert proc.poll() is None
        os.set_blocking(proc.stdout.fileno(), False)
        assert proc.stdout.read() == BANNER
    finally:
        kill_group(proc)
        proc.communicate(timeout=30)


def test_sync_fail_first_then_succeed(fake: Fake) -> None:
    runs = [fake.run(*CREATE_SYNC, FAKE_CREATOR_FAIL_FIRST="1", FAKE_CREATOR_LATENCY="0") for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0]
    assert ["状态: 失败\n" in r.stdout.decode() for r in runs] == [True, False]
    assert "(FAKE_CREATOR_FAIL_FIRST, 第 1/1 次)" in runs[0].stdout.decode()
    assert [r["status"] for r in fake.records()] == ["completed", "failed"]


def test_sync_hang(fake: Fake) -> None:
    proc = fake.popen(*CREATE_SYNC, FAKE_CREATOR_HANG="create", FAKE_CREATOR_LATENCY="0")
    try:
        wait_for(lambda: (fake.state_dir / "invocations.log").exists(), "the invocation")
        time.sleep(1.0)
        assert proc.poll() is None
    finally:
        kill_group(proc)
    stdout, _ = proc.communicate(timeout=30)
    assert stdout == BANNER
    assert fake.records() == []  # hung before the generation started


def test_hang(fake: Fake) -> None:
    proc = fake.popen(*CREATE_1, FAKE_CREATOR_HANG="list,create")
    try:
        time.sleep(1.0)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
    assert out.decode().startswith("====")
    assert fake.run("status", "-t", UNKNOWN_ID, FAKE_CREATOR_HANG="list,create").returncode == 1


@pytest.mark.parametrize("command", ["create", "create-sync", "list", "status", "result"])
def test_garbage(fake: Fake, command: str) -> None:
    args = {
        "create": CREATE_1, "create-sync": CREATE_SYNC, "list": ["list", "--json"],
        "status": ["status", "-t", UNKNOWN_ID], "result": ["result", "-t", UNKNOWN_ID],
    }[command]
    first = fake.run(*args, FAKE_CREATOR_GARBAGE="create,list,status,result")
    second = fake.run(*args, FAKE_CREATOR_GARBAGE="all")
    assert first.returncode == 0 and first.stdout == second.stdout
    text = first.stdout.decode("utf-8", "replace")
    assert len(text.splitlines()) > 5
    assert not UUID_RE.search(text) and "任务ID:" not in text and "状态:" not in text
    lines = text.splitlines()
    if "[" in lines:
        with pytest.raises(ValueError):
            json.loads("\n".join(lines[lines.index("["):]))
    assert fake.records() == []


def test_startup_delay_and_slow_create(fake: Fake) -> None:
    started = time.monotonic()
    assert fake.run("--version", FAKE_CREATOR_STARTUP_DELAY="0.6").returncode == 0
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    fake.create(CREATE_1, FAKE_CREATOR_SLOW_CREATE="0.4")
    assert time.monotonic() - started >= 0.4


def test_invocations_log(fake: Fake) -> None:
    task_id = fake.create(CREATE_1)
    fake.create(CREATE_SYNC, FAKE_CREATOR_LATENCY="0")
    fake.run("status", "--task-id", task_id)
    fake.run("status", "--task-id", task_id)
    fake.run("list", "--json")
    fake.run("--version")
    lines = (fake.state_dir / "invocations.log").read_text().splitlines()
    assert Counter(line.split()[2] for line in lines) == {"create": 2, "status": 2, "list": 1, "version": 1}
    for line in lines:
        stamp, pid, _command = line.split()
        assert abs(float(stamp) - time.time()) < 60 and int(pid) > 0


def test_concurrent_creates(fake: Fake) -> None:
    procs = [
        fake.popen("create", "--mode=async", "--type=content-creator", f"--topic=并发{n}", "--requirements=r")
        for n in range(30)
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        ids += re.findall(r"^任务ID: (\S+)$", out.decode(), re.M)
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r["id"] for r in fake.records("--limit", "100")} == set(ids)
    assert len(fake.records()) == 20  # the real tool's default --limit


def test_topic_starting_with_dash(fake: Fake) -> None:
    proc = fake.run("create", "--mode=async", "--type=content-creator",
                    "--topic=-starts-with-dash", "--requirements=--also-a-value")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "文章主题: -starts-with-dash\n创作要求: --also-a-value\n" in proc.stdout.decode()
    proc = fake.run("create", "--mode", "async", "--topic", "-single-dash", "--requirements", "r")
    assert "文章主题: -single-dash\n" in proc.stdout.decode()
    assert [r["topic"] for r in fake.records()] == ["-single-dash", "-starts-with-dash"]


def test_create_echoes_optional_parameters(fake: Fake) -> None:
    proc = fake.run("create", "--mode=async", "--topic=T", "--requirements=R", "--keywords=a, b,c",
                    "--tone=轻松", "--target-audience=开发者", "--priority=urgent", "--image-size=800x600")
    out = proc.stdout.decode()
    assert "优先级: urgent\n" in out and "目标受众: 开发者\n" in out and "语气风格: 轻松\n" in out
    assert "关键词列表（逗号分隔）: a, b, c\n" in out and "图片尺寸（格式如 1920x1080）: 800x600\n" in out
    [rec] = fake.records()
    assert rec["priority"] == 2 and rec["targetAudience"] == "general"  # quirks of the real tool
