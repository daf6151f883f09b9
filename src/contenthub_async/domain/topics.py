"""Topic generation for scheduled batch generation. Pure: the caller passes what is taken.

Templates per category (phase-4 summary): 技术 / 产品 / 运营 / 营销, anything else gets the
generic three. A topic is ``<subject>·<template>``; subjects are the keywords of the job (or
the category). Topics never repeat one in ``taken`` (what the account got in the last 30 days
plus what this firing already handed out): when the plain candidates are used up, the date of
the firing is added, then a sequence number, so generation always succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contenthub_async.domain.submission import keyword_list

TEMPLATES: dict[str, tuple[str, ...]] = {
    "技术": ("技术解析", "实践指南", "趋势分析"),
    "产品": ("产品评测", "使用体验", "功能介绍"),
    "运营": ("运营策略", "增长技巧", "案例分析"),
    "营销": ("营销方法", "获客策略", "转化优化"),
}
DEFAULT_TEMPLATES: tuple[str, ...] = ("深度解析", "实战分享", "经验总结")
DEFAULT_SUBJECT = "行业"
RECENT_DAYS = 30


def templates_for(category: str | None) -> tuple[str, ...]:
    return TEMPLATES.get((category or "").strip(), DEFAULT_TEMPLATES)


def _candidates(subjects: list[str], templates: tuple[str, ...], day: date) -> Iterable[str]:
    plain = [f"{subject}·{template}" for subject in subjects for template in templates]
    yield from plain
    stamp = f"{day.month}月{day.day}日"
    yield from (f"{topic}（{stamp}）" for topic in plain)
    n = 2
    while True:
        yield from (f"{topic}（{stamp}·{n}）" for topic in plain)
        n += 1


def generate_topics(
    *, category: str | None, count: int, taken: Iterable[str], day: date, keywords: str | None = None
) -> list[str]:
    """``count`` distinct topics, none of them in ``taken``."""
    avoid = set(taken)
    subjects = keyword_list(keywords) or [(category or "").strip() or DEFAULT_SUBJECT]
    result: list[str] = []
    for topic in _candidates(subjects, templates_for(category), day):
        if len(result) >= count:
            break
        if topic not in avoid:
            avoid.add(topic)
            result.append(topic)
    return result
