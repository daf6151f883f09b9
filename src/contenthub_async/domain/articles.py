"""Turning the creator's markdown into the fields of a ``contents`` row. Pure."""

from __future__ import annotations

import re

SUMMARY_LENGTH = 200
_HEADING = re.compile(r"^\s{0,3}#\s+(?P<title>.+?)\s*#*\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def article_title(markdown: str, fallback: str) -> str:
    """The first level-1 heading, else ``fallback`` (the topic)."""
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group("title")[:500]
    return fallback


def article_summary(markdown: str, limit: int = SUMMARY_LENGTH) -> str | None:
    """The first paragraph that is neither a heading nor only an image, cut to ``limit`` chars."""
    for block in re.split(r"\n\s*\n", markdown):
        text = _IMAGE.sub("", block).strip()
        if not text or text.startswith("#"):
            continue
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return None
