"""The console's pages and actions, as one FastAPI router (docs/console.md).

Pages are GETs that only read; every action is a POST from one of the console's forms with its
CSRF token, answered with a redirect to a page (post/redirect/get) that names the outcome.
``/fragments/...`` serve the live parts of the overview and the task page, which the console's
script re-reads every few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from contenthub_async.clock import Clock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.vocabulary import DeliveryStatus, PoolStatus
from contenthub_async.http.console import security
from contenthub_async.http.console.rendering import Renderer
from contenthub_async.services import (
    console_queries,
    job_commands,
    pool_commands,
    review,
    task_commands,
    webhook_commands,
)
from contenthub_async.services.console_queries import TaskQuery
from contenthub_async.services.errors import (
    ContentNotFound,
    JobNotFound,
    PoolEntryNotFound,
    ServiceError,
    TaskNotFound,
)
from contenthub_async.store.database import Database

ACTOR = "console"
#: Forms are small: a bulk action over a page of tasks is a few kilobytes.
MAX_FORM_BYTES = 64 * 1024
STATIC_FILES = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8",
                "favicon.svg": "image/svg+xml"}
#: No script, style, image or frame from anywhere but the console itself.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: The outcome words a redirect may carry (anything else is ignored, nothing is echoed).
NOTICES = {
    "cancelled", "cancel_requested", "retried", "refused", "not_found", "triggered", "paused", "resumed",
    "bulk", "signed_out", "approved", "rejected", "reason_needed", "pool_retried", "redelivered",
    "not_redelivered",
}
POOL_PAGE_SIZE = 100
DELIVERIES_PAGE_SIZE = 100
TASK_ID = re.compile(r"task-[0-9a-f]{12}")


#: The console's paths (the API lives under /api/ and at /metrics, /healthz, /readyz, /docs).
CONSOLE_PATHS = frozenset({"/", "/login", "/logout"})
CONSOLE_PREFIXES = ("/tasks", "/fragments/", "/scheduler", "/pool", "/webhooks", "/contents/", "/static/")


def is_console_path(path: str) -> bool:
    """Whether ``path`` is one of the console's (it signs people in itself)."""
    return path in CONSOLE_PATHS or path.startswith(CONSOLE_PREFIXES)


@dataclass(frozen=True)
class ConsoleConfig:
    db: Database
    clock: Clock
    max_concurrent: int  # ASYNC_MAX_CONCURRENT_TASKS
    token: str | None  # CONTENTHUB_API_TOKEN: None or empty means no sign-in


def console_router(config: ConsoleConfig) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    render = Renderer(config)
    hours = console_queries.FinishedHours()
    statuses = console_queries.StatusCounts()

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        response = HTMLResponse(render.page(request, template, **context), status_code=status_code)
        security.keep_csrf(request, response)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def to_login(request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    Handler = Callable[..., Awaitable[Response]]

    def reading(handler: Handler) -> Handler:
        """A page: sign-in required (else the login form)."""

        async def guarded(request: Request, **kwargs: Any) -> Response:
            if not security.signed_in(request, config.token):
                return to_login(request)
            return await handler(request, **kwargs)

        guarded.__name__ = handler.__name__
        guarded.__signature__ = _signature_of(handler)  # type: ignore[attr-defined]
        return guarded

    def acting(handler: Callable[..., Awaitable[Response]]) -> Handler:
        """An action: sign-in and a matching CSRF token required; the form is parsed for the handler."""

        async def guarded(request: Request, **kwargs: Any) -> Response:
            if not security.signed_in(request, config.token):
                return page(request, "refused.html", status_code=401, reason="signed_out")
            form = await _form(request)
            if form is None:
                return page(request, "refused.html", status_code=413, reason="too_large")
            if not security.csrf_valid(request, _one(form, security.CSRF_FIELD)):
                return page(request, "refused.html", status_code=403, reason="csrf")
            return await handler(request, form, **kwargs)

        guarded.__name__ = handler.__name__
        guarded.__signature__ = _signature_of(handler, drop_form=True)  # type: ignore[attr-defined]
        return guarded

    # ---------------------------------------------------------------- pages

    @router.get("/")
    @reading
    async def overview(request: Request) -> Response:
        data = await console_queries.overview(
            config.db, now=config.clock.now(), max_concurrent=config.max_concurrent, hours=hours,
            statuses=statuses)
        return page(request, "overview.html", data=data)

    @router.get("/fragments/overview")
    @reading
    async def overview_fragment(request: Request) -> Response:
        data = await console_queries.overview(
            config.db, now=config.clock.now(), max_concurrent=config.max_concurrent, hours=hours,
            statuses=statuses)
        return page(request, "_overview.html", data=data)

    @router.get("/tasks")
    @reading
    async def tasks(request: Request) -> Response:
        query, bad = _task_query(request)
        data = await console_queries.browse(config.db, query)
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "notice", "done", "refused")]

        def page_link(after: int | None) -> str:
            return urlencode(kept + ([("after", str(after))] if after is not None else []))

        here = "/tasks" + (f"?{urlencode(kept + ([('after', str(query.after))] if query.after else []))}" if kept or query.after else "")
        return page(request, "tasks.html", data=data, query=query, bad_filter=bad, page_link=page_link, back=here)

    @router.get("/tasks/{task_id}")
    @reading
    async def task(request: Request, task_id: str) -> Response:
        view = await console_queries.task_view(config.db, task_id)
        if view is None:
            return page(request, "not_found.html", status_code=404, task_id=task_id)
        return page(request, "task.html", view=view)

    @router.get("/fragments/tasks/{task_id}")
    @reading
    async def task_fragment(request: Request, task_id: str) -> Response:
        view = await console_queries.task_view(config.db, task_id)
        if view is None:
            return page(request, "not_found.html", status_code=404, task_id=task_id)
        return page(request, "_task.html", view=view)

    @router.get("/scheduler")
    @reading
    async def scheduler(request: Request) -> Response:
        data = await console_queries.scheduler_view(config.db)
        return page(request, "scheduler.html", data=data)

    # ---------------------------------------------------------------- task actions

    @router.post("/tasks/{task_id}/cancel")
    @acting
    async def cancel(request: Request, form: dict[str, list[str]], task_id: str) -> Response:
        try:
            outcome = await task_commands.cancel_task(config.db, task_id, clock=config.clock, actor=ACTOR)
        except ServiceError as exc:
            return _back(f"/tasks/{task_id}", _refusal(exc))
        return _back(f"/tasks/{task_id}", "cancelled" if outcome.outcome == "cancelled" else "cancel_requested")

    @router.post("/tasks/{task_id}/retry")
    @acting
    async def retry(request: Request, form: dict[str, list[str]], task_id: str) -> Response:
        try:
            await task_commands.retry_task(config.db, task_id, clock=config.clock, actor=ACTOR)
        except ServiceError as exc:
            return _back(f"/tasks/{task_id}", _refusal(exc))
        return _back(f"/tasks/{task_id}", "retried")

    @router.post("/tasks/bulk")
    @acting
    async def bulk(request: Request, form: dict[str, list[str]]) -> Response:
        action = _one(form, "action")
        task_ids = form.get("task_id", [])[:console_queries.PAGE_SIZE]
        done = refused = 0
        for task_id in task_ids:
            try:
                if action == "cancel":
                    await task_commands.cancel_task(config.db, task_id, clock=config.clock, actor=ACTOR)
                elif action == "retry":
                    await task_commands.retry_task(config.db, task_id, clock=config.clock, actor=ACTOR)
                else:
                    return page(request, "refused.html", status_code=400, reason="bad_action")
                done += 1
            except ServiceError:
                refused += 1
        back = _one(form, "back") or "/tasks"
        if not back.startswith("/tasks"):
            back = "/tasks"
        return _back(back, "bulk", done=done, refused=refused)

    # ---------------------------------------------------------------- review (the task page's article)

    @router.post("/contents/{content_id}/approve")
    @acting
    async def approve(request: Request, form: dict[str, list[str]], content_id: int) -> Response:
        back = _task_page(_one(form, "task"))
        try:
            await review.approve_contents(config.db, [content_id], clock=config.clock, actor=ACTOR)
        except ServiceError as exc:
            return _back(back, _refusal(exc))
        return _back(back, "approved")

    @router.post("/contents/{content_id}/reject")
    @acting
    async def reject(request: Request, form: dict[str, list[str]], content_id: int) -> Response:
        back = _task_page(_one(form, "task"))
        reason = (_one(form, "reason") or "").strip()
        if not reason:
            return _back(back, "reason_needed")
        try:
            await review.reject_contents(config.db, [content_id], reason=reason[:500], clock=config.clock, actor=ACTOR)
        except ServiceError as exc:
            return _back(back, _refusal(exc))
        return _back(back, "rejected")

    # ---------------------------------------------------------------- publish pool

    @router.get("/pool")
    @reading
    async def pool(request: Request) -> Response:
        raw = request.query_params.get("status", "")
        status = PoolStatus(raw) if raw in {s.value for s in PoolStatus} else None
        stats = await pool_commands.pool_stats(config.db, clock=config.clock)
        entries = await pool_commands.list_entries(config.db, status=status, account_id=None, limit=POOL_PAGE_SIZE)
        return page(request, "pool.html", stats=stats, entries=entries, status=status,
                    pool_statuses=[s.value for s in PoolStatus], bad_filter=bool(raw) and status is None)

    @router.post("/pool/retry-failed")
    @acting
    async def pool_retry_failed(request: Request, form: dict[str, list[str]]) -> Response:
        retried = await pool_commands.retry_entries(config.db, None, clock=config.clock, actor=ACTOR)
        return _back("/pool", "pool_retried", done=len(retried))

    @router.post("/pool/{pool_id}/retry")
    @acting
    async def pool_retry(request: Request, form: dict[str, list[str]], pool_id: int) -> Response:
        try:
            retried = await pool_commands.retry_entries(config.db, [pool_id], clock=config.clock, actor=ACTOR)
        except ServiceError as exc:
            return _back("/pool", _refusal(exc))
        return _back("/pool", "pool_retried", done=len(retried))

    # ---------------------------------------------------------------- webhook deliveries

    @router.get("/webhooks")
    @reading
    async def webhooks(request: Request) -> Response:
        raw = request.query_params.get("status", "")
        status = DeliveryStatus(raw) if raw in {s.value for s in DeliveryStatus} else None
        counts = await webhook_commands.delivery_counts(config.db)
        deliveries = await webhook_commands.list_deliveries(
            config.db, status=status, task_id=None, limit=DELIVERIES_PAGE_SIZE)
        return page(request, "webhooks.html", counts=counts, deliveries=deliveries, status=status,
                    delivery_statuses=[s.value for s in DeliveryStatus], bad_filter=bool(raw) and status is None)

    @router.post("/webhooks/redeliver-dead")
    @acting
    async def redeliver_dead(request: Request, form: dict[str, list[str]]) -> Response:
        moved = await webhook_commands.redeliver(config.db, [], all_dead=True, clock=config.clock)
        return _back("/webhooks", "redelivered", done=len(moved))

    @router.post("/webhooks/{delivery_id}/redeliver")
    @acting
    async def redeliver_one(request: Request, form: dict[str, list[str]], delivery_id: int) -> Response:
        moved = await webhook_commands.redeliver(config.db, [delivery_id], all_dead=False, clock=config.clock)
        # Nothing moved: the delivery is pending already (being sent) or does not exist.
        return _back("/webhooks", "redelivered" if moved else "not_redelivered", done=len(moved))

    # ---------------------------------------------------------------- scheduler actions

    @router.post("/scheduler/{job_id}/{action}")
    @acting
    async def job_action(request: Request, form: dict[str, list[str]], job_id: int, action: str) -> Response:
        try:
            if action == "trigger":
                await job_commands.trigger_job(config.db, job_id, clock=config.clock)
                notice = "triggered"
            elif action in ("pause", "resume"):
                await job_commands.set_job_active(config.db, job_id, action == "resume", clock=config.clock)
                notice = "paused" if action == "pause" else "resumed"
            else:
                return page(request, "refused.html", status_code=404, reason="bad_action")
        except JobNotFound:
            return _back("/scheduler", "not_found")
        return _back("/scheduler", notice)

    # ---------------------------------------------------------------- sign-in

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return page(request, "login.html", next=_safe_next(request.query_params.get("next")), failed=False)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await _form(request)
        if form is None or not security.csrf_valid(request, _one(form, security.CSRF_FIELD)):
            return page(request, "refused.html", status_code=403, reason="csrf")
        target = _safe_next(_one(form, "next"))
        if not config.token:
            return RedirectResponse(target, status_code=303)
        if not security.token_matches(_one(form, "token") or "", config.token):
            return page(request, "login.html", status_code=401, next=target, failed=True)
        response = RedirectResponse(target, status_code=303)
        security.set_session(request, response, config.token)
        return response

    @router.post("/logout")
    @acting
    async def logout(request: Request, form: dict[str, list[str]]) -> Response:
        response = RedirectResponse("/login?" + urlencode({"notice": "signed_out"}), status_code=303)
        security.clear_session(response)
        return response

    # ---------------------------------------------------------------- assets

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        media_type = STATIC_FILES.get(name)
        if media_type is None:
            return Response(status_code=404)
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})

    return router


# -------------------------------------------------------------------- helpers


def _signature_of(handler: Callable[..., Any], *, drop_form: bool = False) -> Any:
    """The handler's signature as FastAPI should see it (without the parsed form)."""
    import inspect

    signature = inspect.signature(handler)
    params = [p for p in signature.parameters.values() if not (drop_form and p.name == "form")]
    return signature.replace(parameters=params)


async def _form(request: Request) -> dict[str, list[str]] | None:
    """The urlencoded form of a POST (None when it is larger than :data:`MAX_FORM_BYTES`)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _back(path: str, notice: str, **counts: int) -> Response:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}{urlencode({'notice': notice, **counts})}", status_code=303)


def _refusal(exc: ServiceError) -> str:
    """The notice of a command the services refused: it vanished, or its state forbids it."""
    if isinstance(exc, (TaskNotFound, ContentNotFound, PoolEntryNotFound, JobNotFound)):
        return "not_found"
    return "refused"


def _task_page(task_id: str | None) -> str:
    return f"/tasks/{task_id}" if task_id and TASK_ID.fullmatch(task_id) else "/"


def _safe_next(target: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _task_query(request: Request) -> tuple[TaskQuery, bool]:
    """The tasks page's filters from its query string; True when a value was not understood."""
    params = request.query_params
    bad = False
    statuses = None
    wanted = [s for s in params.getlist("status") if s]
    if wanted:
        known = {s.value for s in TaskStatus}
        bad = any(s not in known for s in wanted)
        statuses = frozenset(TaskStatus(s) for s in wanted if s in known) or None
    account_id = after = None
    raw_account = params.get("account", "")
    if raw_account:
        if raw_account.isdigit():
            account_id = int(raw_account)
        else:
            bad = True
    raw_after = params.get("after", "")
    if raw_after.isdigit():
        after = int(raw_after)
    text = params.get("q", "").strip()[:200] or None
    return TaskQuery(statuses, account_id, text, params.get("sort") == "oldest", after), bad
