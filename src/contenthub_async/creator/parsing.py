"""Parsers for content-creator output: text in, values out, no I/O.

content-creator prints a configuration banner on stdout before every command's
own output and mixes log lines with it, so everything here works line by line
on text with ANSI colour codes removed. Only the JSON printed by ``list --json``
(an array from the line ``[``), ``result --format json`` (an object from the
line ``{``) and the payload at the end of a log line is decoded as JSON. Parsers
raise ``CreatorError`` (usually of kind ``unparsable``) when the output does not
contain what they expect.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from contenthub_async.creator.port import (
    CreatorError,
    CreatorErrorKind,
    CreatorResult,
    CreatorStatus,
    CreatorTaskState,
)

__all__ = [
    "body_lines",
    "error_from_failure",
    "parse_cancel",
    "parse_create",
    "parse_error_message",
    "parse_generate",
    "parse_list_json",
    "parse_result",
    "parse_status",
    "parse_task_json",
    "parse_version",
    "status_from_text",
    "strip_ansi",
    "task_state_from_record",
]

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)
_SEPARATOR = re.compile(r"^─{10,}$")
_RULE = re.compile(r"^={10,}$")
_BANNER_TITLE = "Configuration Loaded Successfully"
_CREATED = "任务已成功创建"
_WORD_COUNT = re.compile(r"^字数[:：]\s*(\d+)$")
_NOT_FINISHED = re.compile(r"任务尚未完成[，,]\s*当前状态[:：]\s*(.*)$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.+-]+)?$")
_COMMANDER_USAGE_ERROR = re.compile(
    r"^error: (?:required option|unknown option|option .* argument missing|missing required"
    r" argument|too many arguments|unknown command)"
)
_TEXT_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S")
# "2026-12-02 21:34:25 [error]: [SyncExecutor] Task execution failed {...json...}"
_LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[\w+\]: \[([^\]]*)\] ([^{]*)(\{.*)$")
_SCORE = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*100$")
_LEADING_SYMBOLS = re.compile(r"^\W+")  # emoji and spaces before a section title

_ZH_STATUS = {
    "待处理": CreatorStatus.PENDING,
    "运行中": CreatorStatus.RUNNING,
    "等待中": CreatorStatus.WAITING,
    "已完成": CreatorStatus.COMPLETED,
    "失败": CreatorStatus.FAILED,
    "已取消": CreatorStatus.CANCELLED,
}
# English values as stored by content-creator; "processing" is an older synonym of running.
_EN_STATUS = {s.value: s for s in CreatorStatus} | {"processing": CreatorStatus.RUNNING}


def _unparsable(message: str) -> CreatorError:
    return CreatorError(CreatorErrorKind.UNPARSABLE, message)


# ---------------------------------------------------------------------------
# lines


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _lines(text: str) -> list[str]:
    # split on "\n" only: str.splitlines() would also split inside article text
    # on characters such as U+2028 or form feeds.
    return [line.rstrip("\r") for line in strip_ansi(text).split("\n")]


def body_lines(text: str) -> list[str]:
    """The lines of ``text`` (ANSI removed) after the configuration banner, if any.

    The banner is a ``====`` rule, ``Configuration Loaded Successfully``, a rule,
    ``key: value`` lines and a closing rule.
    """
    lines = _lines(text)
    for i, line in enumerate(lines):
        if line.strip() != _BANNER_TITLE:
            continue
        if i == 0 or not _RULE.match(lines[i - 1].strip()):
            continue
        if i + 1 >= len(lines) or not _RULE.match(lines[i + 1].strip()):
            continue
        for j in range(i + 2, len(lines)):
            if _RULE.match(lines[j].strip()):
                return lines[j + 1 :]
        return []
    return lines


def _field(lines: list[str], label: str) -> str | None:
    """The value of the first line ``label: value`` (label at line start)."""
    found = _field_at(lines, label)
    return found[1] if found else None


def _field_at(lines: list[str], label: str, start: int = 0) -> tuple[int, str] | None:
    """(index, value) of the first line ``label: value`` from ``start`` on."""
    for i in range(start, len(lines)):
        stripped = lines[i].strip()
        for colon in (":", "："):
            prefix = label + colon
            if stripped.startswith(prefix):
                return i, stripped[len(prefix) :].strip()
    return None


def _is_separator(line: str) -> bool:
    return bool(_SEPARATOR.match(line.strip()))


# ---------------------------------------------------------------------------
# statuses and times


def status_from_text(text: str) -> CreatorStatus:
    """``⏳ 待处理`` / ``⏹️ 已取消`` / ``running`` → a ``CreatorStatus``."""
    tokens = text.split()
    if tokens:
        word = tokens[-1]
        if word in _ZH_STATUS:
            return _ZH_STATUS[word]
        if word.lower() in _EN_STATUS:
            return _EN_STATUS[word.lower()]
    raise _unparsable(f"unknown content-creator status {text!r}")


def _text_time(value: str | None, local_tz: tzinfo | None) -> datetime | None:
    """A time shown as ``2026/11/22 05:58:32`` in the creator's local time → UTC."""
    if not value:
        return None
    for fmt in _TEXT_TIME_FORMATS:
        try:
            naive = datetime.strptime(value, fmt)
        except ValueError:
            continue
        aware = naive.replace(tzinfo=local_tz) if local_tz else naive.astimezone()
        return aware.astimezone(UTC)
    return None  # times are informative only; never fail a status on them


def _iso_time(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _unparsable(f"{field} is not a time string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _unparsable(f"{field} is not an ISO-8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _not_finished(lines: list[str]) -> CreatorError | None:
    for line in lines:
        match = _NOT_FINISHED.search(line)
        if match:
            shown = match.group(1).strip()
            try:
                status: CreatorStatus | None = status_from_text(shown)
            except CreatorError:
                status = None
            return CreatorError(
                CreatorErrorKind.NOT_FINISHED,
                line.strip().lstrip("⚠️").strip(),
                status=status,
            )
    return None


# ---------------------------------------------------------------------------
# commands


def parse_create(stdout: str) -> str:
    """The new task id: the line ``任务ID: <id>`` of the success block.

    content-creator echoes the submitted fields (topic, requirements, ...) before
    the block, and a field may contain a line that looks like ``任务ID: <id>``;
    so the id is taken only from the last ``✅ 任务已成功创建`` block, which comes
    after every echoed field (not from the ids in the 💡 hints after it either).
    """
    lines = body_lines(stdout)
    success = [i for i, line in enumerate(lines) if line.strip().endswith(_CREATED)]
    found = _field_at(lines, "任务ID", success[-1] + 1) if success else None
    if found is None or not _block_head(lines, success[-1], found[0]) or len(found[1].split()) != 1:
        raise _unparsable("create output has no success block with a '任务ID: <id>' line")
    return found[1]


def _block_head(lines: list[str], title: int, field: int) -> bool:
    """Whether ``field`` is the first line of the block under the title line ``title``
    (only a separator between them)."""
    between = [line for line in lines[title + 1 : field] if line.strip()]
    return all(_is_separator(line) for line in between) and len(between) <= 1


def parse_status(stdout: str, *, local_tz: tzinfo | None = None) -> CreatorTaskState:
    """Output of ``status --task-id ID``.

    Times are printed in the creator's local time zone; ``local_tz`` names it
    (default: this machine's local time zone, as the creator runs here).
    """
    lines = body_lines(stdout)
    task_id = _field(lines, "任务ID")
    shown_status = _field(lines, "状态")
    if not task_id or shown_status is None:
        raise _unparsable("status output has no '任务ID:' and '状态:' lines")
    step = _field(lines, "当前步骤")
    return CreatorTaskState(
        creator_task_id=task_id,
        status=status_from_text(shown_status),
        error_message=_error_block(lines),
        current_step=None if step in (None, "", "无") else step,
        started_at=_text_time(_field(lines, "开始时间"), local_tz),
        completed_at=_text_time(_field(lines, "完成时间"), local_tz),
    )


def _error_block(lines: list[str]) -> str | None:
    """The text after the line ``错误信息:`` up to the next separator."""
    for i, line in enumerate(lines):
        if line.strip() in ("错误信息:", "错误信息："):
            block = []
            for following in lines[i + 1 :]:
                if _is_separator(following):
                    break
                block.append(following)
            text = "\n".join(block).strip()
            return text or None
    return None


def parse_result(stdout: str) -> CreatorResult:
    """Output of ``result --task-id ID`` (text format).

    The article is between the line ``内容:`` and the line ``字数: N`` (or the
    next separator when no word count is printed); falls back to the
    ``最终文章（图片已嵌入）:`` block. Image URLs follow each ``图片 URL:`` line.
    An unfinished task raises ``CreatorError(kind='not_finished', status=...)``.
    """
    lines = body_lines(stdout)
    unfinished = _not_finished(lines)
    if unfinished is not None:
        raise unfinished
    task_id = _field(lines, "任务ID")
    if not task_id:
        raise _unparsable("result output has no '任务ID:' line")

    start = _find_line(lines, lambda s: s in ("内容:", "内容："))
    if start is None:
        start = _find_line(lines, lambda s: s.startswith("最终文章") and s.endswith((":", "：")))
    if start is None:
        raise _unparsable("result output has no article ('内容:' line)")
    end, word_count = len(lines), None
    for j in range(start + 1, len(lines)):
        match = _WORD_COUNT.match(lines[j].strip())
        if match or _is_separator(lines[j]):
            end, word_count = j, int(match.group(1)) if match else None
            break
    body = lines[start + 1 : end]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    markdown = "\n".join(body)
    if not markdown.strip() or markdown.strip() == "(无内容)":
        raise _unparsable("result output has an empty article")

    images = []
    for i, line in enumerate(lines):
        if line.strip() in ("图片 URL:", "图片 URL："):
            for following in lines[i + 1 :]:
                url = following.strip()
                if not url or _is_separator(following):
                    break
                if url != "(无 URL)":
                    images.append(url)
    return CreatorResult(task_id, markdown, word_count, tuple(images))


def _find_line(lines: list[str], predicate: Any, start: int = 0) -> int | None:
    for i in range(start, len(lines)):
        if predicate(lines[i].strip()):
            return i
    return None


def _js_length(text: str) -> int:
    """``String.prototype.length`` (UTF-16 code units), content-creator's word count."""
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------
# sync mode


def parse_generate(stdout: str) -> CreatorResult:
    """Output of ``create --mode sync``: the outcome of the whole generation.

    The ``状态:`` line after ``任务ID: <id>`` decides, not the exit status nor the
    ``✅ 执行成功`` header (both say success for a failed generation too):

    - ``已完成``: the article is between the two ``─`` rules after ``📝 生成的内容:``,
      the image paths follow ``🖼️ 生成的配图:``, the score ``评分: N/100`` is in
      ``🔍 文本质检``; the word count is the article's length as content-creator
      counts it (UTF-16 code units; this output prints none);
    - ``失败``: ``CreatorError(kind='generation_failed')`` whose message is the cause
      content-creator logged (the last error of its log lines, with the log line
      where that error first appeared);
    - anything else: ``unparsable``.
    """
    lines = body_lines(stdout)
    found = _field_at(lines, "任务ID")
    shown = _field_at(lines, "状态", found[0] + 1) if found else None
    if found is None or shown is None or len(found[1].split()) != 1:
        raise _unparsable("sync create output has no '任务ID:' and '状态:' lines")
    task_id, (at, shown_status) = found[1], shown
    status = status_from_text(shown_status)
    if status is CreatorStatus.FAILED:
        raise CreatorError(
            CreatorErrorKind.GENERATION_FAILED,
            _logged_cause(lines) or "content-creator reported the generation failed without logging a cause",
        )
    if status is not CreatorStatus.COMPLETED:
        raise _unparsable(f"sync create output ended with status {shown_status!r}")

    article = _section(lines, "生成的内容", at)
    if article is None:
        raise _unparsable("sync create output has no article ('📝 生成的内容:' between two rules)")
    while article and not article[0].strip():
        article.pop(0)
    while article and not article[-1].strip():
        article.pop()
    markdown = "\n".join(article)
    if not markdown.strip():
        raise _unparsable("sync create output has an empty article")
    images = _section(lines, "生成的配图", at) or []
    check = _section(lines, "文本质检", at) or []
    score = _SCORE.match(_field(check, "评分") or "")
    return CreatorResult(
        task_id,
        markdown,
        _js_length(markdown),
        tuple(line.strip() for line in images if line.strip()),
        float(score.group(1)) if score else None,
    )


_SECTIONS = ("生成的内容", "生成的配图", "文本质检")


def _section_title(line: str) -> str | None:
    """``📝 生成的内容:`` → ``生成的内容`` (a known section title), else None."""
    text = _LEADING_SYMBOLS.sub("", line.strip())
    if text[-1:] in (":", "：") and text[:-1] in _SECTIONS:
        return text[:-1]
    return None


def _section(lines: list[str], title: str, start: int) -> list[str] | None:
    """The lines between the rule after the title line and the section's closing rule.

    The closing rule is the last rule before the next section title (or the end),
    so a line of ``─`` inside an article does not cut it short.
    """
    head = _find_line(lines, lambda s: _section_title(s) == title, start)
    if head is None or head + 1 >= len(lines) or not _is_separator(lines[head + 1]):
        return None
    following = _find_line(lines, lambda s: _section_title(s) is not None, head + 2)
    rules = [i for i in range(head + 2, following or len(lines)) if _is_separator(lines[i])]
    return lines[head + 2 : rules[-1]] if rules else None


def _logged_cause(lines: list[str]) -> str | None:
    """``[Context] message: error`` for the last error content-creator logged.

    Log lines end with a JSON payload whose ``error`` is a string or an object
    with a ``message``; the context and message are those of the first log line
    that carried that error (where it arose, e.g. the LLM call).
    """
    logged: list[tuple[str, str]] = []  # (error, "[context] message")
    for line in lines:
        match = _LOG_LINE.match(line.strip())
        if not match:
            continue
        try:
            payload, _ = json.JSONDecoder().raw_decode(match.group(3))
        except json.JSONDecodeError:
            continue
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            error = error.get("message")
        if isinstance(error, str) and error.strip():
            logged.append((error.strip(), f"[{match.group(1)}] {match.group(2).strip()}"))
    if not logged:
        return None
    cause = logged[-1][0]
    origin = next(where for error, where in logged if error == cause)
    return f"{origin}: {cause}"


def _json_after(lines: list[str], opener: str) -> Any:
    """Decode the JSON value starting at the first line that opens with ``opener``."""
    closer = "]" if opener == "[" else "}"
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == opener or stripped == opener + closer:
            text = "\n".join(lines[i:]).lstrip()
            try:
                value, _ = json.JSONDecoder().raw_decode(text)
            except json.JSONDecodeError as e:
                raise _unparsable(f"invalid JSON in output: {e}") from None
            return value
    raise _unparsable(f"output has no JSON (no line '{opener}')")


def task_state_from_record(record: Any) -> CreatorTaskState:
    """One task record of content-creator's JSON output."""
    if not isinstance(record, dict):
        raise _unparsable(f"task record is not an object: {record!r:.80}")
    task_id = record.get("taskId") or record.get("id")
    if not isinstance(task_id, str) or not task_id:
        raise _unparsable(f"task record without taskId/id: {record!r:.120}")
    status = record.get("status")
    if not isinstance(status, str) or status.lower() not in _EN_STATUS:
        raise _unparsable(f"task {task_id} has an unknown status {status!r}")
    error_message = record.get("errorMessage")
    step = record.get("currentStep")
    return CreatorTaskState(
        creator_task_id=task_id,
        status=_EN_STATUS[status.lower()],
        error_message=str(error_message) if error_message else None,
        current_step=str(step) if step else None,
        started_at=_iso_time(record.get("startedAt"), "startedAt"),
        completed_at=_iso_time(record.get("completedAt"), "completedAt"),
    )


def parse_list_json(stdout: str) -> list[CreatorTaskState]:
    """Output of ``list --json [--limit N]``: the array after the banner, newest first."""
    value = _json_after(body_lines(stdout), "[")
    if not isinstance(value, list):
        raise _unparsable("list output is not a JSON array")
    return [task_state_from_record(record) for record in value]


def parse_task_json(stdout: str) -> CreatorTaskState:
    """Output of ``result --task-id ID --format json``: the task record only (no article)."""
    lines = body_lines(stdout)
    unfinished = _not_finished(lines)
    if unfinished is not None:
        raise unfinished
    return task_state_from_record(_json_after(lines, "{"))


def parse_cancel(stdout: str) -> bool:
    """True only for ``✅ 任务已成功取消``; False for ``⚠️  无法取消任务``."""
    lines = body_lines(stdout)
    if any("任务已成功取消" in line for line in lines):
        return True
    if any("无法取消任务" in line for line in lines):
        return False
    raise _unparsable("cancel output says neither '任务已成功取消' nor '无法取消任务'")


def parse_version(stdout: str) -> str:
    """Output of ``--version``: the last non-empty line after the banner."""
    lines = [line.strip() for line in body_lines(stdout) if line.strip()]
    if not lines or not _VERSION.match(lines[-1]):
        raise _unparsable("version output does not end with a version number")
    return lines[-1]


# ---------------------------------------------------------------------------
# failures


def parse_error_message(stderr: str, stdout: str = "") -> str | None:
    """The creator's own error message, if it printed one.

    ``❌ 参数错误:`` with its ``•`` lines, else ``❌ 错误: ...``, else a
    commander ``error: ...`` line; stderr before stdout.
    """
    for text in (stderr, stdout):
        lines = _lines(text)
        for i, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("❌") and "参数错误" in stripped:
                bullets = []
                for following in lines[i + 1 :]:
                    item = following.strip()
                    if not item.startswith(("•", "-", "*")):
                        break
                    bullets.append(item.lstrip("•-* ").strip())
                head = stripped.lstrip("❌").strip().rstrip(":：")
                return f"{head}: {'; '.join(bullets)}" if bullets else head
    for text in (stderr, stdout):
        for line in _lines(text):
            stripped = line.strip()
            if stripped.startswith("❌"):
                message = stripped.lstrip("❌").strip()
                for prefix in ("错误:", "错误："):
                    if message.startswith(prefix):
                        message = message[len(prefix) :].strip()
                if message:
                    return message
    for line in _lines(stderr):
        if line.strip().startswith("error:"):
            return line.strip()
    return None


def _last_meaningful_line(stderr: str) -> str | None:
    for line in reversed(_lines(stderr)):
        stripped = line.strip()
        if not stripped or stripped.startswith("[winston]"):
            continue
        return stripped
    return None


def error_from_failure(returncode: int | None, stdout: str, stderr: str) -> CreatorError:
    """Classify a failed call (non-zero exit, or output we could not use).

    ``未找到任务`` → ``unknown_task``; ``参数错误`` / ``缺少必需参数`` / commander
    usage errors → ``rejected``; otherwise ``exit_status``.
    """
    message = parse_error_message(stderr, stdout)
    error_lines = [
        line.strip()
        for line in _lines(stderr) + _lines(stdout)
        if "❌" in line or line.strip().startswith("error:")
    ]
    if any("未找到任务" in line for line in error_lines):
        kind = CreatorErrorKind.UNKNOWN_TASK
    elif any(
        "参数错误" in line or "缺少必需参数" in line or _COMMANDER_USAGE_ERROR.match(line)
        for line in error_lines
    ):
        kind = CreatorErrorKind.REJECTED
    else:
        kind = CreatorErrorKind.EXIT_STATUS
        if message is None:
            message = _last_meaningful_line(stderr)
    if message is None:
        message = f"content-creator exited with status {returncode}"
    return CreatorError(kind, message, returncode=returncode)
