"""What a valid task submission is. Pure: no I/O (account checks live in services)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from contenthub_async.domain.vocabulary import TaskSource

MAX_TOPIC_LENGTH = 500
MAX_REQUIREMENTS_LENGTH = 5000
MAX_SHORT_TEXT_LENGTH = 100
MAX_KEYWORDS_LENGTH = 500
MAX_CALLBACK_URL_LENGTH = 2000
PRIORITY_RANGE = (0, 10)
#: Largest row id (ids are 32-bit integers on PostgreSQL); larger ones name no row.
MAX_ID = 2**31 - 1
MAX_RETRIES_RANGE = (0, 100)
SOURCES: tuple[str, ...] = tuple(TaskSource)

# C0 and C1 control characters (ESC starts terminal escape sequences, U+009B is a one-byte CSI);
# tab, line feed and carriage return are text in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Line breaks: refused in single-line fields. content-creator echoes fields line by line before
# the line that carries the new task's id, so a line break there could forge that line.
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_KEYWORD_SPLIT = re.compile(r"[,，、]")
# Lone UTF-16 surrogates: a JSON string may carry one ("\ud800"), but it is not text and cannot be
# stored as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

V = TypeVar("V")


class InvalidSubmission(ValueError):
    """A field of a submission is invalid. ``field`` names it, ``reason`` is a message key."""

    def __init__(self, field: str, reason: str, **details: object) -> None:
        self.field = field
        self.reason = reason
        self.details = details
        super().__init__(f"{field}: {reason} {details}" if details else f"{field}: {reason}")


@dataclass(frozen=True)
class NewTask:
    """A validated task, ready to insert."""

    account_id: int
    topic: str
    keywords: str | None = None
    category: str | None = None
    requirements: str | None = None
    tone: str | None = None
    priority: int = 5
    max_retries: int = 3
    auto_approve: bool = True
    source: str = "cli"
    scheduled_job_run_id: int | None = None
    callback_url: str | None = None  # where this task's webhook events also go


def canonical_keywords(raw: str | None) -> str | None:
    """Keywords as stored: ``"AI, 客服，自动化"`` → ``"AI,客服,自动化"``; empty → None.

    Separators are ASCII and full-width commas and the enumeration comma ``、``."""
    if raw is None:
        return None
    parts = [p.strip() for p in _KEYWORD_SPLIT.split(raw)]
    joined = ",".join(p for p in parts if p)
    return joined or None


def keyword_list(raw: str | None) -> list[str]:
    """The keywords one by one (same separators as :func:`canonical_keywords`), order kept."""
    canonical = canonical_keywords(raw)
    return canonical.split(",") if canonical else []


def check_text(
    field: str, value: str | None, limit: int, *, required: bool = False, multi_line: bool = False
) -> str | None:
    """``value`` stripped (None when blank and not required), or :class:`InvalidSubmission`:
    blank when required, control characters, lone surrogates, line breaks in a single-line field, too long."""
    if value is None:
        if required:
            raise InvalidSubmission(field, "required")
        return None
    value = value.strip()
    if not value:
        if required:
            raise InvalidSubmission(field, "empty")
        return None
    if _CONTROL.search(value):
        raise InvalidSubmission(field, "control_characters")
    if _SURROGATE.search(value):
        raise InvalidSubmission(field, "surrogates")
    if not multi_line and _LINE_BREAK.search(value):
        raise InvalidSubmission(field, "line_break")
    if len(value) > limit:
        raise InvalidSubmission(field, "too_long", limit=limit, length=len(value))
    return value


def _int_in(field: str, value: int, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSubmission(field, "not_integer")
    low, high = bounds
    if not low <= value <= high:
        raise InvalidSubmission(field, "out_of_range", low=low, high=high, value=value)
    return value


def check_submission(
    *,
    account_id: int,
    topic: str | None,
    keywords: str | None = None,
    category: str | None = None,
    requirements: str | None = None,
    tone: str | None = None,
    priority: int = 5,
    max_retries: int = 3,
    auto_approve: bool = True,
    source: str = "cli",
    scheduled_job_run_id: int | None = None,
    callback_url: str | None = None,
) -> NewTask | list[InvalidSubmission]:
    """The validated task, or every problem of the submission (one per field, in field order)."""
    problems: list[InvalidSubmission] = []

    def checked(check: Callable[[], V]) -> V | None:
        try:
            return check()
        except InvalidSubmission as problem:
            problems.append(problem)
            return None

    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id < 1:
        problems.append(InvalidSubmission("account_id", "not_positive_integer"))
    elif account_id > MAX_ID:
        problems.append(InvalidSubmission("account_id", "out_of_range", low=1, high=MAX_ID, value=account_id))
    topic_value = checked(lambda: check_text("topic", topic, MAX_TOPIC_LENGTH, required=True))
    keyword_value = checked(lambda: canonical_keywords(check_text("keywords", keywords, MAX_KEYWORDS_LENGTH)))
    if source not in SOURCES:
        problems.append(InvalidSubmission("source", "unknown_source"))
    category_value = checked(lambda: check_text("category", category, MAX_SHORT_TEXT_LENGTH))
    requirements_value = checked(lambda: check_text("requirements", requirements, MAX_REQUIREMENTS_LENGTH, multi_line=True))
    tone_value = checked(lambda: check_text("tone", tone, MAX_SHORT_TEXT_LENGTH))
    priority_value = checked(lambda: _int_in("priority", priority, PRIORITY_RANGE))
    max_retries_value = checked(lambda: _int_in("max_retries", max_retries, MAX_RETRIES_RANGE))
    callback_value = checked(lambda: _callback_url(callback_url))
    if problems:
        return problems
    assert topic_value is not None and priority_value is not None and max_retries_value is not None
    return NewTask(
        account_id=account_id,
        topic=topic_value,
        keywords=keyword_value,
        category=category_value,
        requirements=requirements_value,
        tone=tone_value,
        priority=priority_value,
        max_retries=max_retries_value,
        auto_approve=bool(auto_approve),
        source=source,
        scheduled_job_run_id=scheduled_job_run_id,
        callback_url=callback_value,
    )


def _callback_url(value: str | None) -> str | None:
    """A per-task webhook URL: one line, http:// or https:// with a host (docs/webhooks.md)."""
    url = check_text("callback_url", value, MAX_CALLBACK_URL_LENGTH)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        raise InvalidSubmission("callback_url", "not_http_url")
    return url


def validate_submission(
    *,
    account_id: int,
    topic: str | None,
    keywords: str | None = None,
    category: str | None = None,
    requirements: str | None = None,
    tone: str | None = None,
    priority: int = 5,
    max_retries: int = 3,
    auto_approve: bool = True,
    source: str = "cli",
    scheduled_job_run_id: int | None = None,
    callback_url: str | None = None,
) -> NewTask:
    """The validated task; raises :class:`InvalidSubmission` for the first invalid field."""
    checked = check_submission(
        account_id=account_id, topic=topic, keywords=keywords, category=category, requirements=requirements,
        tone=tone, priority=priority, max_retries=max_retries, auto_approve=auto_approve, source=source,
        scheduled_job_run_id=scheduled_job_run_id, callback_url=callback_url,
    )
    if isinstance(checked, list):
        raise checked[0]
    return checked
