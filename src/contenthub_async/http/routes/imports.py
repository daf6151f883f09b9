"""``POST /api/v1/content/import``: the CSV file of ``contenthub-ctl import`` as the request body."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from contenthub_async.domain.task_csv import TaskDefaults, parse_task_csv
from contenthub_async.http.context import Api, api_of
from contenthub_async.json_objects import import_report_json
from contenthub_async.services.task_import import import_tasks
from contenthub_async.texts.import_problems import problem_text
from contenthub_async.texts.messages import text

router = APIRouter(prefix="/api/v1/content", tags=["tasks"])
ApiDep = Annotated[Api, Depends(api_of)]

#: How the report names the file (the body has no name).
BODY_NAME = "CSV"


@router.post(
    "/import", status_code=202, response_model=None,
    summary="Queue many tasks from a CSV file (the request body, UTF-8 or GBK/GB18030)",
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_csv(
    request: Request, api: ApiDep, skip_invalid: Annotated[bool, Query()] = False
) -> dict[str, Any] | JSONResponse:
    """202 with the ``import`` report. All or nothing unless ``skip_invalid``: when anything is wrong
    nothing is imported and the answer is 422 with the same report, one ``errors`` entry per problem
    (its file line, column and reason)."""
    config = api.settings
    defaults = TaskDefaults(auto_approve=config.ASYNC_AUTO_APPROVE, max_retries=config.ASYNC_MAX_RETRIES)
    # a large file parses in a worker thread, not on the event loop the daemon's loops share
    parsed = await anyio.to_thread.run_sync(parse_task_csv, await request.body(), defaults)
    outcome = await import_tasks(api.db, parsed, clock=api.clock, skip_invalid=skip_invalid)
    if outcome.refused:
        count = len(outcome.problems)
        if skip_invalid or parsed.fatal or outcome.valid_rows == 0:
            summary = text("import.refused", count=count, file=BODY_NAME)
        else:
            summary = text("import.refused_hint", count=count, file=BODY_NAME, valid=outcome.valid_rows)
        report = import_report_json(outcome, summary, parsed.encoding, problem_text)
        return JSONResponse({"error": "import_refused", **report}, status_code=422)
    encoding = text(f"encoding.{parsed.encoding}")
    if outcome.problems:
        message = text("import.done_skipped", count=len(outcome.task_ids), file=BODY_NAME,
                       skipped=outcome.skipped_rows, encoding=encoding)
    else:
        message = text("import.done", count=len(outcome.task_ids), file=BODY_NAME, encoding=encoding)
    return import_report_json(outcome, message, parsed.encoding, problem_text)
