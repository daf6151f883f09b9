"""Tasks: submit, status, list, cancel, retry (the objects of ``contenthub-ctl ... --format json``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask, check_submission
from contenthub_async.http.context import ACTOR, Api, api_of
from contenthub_async.http.errors import InvalidFields, submission_problems
from contenthub_async.json_objects import cancelled_json, detail_json, retried_json, submitted_json, task_json
from contenthub_async.services import task_commands, task_queries
from contenthub_async.services.errors import TaskNotFound
from contenthub_async.services.task_commands import Accepted
from contenthub_async.texts.messages import status_word, text

router = APIRouter(prefix="/api/v1/content", tags=["tasks"])

ApiDep = Annotated[Api, Depends(api_of)]

#: Most tasks one page of the list returns.
MAX_PAGE = 10_000
MAX_IDEMPOTENCY_KEY = 255


class SubmitBody(BaseModel):
    """A task to generate (the fields of ``contenthub-ctl submit``)."""

    model_config = ConfigDict(extra="forbid")

    account_id: StrictInt
    topic: StrictStr
    keywords: StrictStr | None = Field(None, description="comma-separated: 'AI,机器学习'")
    category: StrictStr | None = None
    requirements: StrictStr | None = None
    tone: StrictStr | None = None
    priority: StrictInt = Field(5, description="0–10, higher first")
    auto_approve: StrictBool | None = Field(None, description="default: ASYNC_AUTO_APPROVE")
    max_retries: StrictInt | None = Field(None, description="default: ASYNC_MAX_RETRIES")
    callback_url: StrictStr | None = Field(None, description="also send this task's webhook events here (docs/webhooks.md)")


def idempotency_key_of(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header's key (:class:`InvalidFields` when it is not one)."""
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_IDEMPOTENCY_KEY or not value.isascii() or not value.isprintable():
        raise InvalidFields([("Idempotency-Key", "bad_idempotency_key",
                              text("http.bad_idempotency_key", limit=MAX_IDEMPOTENCY_KEY))])
    return value


@router.post("/generate/async", status_code=202, summary="Queue a content-generation task",
             response_model=None, responses={202: {"description": "The `submit` object (docs/cli-json.md)"}})
async def submit(
    body: SubmitBody,
    api: ApiDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """202 with the ``submit`` object. A repeated ``Idempotency-Key`` returns the first task
    (``Idempotent-Replayed: true``) and inserts nothing."""
    key = idempotency_key_of(idempotency_key)
    accepted = await api.submissions.submit(checked_submission(api, body), idempotency_key=key)
    return submitted_response(accepted, key)


def checked_submission(api: Api, body: SubmitBody) -> NewTask:
    """The task ``body`` asks for, by the rules of ``contenthub-ctl submit`` (:class:`InvalidFields`
    naming each bad field otherwise)."""
    config = api.settings
    checked = check_submission(
        account_id=body.account_id, topic=body.topic, keywords=body.keywords, category=body.category,
        requirements=body.requirements, tone=body.tone, priority=body.priority,
        max_retries=config.ASYNC_MAX_RETRIES if body.max_retries is None else body.max_retries,
        auto_approve=config.ASYNC_AUTO_APPROVE if body.auto_approve is None else body.auto_approve,
        source="api", callback_url=body.callback_url,
    )
    if isinstance(checked, list):
        raise submission_problems(checked)
    return checked


def submitted_response(accepted: Accepted, key: str | None) -> JSONResponse:
    """The 202 answer: the same object as ``submit --format json``."""
    # The object as it is (FastAPI's validation and encoding of a returned dict cost more than
    # the rest of the request's Python).
    return JSONResponse(submitted_json(
        accepted.task_id, accepted.status.value, text("submit.done"), account_id=accepted.account_id,
        priority=accepted.priority, auto_approve=accepted.auto_approve, max_retries=accepted.max_retries,
    ), status_code=202, headers=None if key is None else {"Idempotent-Replayed": str(accepted.replayed).lower()})


@router.get("/tasks/{task_id}", summary="A task with its timeline and content")
async def status(task_id: str, api: ApiDep) -> dict[str, Any]:
    """The ``status`` object; 404 for an unknown id."""
    detail = await task_queries.task_detail(api.db, task_id)
    if detail is None:
        raise TaskNotFound(task_id=task_id)
    return detail_json(detail)


def _statuses(value: str | None) -> list[TaskStatus] | None:
    """``failed,timeout`` → the statuses; an unknown word is a 422 naming ``status``."""
    if value is None:
        return None
    known = [s.value for s in TaskStatus]
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    for word in chosen or [value]:
        if word not in known:
            raise InvalidFields([("status", "bad_status", text("error.bad_status", value=word, choices=", ".join(known)))])
    return [TaskStatus(word) for word in chosen]


@router.get("/tasks", summary="Tasks, newest first, a page at a time")
async def list_tasks(
    request: Request,
    response: Response,
    api: ApiDep,
    account_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(description="one status or several: failed,timeout")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    before: Annotated[str | None, Query(description="task id: the page after this task")] = None,
) -> list[dict[str, Any]]:
    """The ``list`` array. A full page has a ``Link: <...>; rel="next"`` header whose URL gives the
    next page (``before`` = the last task id of this one)."""
    tasks, accounts = await task_queries.task_list(
        api.db, account_id=account_id, statuses=_statuses(status), limit=limit, before=before
    )
    if len(tasks) == limit:
        query = {k: v for k, v in request.query_params.items() if k != "before"}
        query["before"] = tasks[-1].task_id
        response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return [task_json(t, accounts.get(t.account_id)) for t in tasks]


@router.post("/tasks/{task_id}/cancel", summary="Cancel a task")
async def cancel(task_id: str, api: ApiDep) -> dict[str, Any]:
    """The ``cancel`` object; 404 unknown id, 409 when the task has finished."""
    outcome = await task_commands.cancel_task(api.db, task_id, clock=api.clock, actor=ACTOR)
    current = outcome.task.status.value
    message = text(f"cancel.{outcome.outcome}", task_id=task_id, status=status_word(current))
    return cancelled_json(task_id, outcome.outcome, current, message)


@router.post("/tasks/{task_id}/retry", summary="Send a failed, timed-out or cancelled task back to the queue")
async def retry(task_id: str, api: ApiDep) -> dict[str, Any]:
    """The ``retry`` object; 404 unknown id, 409 when the task is not failed, timeout or cancelled."""
    task = await task_commands.retry_task(api.db, task_id, clock=api.clock, actor=ACTOR)
    return retried_json(task_id, task.status.value, text("retry.done", task_id=task_id))

