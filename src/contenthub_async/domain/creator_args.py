"""Arguments for the content-creator CLI: pure functions, no I/O.

``build_create_argv`` accepts any object with the attributes of
``contenthub_async.creator.port.CreateRequest`` (see ``CreateArgs``), so this
module does not import the adapter layer.
"""

from __future__ import annotations

from typing import Protocol

from contenthub_async.domain.submission import keyword_list
from contenthub_async.domain.vocabulary import CreatorMode

__all__ = [
    "CreateArgs",
    "build_create_argv",
    "creator_priority",
    "derive_requirements",
]


class CreateArgs(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def requirements(self) -> str | None: ...
    @property
    def keywords(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def tone(self) -> str | None: ...
    @property
    def target_audience(self) -> str | None: ...
    @property
    def priority(self) -> int: ...


def creator_priority(priority: int) -> str:
    """Map our priority 0–10 onto content-creator's four levels."""
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValueError(f"priority must be an integer 0-10, got {priority!r}")
    if not 0 <= priority <= 10:
        raise ValueError(f"priority must be between 0 and 10, got {priority}")
    if priority <= 3:
        return "low"
    if priority <= 6:
        return "normal"
    if priority <= 8:
        return "high"
    return "urgent"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _require_topic(topic: str) -> str:
    cleaned = _clean(topic)
    if cleaned is None:
        raise ValueError("topic must not be empty")
    return cleaned


def derive_requirements(
    topic: str, keywords: str | None, category: str | None, tone: str | None
) -> str:
    """A requirement sentence for tasks that have none (content-creator needs one).

    >>> derive_requirements("T", "a, b", "科技", "轻松")
    '围绕「T」撰写一篇科技类文章，关键词：a、b，语气：轻松。'
    """
    parts = []
    cat = _clean(category)
    parts.append(f"围绕「{_require_topic(topic)}」撰写一篇{cat + '类' if cat else ''}文章")
    words = keyword_list(keywords)
    if words:
        parts.append("关键词：" + "、".join(words))
    tone_ = _clean(tone)
    if tone_:
        parts.append(f"语气：{tone_}")
    return "，".join(parts) + "。"


def build_create_argv(request: CreateArgs, mode: CreatorMode) -> list[str]:
    """Arguments after the command itself for ``content-creator create --mode <mode>``.

    Every value is passed as ``--flag=value`` so a value starting with ``-``
    can never be taken for an option.
    """
    topic = _require_topic(request.topic)
    requirements = _clean(request.requirements) or derive_requirements(
        topic, request.keywords, request.category, request.tone
    )
    argv = [
        "create",
        "--mode",
        CreatorMode(mode).value,
        "--type",
        "content-creator",
        f"--topic={topic}",
        f"--requirements={requirements}",
    ]
    words = keyword_list(request.keywords)
    if words:
        argv.append("--keywords=" + ",".join(words))
    tone = _clean(request.tone)
    if tone:
        argv.append(f"--tone={tone}")
    audience = _clean(request.target_audience)
    if audience:
        argv.append(f"--target-audience={audience}")
    argv.append(f"--priority={creator_priority(request.priority)}")
    return argv
