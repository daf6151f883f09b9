"""``async_content_generation``: batch generation for several accounts (phase-4 executor).

Params: ``account_ids``, ``count_per_account``, ``category``, ``topics`` (custom list of
{topic, keywords, requirements, tone}: every account gets each of them, ``count_per_account``
is then ignored), ``auto_approve``, ``priority``, ``keywords``. Without custom topics, topics
come from :mod:`contenthub_async.domain.topics`: per the category (the job's, else the
account's), never one the account got in the last 30 days, all distinct within the firing.

All tasks of a firing are inserted in one transaction (``source=scheduler``,
``scheduled_job_run_id``). Unknown and inactive accounts are refused (counted per account);
the others still get their tasks. A run in which every account was refused fails.
Idempotent per run: a run executed again (its daemon died) finds its tasks already inserted
and reports them instead of inserting a second batch.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from contenthub_async.domain import cron
from contenthub_async.domain.submission import (
    MAX_ID,
    MAX_KEYWORDS_LENGTH,
    MAX_REQUIREMENTS_LENGTH,
    MAX_SHORT_TEXT_LENGTH,
    MAX_TOPIC_LENGTH,
    InvalidSubmission,
    NewTask,
    check_text,
    validate_submission,
)
from contenthub_async.domain.topics import RECENT_DAYS, generate_topics
from contenthub_async.services.executors import RunContext, RunFailed
from contenthub_async.store import accounts as account_store
from contenthub_async.store import tasks as task_store
from contenthub_async.store.connection import Connection

_LIMITS = {
    "topic": MAX_TOPIC_LENGTH,
    "keywords": MAX_KEYWORDS_LENGTH,
    "requirements": MAX_REQUIREMENTS_LENGTH,
    "tone": MAX_SHORT_TEXT_LENGTH,
    "category": MAX_SHORT_TEXT_LENGTH,
}


def _submission_text(value: str | None, info: ValidationInfo) -> str | None:
    """A text parameter checked as a submission checks the field: a job is refused when it is
    saved, not at every firing."""
    field = info.field_name or ""
    try:
        return check_text(field, value, _LIMITS[field], required=field == "topic",
                          multi_line=field == "requirements")
    except InvalidSubmission as problem:
        raise PydanticCustomError(problem.reason, "invalid text ({reason})", {"reason": problem.reason}) from None


class TopicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    topic: str = Field(min_length=1, max_length=MAX_TOPIC_LENGTH)
    keywords: str | None = Field(None, max_length=MAX_KEYWORDS_LENGTH)
    requirements: str | None = Field(None, max_length=MAX_REQUIREMENTS_LENGTH)
    tone: str | None = Field(None, max_length=MAX_SHORT_TEXT_LENGTH)

    _texts = field_validator("topic", "keywords", "requirements", "tone")(_submission_text)


class ContentGenerationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    account_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=1000)
    count_per_account: int = Field(1, ge=1, le=50)
    category: str | None = Field(None, min_length=1, max_length=MAX_SHORT_TEXT_LENGTH)
    topics: list[TopicSpec] | None = Field(None, min_length=1, max_length=100)
    auto_approve: bool = True
    priority: int = Field(5, ge=0, le=10)
    keywords: str | None = Field(None, max_length=MAX_KEYWORDS_LENGTH)

    _texts = field_validator("category", "keywords")(_submission_text)

    @field_validator("account_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("distinct", "account ids must be distinct", {})
        return value


class ContentGenerationExecutor:
    name = "async_content_generation"
    params_model = ContentGenerationParams

    async def execute(self, ctx: RunContext, params: ContentGenerationParams) -> dict[str, Any]:
        async with ctx.db.write() as conn:
            return await self._execute(conn, ctx, params)

    async def _execute(self, conn: Connection, ctx: RunContext, params: ContentGenerationParams) -> dict[str, Any]:
        accounts = await account_store.get_accounts(conn, params.account_ids)
        already = await task_store.tasks_of_run(conn, ctx.run.id)
        recent = await task_store.recent_topics(conn, params.account_ids, since=ctx.now - timedelta(days=RECENT_DAYS))
        day = ctx.run.scheduled_for.astimezone(cron.zone(ctx.job.timezone)).date()

        stats: dict[str, dict[str, Any]] = {}
        new_tasks: list[NewTask] = []
        owners: list[int] = []
        handed_out: set[str] = set()
        per_account = len(params.topics) if params.topics else params.count_per_account
        for account_id in params.account_ids:
            account = accounts.get(account_id)
            entry: dict[str, Any] = {"account_name": account.name if account else None,
                                     "submitted": 0, "refused": 0, "task_ids": []}
            stats[str(account_id)] = entry
            if account is None or not account.is_active:
                entry["refused"] = per_account
                entry["reason"] = "unknown_account" if account is None else "inactive_account"
                continue
            common = partial(validate_submission, account_id=account_id, priority=params.priority,
                             auto_approve=params.auto_approve, source="scheduler", scheduled_job_run_id=ctx.run.id)
            if params.topics:
                for spec in params.topics:
                    new_tasks.append(common(
                        topic=spec.topic, keywords=spec.keywords or params.keywords,
                        requirements=spec.requirements, tone=spec.tone or account.tone,
                        category=params.category or account.category,
                    ))
                    owners.append(account_id)
            else:
                category = params.category or account.category
                topics = generate_topics(category=category, count=params.count_per_account,
                                         taken=recent.get(account_id, set()) | handed_out, day=day,
                                         keywords=params.keywords)
                handed_out.update(topics)
                for topic in topics:
                    new_tasks.append(common(topic=topic, keywords=params.keywords, category=category,
                                            tone=account.tone))
                    owners.append(account_id)
        if already:  # executed before by a daemon that died: report that batch
            owners, task_ids = [account_id for account_id, _ in already], [task_id for _, task_id in already]
        else:
            task_ids = await task_store.insert_tasks(conn, new_tasks, now=ctx.now, actor=ctx.actor)
        for account_id, task_id in zip(owners, task_ids, strict=True):
            entry = stats[str(account_id)]
            entry["submitted"] += 1
            entry["task_ids"].append(task_id)
        result = {
            "total_submitted": sum(e["submitted"] for e in stats.values()),
            "total_refused": sum(e["refused"] for e in stats.values()),
            "account_stats": stats,
        }
        if result["total_submitted"] == 0 and result["total_refused"] > 0:
            raise RunFailed("no task submitted: every account was refused", result)
        return result


EXECUTOR = ContentGenerationExecutor()
