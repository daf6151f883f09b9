"""``publishing``: publish what is due in the publish pool (the original publishing executor).

Params: ``limit`` (most entries one run publishes, default 50), ``concurrency`` (publish calls at
once, default the daemon's ``CONTENTHUB_PUBLISH_CONCURRENCY``). The run's result is the original
summary: ``total_count, success_count, failed_count, skipped_count, results[]`` (one object per
entry: ``pool_id, content_id, status, external_id, url, error``).

The daemon's publisher loop already publishes due entries continuously; this job is for teams
that want publishing at set times only (run contenthubd with ``CONTENTHUB_PUBLISH_CONCURRENCY``
as usual: both claim entries the same guarded way, so nothing is published twice). Idempotent
per run: a run executed again claims only what is still due; published entries never are.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contenthub_async.services.context import publishing_of
from contenthub_async.services.executors import RunContext, RunFailed
from contenthub_async.services.publishing import publish_batch


class PublishingParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    limit: int = Field(50, ge=1, le=10_000)
    concurrency: int | None = Field(None, ge=1, le=100)


class PublishingExecutor:
    name = "publishing"
    params_model = PublishingParams

    async def execute(self, ctx: RunContext, params: PublishingParams) -> dict[str, Any]:
        if ctx.daemon is None or ctx.daemon.publishers is None:
            raise RunFailed("publishing runs inside contenthubd")
        p = publishing_of(ctx.daemon)
        concurrency = params.concurrency or ctx.daemon.knobs.publish_concurrency
        return await publish_batch(p, limit=params.limit, concurrency=concurrency)


EXECUTOR = PublishingExecutor()
