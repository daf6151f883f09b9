"""The content-creator parsers against the raw captures of the real tool, and the argv builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from contenthub_async.creator import CreatorError, CreatorResult, CreatorStatus, parsing
from contenthub_async.domain.creator_args import (
    CreatorMode,
    build_create_argv,
    creator_priority,
    derive_requirements,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "content-creator"

ID_COMPLETED = "f2ace74f-d6e8-4e65-ab46-1d26133e0e9f"
ID_LONG = "014f2e87-3a86-4a22-bf2b-64ee4042f787"  # running, then cancelled
ID_FAILED = "09ea6fd1-a7a3-4945-a1cd-869e47822612"
ID_UNKNOWN = "00000000-0000-4000-8000-000000000000"
FAILED_MESSAGE = f"Failed to claim task {ID_FAILED} (version mismatch or already claimed)"
ID_SYNC = "task-1796247238202"
RULE = "─" * 40


def out(name: str) -> str:
    return (FIXTURES / f"{name}.stdout").read_text(encoding="utf-8")


def err(name: str) -> str:
    return (FIXTURES / f"{name}.stderr").read_text(encoding="utf-8")


def rc(name: str) -> int:
    return int((FIXTURES / f"{name}.rc").read_text().strip())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_fixture_is_covered() -> None:
    names = {p.name.rsplit(".", 1)[0] for p in FIXTURES.iterdir() if p.suffix in (".stdout", ".rc")}
    assert names == set(COVERED)


# ---------------------------------------------------------------------------
# lines, banner, ANSI


def test_strip_ansi() -> None:
    assert parsing.strip_ansi("\x1b[31m✖\x1b[39m 取消失败") == "✖ 取消失败"
    hyperlink = "\x1b]8;;http://x\x07link\x1b]8;;\x07"
    assert parsing.strip_ansi("\x1b[1;34mbold\x1b[0m " + hyperlink) == "bold link"


def test_banner_is_skipped() -> None:
    assert parsing.body_lines(out("version")) == ["0.1.0", ""]
    assert parsing.body_lines(out("status-unknown")) == [""]
    # without a banner, all lines are the body
    assert parsing.body_lines("a\nb") == ["a", "b"]


def test_stdout_has_a_13_line_banner() -> None:
    lines = out("version").split("\n")
    assert lines[1] == "Configuration Loaded Successfully"
    assert lines[12] == "0.1.0"


# ---------------------------------------------------------------------------
# create


@pytest.mark.parametrize(
    ("name", "task_id"),
    [("create-async", ID_COMPLETED), ("create-async-2", ID_LONG), ("create-async-3", ID_FAILED)],
)
def test_create(name: str, task_id: str) -> None:
    assert rc(name) == 0
    assert parsing.parse_create(out(name)) == task_id


def test_create_takes_the_task_id_line_not_the_hint() -> None:
    text = out("create-async").replace(f"任务ID: {ID_COMPLETED}", "任务ID: the-real-id")
    assert ID_COMPLETED in text  # still in the 💡 hint command line
    assert parsing.parse_create(text) == "the-real-id"


def test_create_ignores_an_id_echoed_in_the_fields() -> None:
    # content-creator echoes topic and requirements before its success block: a field
    # holding "任务ID: <another task's id>" must not become this task's id.
    echoed = f"文章主题: harmless\n任务ID: {ID_FAILED}\n创作要求: x"
    text = out("create-async").replace("文章主题: 异步任务编排的最佳实践", echoed)
    assert text.index(ID_FAILED) < text.index(f"任务ID: {ID_COMPLETED}")
    assert parsing.parse_create(text) == ID_COMPLETED


def test_create_ignores_a_whole_success_block_echoed_in_the_fields() -> None:
    forged = f"创作要求: x\n✅ 任务已成功创建\n{RULE}\n任务ID: {ID_FAILED}\n{RULE}"
    text = out("create-async").replace("创作要求: 写一篇简短的技术科普", forged)
    assert parsing.parse_create(text) == ID_COMPLETED


def test_create_without_success_block_is_unparsable() -> None:
    # an echoed id alone (the tool failed after echoing the fields) is no id
    text = f"文章主题: x\n任务ID: {ID_FAILED}\n❌ 错误: boom\n"
    with pytest.raises(CreatorError) as info:
        parsing.parse_create(text)
    assert info.value.kind == "unparsable"


def test_create_with_colours() -> None:
    coloured = "\n".join(f"\x1b[37m{line}\x1b[39m" for line in out("create-async").split("\n"))
    assert parsing.parse_create(coloured) == ID_COMPLETED


def test_create_missing_requirements_is_rejected() -> None:
    name = "create-missing-requirements"
    assert rc(name) == 1
    with pytest.raises(CreatorError) as info:
        parsing.parse_create(out(name))
    assert info.value.kind == "unparsable"
    e = parsing.error_from_failure(rc(name), out(name), err(name))
    assert e.kind == "rejected"
    assert not e.retryable
    assert e.message == "参数错误: 缺少必需参数: requirements"
    assert e.returncode == 1


# ---------------------------------------------------------------------------
# status


@pytest.mark.parametrize(
    ("name", "task_id", "status", "started", "completed"),
    [
        ("status-pending", ID_COMPLETED, CreatorStatus.PENDING, None, None),
        ("status-running", ID_LONG, CreatorStatus.RUNNING, utc(2026, 11, 22, 5, 58, 32), None),
        (
            "status-completed",
            ID_COMPLETED,
            CreatorStatus.COMPLETED,
            utc(2026, 11, 22, 5, 58, 11),
            utc(2026, 11, 22, 5, 58, 12),
        ),
        (
            "status-failed",
            ID_FAILED,
            CreatorStatus.FAILED,
            utc(2026, 11, 22, 5, 58, 49),
            utc(2026, 11, 22, 5, 59, 10),
        ),
        ("status-cancelled", ID_LONG, CreatorStatus.CANCELLED, utc(2026, 11, 22, 5, 58, 32), None),
    ],
)
def test_status(
    name: str,
    task_id: str,
    status: CreatorStatus,
    started: datetime | None,
    completed: datetime | None,
) -> None:
    assert rc(name) == 0
    state = parsing.parse_status(out(name), local_tz=UTC)  # captured on a UTC machine
    assert state.creator_task_id == task_id
    assert state.status is status
    assert state.status == status.value
    assert state.current_step is None  # "当前步骤: 无"
    assert state.started_at == started
    assert state.completed_at == completed
    assert state.error_message == (FAILED_MESSAGE if status is CreatorStatus.FAILED else None)


def test_status_times_are_converted_from_local_time_to_utc() -> None:
    state = parsing.parse_status(out("status-completed"), local_tz=timezone(timedelta(hours=8)))
    assert state.completed_at == utc(2026, 11, 21, 21, 58, 12)
    assert state.completed_at.tzinfo is UTC
    default = parsing.parse_status(out("status-completed"))  # this machine's zone
    assert default.completed_at is not None and default.completed_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("shown", "status"),
    [
        ("⏳ 待处理", "pending"),
        ("🔄 运行中", "running"),
        ("⏸️ 等待中", "waiting"),
        ("✅ 已完成", "completed"),
        ("❌ 失败", "failed"),
        ("⏹️ 已取消", "cancelled"),
        ("running", "running"),
    ],
)
def test_status_words(shown: str, status: str) -> None:
    assert parsing.status_from_text(shown) == status
    text = out("status-pending").replace("状态: ⏳ 待处理", f"状态: {shown}")
    assert parsing.parse_status(text).status == status


def test_status_with_unknown_word_is_unparsable() -> None:
    text = out("status-pending").replace("状态: ⏳ 待处理", "状态: 🤔 思考中")
    with pytest.raises(CreatorError) as info:
        parsing.parse_status(text)
    assert info.value.kind == "unparsable" and info.value.retryable


def test_status_current_step_and_multiline_error() -> None:
    text = (
        out("status-failed")
        .replace("当前步骤: 无", "当前步骤: ✍️ 撰写内容")
        .replace(FAILED_MESSAGE, "line one\nline two")
    )
    state = parsing.parse_status(text)
    assert state.current_step == "✍️ 撰写内容"
    assert state.error_message == "line one\nline two"


@pytest.mark.parametrize("name", ["status-unknown", "result-unknown", "cancel-unknown"])
def test_unknown_id(name: str) -> None:
    assert rc(name) == 1
    e = parsing.error_from_failure(rc(name), out(name), err(name))
    assert e.kind == "unknown_task"
    assert e.retryable
    assert e.message == f"未找到任务 {ID_UNKNOWN}"
    assert parsing.parse_error_message(err(name)) == f"未找到任务 {ID_UNKNOWN}"


def test_status_without_id_is_rejected() -> None:
    name = "status-missing-arg"
    assert rc(name) == 1
    with pytest.raises(CreatorError) as info:
        parsing.parse_status(out(name))
    assert info.value.kind == "unparsable"
    e = parsing.error_from_failure(rc(name), out(name), err(name))
    assert e.kind == "rejected" and not e.retryable
    assert e.message == "error: required option '-t, --task-id <taskId>' not specified"


def test_other_failures_are_exit_status() -> None:
    refused = "connect ECONNREFUSED 127.0.0.1:16379"
    e = parsing.error_from_failure(1, out("version"), f"❌ 错误: {refused}\n")
    assert (e.kind, e.message, e.retryable) == ("exit_status", refused, True)
    e = parsing.error_from_failure(137, "", "Killed\n[winston] Attempt to write logs\n")
    assert (e.kind, e.message) == ("exit_status", "Killed")
    e = parsing.error_from_failure(2, "", "")
    assert (e.kind, e.message) == ("exit_status", "content-creator exited with status 2")


# ---------------------------------------------------------------------------
# result


def test_result_text() -> None:
    name = "result-completed-text"
    assert rc(name) == 0
    result = parsing.parse_result(out(name))
    assert isinstance(result, CreatorResult)
    assert result.creator_task_id == ID_COMPLETED
    lines = result.markdown.split("\n")
    assert lines[0] == "# 本地测试主题：异步任务编排"
    assert lines[-1] == "总结：良好的异步编排能让内容生产既高效又可控。"
    assert "## 实践要点" in lines
    assert "![示意图](image-placeholder-1)" in lines
    assert "字数" not in result.markdown and "────" not in result.markdown
    assert result.word_count == 263
    assert result.image_urls == ("http://127.0.0.1:18999/img.png",)


def test_result_without_word_count_ends_at_separator() -> None:
    text = out("result-completed-text").replace("字数: 263\n", "")
    result = parsing.parse_result(text)
    assert result.word_count is None
    assert result.markdown.split("\n")[-1] == "总结：良好的异步编排能让内容生产既高效又可控。"


def test_result_keeps_markdown_rules_and_dashes() -> None:
    text = out("result-completed-text").replace("## 结语", "---\n\n- 列表项\n\n## 结语")
    result = parsing.parse_result(text)
    assert "---" in result.markdown.split("\n") and "- 列表项" in result.markdown
    assert result.word_count == 263


def test_result_json_has_no_article() -> None:
    name = "result-completed-json"
    state = parsing.parse_task_json(out(name))
    assert state.creator_task_id == ID_COMPLETED
    assert state.status is CreatorStatus.COMPLETED
    assert state.completed_at == datetime(2026, 11, 22, 5, 58, 12, 12000, tzinfo=UTC)
    with pytest.raises(CreatorError) as info:
        parsing.parse_result(out(name))
    assert info.value.kind == "unparsable"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("result-pending-json", CreatorStatus.PENDING),
        ("result-failed-json", CreatorStatus.FAILED),
        ("result-failed-text", CreatorStatus.FAILED),
    ],
)
def test_result_of_unfinished_task(name: str, status: CreatorStatus) -> None:
    assert rc(name) == 0
    for parse in (parsing.parse_result, parsing.parse_task_json):
        with pytest.raises(CreatorError) as info:
            parse(out(name))
        e = info.value
        assert e.kind == "not_finished"
        assert e.retryable
        assert e.status is status
        assert e.message.startswith("任务尚未完成，当前状态: ")


# ---------------------------------------------------------------------------
# sync mode: create --mode sync


def test_generate_success() -> None:
    name = "create-sync-success"
    assert rc(name) == 0
    result = parsing.parse_generate(out(name))
    assert result.creator_task_id == ID_SYNC
    lines = result.markdown.split("\n")
    assert lines[0] == "# 本地测试主题：异步任务编排"
    assert lines[-1] == "总结：良好的异步编排能让内容生产既高效又可控。"
    assert "![示意图](data/images/task-1796247238202_0_1796247238534.png)" in lines
    assert "────" not in result.markdown and "生成的配图" not in result.markdown
    # no 字数 line in this output: counted as content-creator counts (the same article
    # as result-completed-text, whose 字数 is 263, with a 50-character image path for
    # the 19-character placeholder)
    assert result.word_count == 263 - len("image-placeholder-1") + 50 == len(result.markdown)
    assert result.image_urls == ("data/images/task-1796247238202_0_1796247238534.png",)
    assert result.quality_score == 8.65  # "状态: 通过" of the text check is not the task status


def test_generate_counts_like_javascript() -> None:
    text = out("create-sync-success").replace("# 本地测试主题", "# 𝄞 本地测试主题")
    assert parsing.parse_generate(text).word_count == 294 + 3  # 𝄞 is two UTF-16 code units


def test_generate_failed_says_success_but_the_status_line_decides() -> None:
    name = "create-sync-failed"
    assert rc(name) == 0 and "✅ 执行成功" in out(name)
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(out(name))
    e = info.value
    assert e.kind == "generation_failed" and e.retryable
    # the cause is only in the log lines: the last error, where it first appeared
    assert e.message == "[LLM:Enhanced] LLM API request failed after retries: Request failed with status code 500"


def test_generate_status_line_decides() -> None:
    failed = out("create-sync-success").replace("状态: 已完成", "状态: 失败")
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(failed)
    assert info.value.kind == "generation_failed"
    assert info.value.message == "[SearchNode] Search failed: Search API error: undefined - undefined"
    running = out("create-sync-success").replace("状态: 已完成", "状态: 运行中")
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(running)
    assert info.value.kind == "unparsable"


def test_generate_failed_without_logged_cause() -> None:
    text = "\n".join(line for line in out("create-sync-failed").split("\n") if "[error]" not in parsing.strip_ansi(line))
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(text)
    assert info.value.kind == "generation_failed"
    assert info.value.message == "content-creator reported the generation failed without logging a cause"


def test_generate_article_may_contain_a_rule_line() -> None:
    text = out("create-sync-success").replace("## 结语", f"{RULE}\n\n## 结语")
    result = parsing.parse_generate(text)
    assert f"{RULE}\n\n## 结语" in result.markdown
    assert result.markdown.split("\n")[-1] == "总结：良好的异步编排能让内容生产既高效又可控。"
    assert result.image_urls == ("data/images/task-1796247238202_0_1796247238534.png",)


def test_generate_without_images_or_check() -> None:
    text = out("create-sync-success")
    text = text[: text.index("\n🖼️")] + "\n"
    result = parsing.parse_generate(text)
    assert result.image_urls == () and result.quality_score is None
    assert result.markdown.split("\n")[-1] == "总结：良好的异步编排能让内容生产既高效又可控。"


@pytest.mark.parametrize(
    "broken",
    [
        lambda t: t.replace("📝 生成的内容:", "📝 内容:"),  # no article section
        lambda t: t[: t.index("\n📝")] + "\n",  # completed but nothing after the summary
        lambda t: t.replace(t[t.index("# 本地") : t.index("\n" + RULE + "\n\n🖼️")], "\n"),  # empty article
        lambda t: t.replace("任务ID: task-1796247238202\n", ""),
    ],
)
def test_generate_incomplete_output_is_unparsable(broken) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(broken(out("create-sync-success")))
    assert info.value.kind == "unparsable"


def test_generate_terminated_is_unparsable() -> None:
    name = "create-sync-terminated"
    assert rc(name) == 143 and err(name) == ""
    with pytest.raises(CreatorError) as info:
        parsing.parse_generate(out(name))
    assert info.value.kind == "unparsable"
    e = parsing.error_from_failure(rc(name), out(name), err(name))
    assert (e.kind, e.message) == ("exit_status", "content-creator exited with status 143")


# ---------------------------------------------------------------------------
# list


def test_list_json() -> None:
    assert rc("list-json") == 0
    states = parsing.parse_list_json(out("list-json"))
    assert [(s.creator_task_id, s.status) for s in states] == [
        (ID_FAILED, CreatorStatus.FAILED),
        (ID_LONG, CreatorStatus.CANCELLED),
        (ID_COMPLETED, CreatorStatus.COMPLETED),
    ]
    failed, cancelled, completed = states
    assert failed.error_message == FAILED_MESSAGE
    assert failed.started_at == datetime(2026, 11, 22, 5, 58, 49, 860000, tzinfo=UTC)
    assert failed.completed_at == datetime(2026, 11, 22, 5, 59, 10, 68000, tzinfo=UTC)
    assert cancelled.completed_at is None  # key absent
    assert cancelled.error_message is None and cancelled.current_step is None
    assert completed.started_at == datetime(2026, 11, 22, 5, 58, 11, 868000, tzinfo=UTC)


def test_list_completed_json() -> None:
    states = parsing.parse_list_json(out("list-completed-json"))
    assert [(s.creator_task_id, s.status) for s in states] == [(ID_COMPLETED, "completed")]


def test_list_json_edge_cases() -> None:
    banner = out("version").replace("0.1.0\n", "")
    assert parsing.parse_list_json(banner + "[]\n") == []
    record = '{"id": "x", "status": "waiting", "currentStep": "write"}'
    # log lines before and after the array are ignored
    states = parsing.parse_list_json(banner + "some log line\n[\n" + record + "\n]\ntrailing log\n")
    assert states[0].creator_task_id == "x"
    assert states[0].status is CreatorStatus.WAITING
    assert states[0].current_step == "write"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no json here\n",
        '[\n  {"id": "x", "status": "pending"\n',  # truncated
        '[\n  {"status": "pending"}\n]\n',  # no id
        '[\n  {"id": "x", "status": "exploded"}\n]\n',  # unknown status
        '[\n  {"id": "x", "status": "failed", "startedAt": "yesterday"}\n]\n',
        "[\n  1\n]\n",
    ],
)
def test_list_json_junk_is_unparsable(text: str) -> None:
    with pytest.raises(CreatorError) as info:
        parsing.parse_list_json(text)
    assert info.value.kind == "unparsable" and info.value.retryable


# ---------------------------------------------------------------------------
# cancel, version


@pytest.mark.parametrize(
    ("name", "cancelled"),
    [("cancel-running", True), ("cancel-pending", False), ("cancel-completed", False)],
)
def test_cancel(name: str, cancelled: bool) -> None:
    assert rc(name) == 0
    assert parsing.parse_cancel(out(name)) is cancelled


def test_version() -> None:
    assert rc("version") == 0
    assert parsing.parse_version(out("version")) == "0.1.0"
    assert parsing.parse_version("v1.2.3-beta.1\n") == "v1.2.3-beta.1"


# ---------------------------------------------------------------------------
# junk


JUNK = [
    "",
    "\n\n",
    "Segmentation fault\n",
    out("version"),  # banner only: the output of another command
    "\x00\x01\x02garbage\ufffd\ufffd\n{not json\n",
]


@pytest.mark.parametrize("text", JUNK)
@pytest.mark.parametrize(
    "parse",
    [
        parsing.parse_create,
        parsing.parse_status,
        parsing.parse_result,
        parsing.parse_task_json,
        parsing.parse_list_json,
        parsing.parse_cancel,
        parsing.parse_generate,
    ],
)
def test_junk_is_unparsable(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CreatorError) as info:
        parse(text)
    assert info.value.kind == "unparsable"
    assert info.value.retryable


@pytest.mark.parametrize("text", ["", "hello world\n", "0.1.0 is not\n", out("status-pending")])
def test_version_junk_is_unparsable(text: str) -> None:
    with pytest.raises(CreatorError) as info:
        parsing.parse_version(text)
    assert info.value.kind == "unparsable"


def test_errors_are_creator_errors() -> None:
    e = CreatorError("timeout", "slow", command="content-creator list", returncode=None)
    assert isinstance(e, Exception) and e.retryable and e.kind == "timeout"
    assert "slow" in str(e) and "content-creator list" in str(e)
    assert CreatorError("not_found", "x").retryable and not CreatorError("rejected", "x").retryable
    with pytest.raises(ValueError):
        CreatorError("mystery", "x")


# every fixture name must be used by at least one test above
COVERED = [
    "version",
    "create-async",
    "create-async-2",
    "create-async-3",
    "create-missing-requirements",
    "status-pending",
    "status-running",
    "status-completed",
    "status-failed",
    "status-cancelled",
    "status-unknown",
    "status-missing-arg",
    "result-unknown",
    "result-completed-text",
    "result-completed-json",
    "result-pending-json",
    "result-failed-json",
    "result-failed-text",
    "cancel-running",
    "cancel-pending",
    "cancel-completed",
    "cancel-unknown",
    "list-json",
    "list-completed-json",
    "create-sync-success",
    "create-sync-failed",
    "create-sync-terminated",
]


# ---------------------------------------------------------------------------
# argv builders


@pytest.mark.parametrize(
    ("priority", "level"),
    [
        (0, "low"),
        (3, "low"),
        (4, "normal"),
        (5, "normal"),
        (6, "normal"),
        (7, "high"),
        (8, "high"),
        (9, "urgent"),
        (10, "urgent"),
    ],
)
def test_creator_priority(priority: int, level: str) -> None:
    assert creator_priority(priority) == level


@pytest.mark.parametrize("priority", [-1, 11, 100, True])
def test_creator_priority_out_of_range(priority: int) -> None:
    with pytest.raises(ValueError):
        creator_priority(priority)


def test_derive_requirements() -> None:
    assert (
        derive_requirements("AI 写作", "效率, 工具，,  ", "科技", "轻松幽默")
        == "围绕「AI 写作」撰写一篇科技类文章，关键词：效率、工具，语气：轻松幽默。"
    )
    assert derive_requirements("T", None, None, None) == "围绕「T」撰写一篇文章。"
    assert derive_requirements("T", "", "  ", "") == "围绕「T」撰写一篇文章。"
    assert derive_requirements("T", "a", None, None) == "围绕「T」撰写一篇文章，关键词：a。"
    assert derive_requirements("T", None, None, "专业") == "围绕「T」撰写一篇文章，语气：专业。"
    twice = {derive_requirements("T", "a,b", "美食", None) for _ in range(2)}
    assert twice == {"围绕「T」撰写一篇美食类文章，关键词：a、b。"}
    with pytest.raises(ValueError):
        derive_requirements("  ", None, None, None)


@dataclass(frozen=True)
class Req:
    topic: str
    requirements: str | None = None
    keywords: str | None = None
    category: str | None = None
    tone: str | None = None
    target_audience: str | None = None
    priority: int = 5


def test_build_create_argv_full() -> None:
    request = Req(
        topic="异步任务编排的最佳实践",
        requirements="写一篇简短的技术科普",
        keywords=" 异步 ，队列,, ",
        category="技术",
        tone="专业",
        target_audience="普通读者",
        priority=8,
    )
    argv = build_create_argv(request, CreatorMode.ASYNC)
    assert argv == [
        "create",
        "--mode",
        "async",
        "--type",
        "content-creator",
        "--topic=异步任务编排的最佳实践",
        "--requirements=写一篇简短的技术科普",
        "--keywords=异步,队列",
        "--tone=专业",
        "--target-audience=普通读者",
        "--priority=high",
    ]


def test_build_create_argv_minimal_derives_requirements() -> None:
    argv = build_create_argv(Req("T", category="科技", keywords="a"), CreatorMode.ASYNC)
    assert argv == [
        "create",
        "--mode",
        "async",
        "--type",
        "content-creator",
        "--topic=T",
        "--requirements=围绕「T」撰写一篇科技类文章，关键词：a。",
        "--keywords=a",
        "--priority=normal",
    ]
    assert build_create_argv(Req("T", requirements="   "), "async") == build_create_argv(Req("T"), "async")


def test_build_create_argv_sync_differs_only_in_mode() -> None:
    request = Req("T", keywords="a,b", tone="轻松", target_audience="开发者", priority=9)
    sync = build_create_argv(request, CreatorMode.SYNC)
    assert sync[:3] == ["create", "--mode", "sync"]
    assert sync[3:] == build_create_argv(request, CreatorMode.ASYNC)[3:]
    with pytest.raises(ValueError):
        build_create_argv(request, "queue")  # type: ignore[arg-type]


def test_build_create_argv_topic_starting_with_dash_stays_a_value() -> None:
    argv = build_create_argv(Req("--help 不是选项", keywords="-x", tone="-v"), CreatorMode.SYNC)
    assert "--topic=--help 不是选项" in argv
    assert "--keywords=-x" in argv and "--tone=-v" in argv
    # every option carries its value after "=": nothing is a bare value argument
    assert all(a.startswith("--") for a in argv[5:])


def test_build_create_argv_uses_the_port_request() -> None:
    from contenthub_async.creator import CreateRequest

    argv = build_create_argv(CreateRequest(topic="T", priority=10), CreatorMode.ASYNC)
    assert argv[-1] == "--priority=urgent"


def test_build_create_argv_validates() -> None:
    with pytest.raises(ValueError):
        build_create_argv(Req(""), CreatorMode.ASYNC)
    with pytest.raises(ValueError):
        build_create_argv(Req("T", priority=11), CreatorMode.SYNC)
