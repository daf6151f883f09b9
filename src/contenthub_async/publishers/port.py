"""The publisher port: what the publishing service hands a publisher and what it gets back.

A publisher publishes one article and returns its :class:`Publication` (the platform's id, a
URL when there is one), or raises :class:`PublishError`, which says whether trying again later
may succeed (``retryable``) or not. The message becomes ``publish_pool.last_error``: it must
never contain credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Article:
    """One article on its way out, with its account's platform credentials (never logged)."""

    pool_id: int
    content_id: int
    account_id: int
    account_name: str
    title: str
    markdown: str
    summary: str | None
    images: list[str]
    tags: list[str]
    category: str | None
    task_id: str | None
    created_at: datetime
    credentials: dict[str, str] | None = field(default=None, repr=False)

    def as_json(self, *, with_credentials: bool) -> dict[str, Any]:
        """The article as JSON (``exec:`` stdin)."""
        account: dict[str, Any] = {"id": self.account_id, "name": self.account_name}
        if with_credentials and self.credentials is not None:
            account["credentials"] = dict(self.credentials)
        return {
            "pool_id": self.pool_id,
            "content_id": self.content_id,
            "task_id": self.task_id,
            "title": self.title,
            "markdown": self.markdown,
            "summary": self.summary,
            "images": list(self.images),
            "tags": list(self.tags),
            "category": self.category,
            "created_at": self.created_at.isoformat(),
            "account": account,
        }


@dataclass(frozen=True)
class Publication:
    external_id: str
    url: str | None = None


class PublishError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        self.message = message
        self.retryable = retryable
        super().__init__(message)


class Publisher(Protocol):
    #: the spec it was built from, for logs (never holds a secret)
    spec: str

    async def publish(self, article: Article) -> Publication: ...
