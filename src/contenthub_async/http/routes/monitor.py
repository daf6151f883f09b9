"""Monitoring: the ``monitor metrics|stats|health`` objects, and the webhook guide's health check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from contenthub_async import __version__
from contenthub_async.http.context import Api, api_of
from contenthub_async.json_objects import health_json, metrics_json, stats_json, utc_iso
from contenthub_async.services.monitor_reports import load_metrics, load_stats
from contenthub_async.store.database import Database
from contenthub_async.texts.failures import failure_message

router = APIRouter(tags=["monitoring"])
ApiDep = Annotated[Api, Depends(api_of)]

MAX_DAYS = 366


@router.get("/api/v1/monitor/metrics", summary="Totals by status, success rate, completion times, queue depth")
async def metrics(api: ApiDep) -> dict[str, Any]:
    report = await load_metrics(api.db, now=api.clock.now(), max_concurrent=api.settings.ASYNC_MAX_CONCURRENT_TASKS)
    return metrics_json(report)


@router.get("/api/v1/monitor/stats", summary="Tasks per calendar day and the top failure reasons")
async def stats(api: ApiDep, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7) -> dict[str, Any]:
    from contenthub_async.domain.zones import system_zone

    return stats_json(await load_stats(api.db, now=api.clock.now(), days=days, zone=system_zone()))


@router.get("/api/v1/monitor/health", summary="The checks of monitor health: 200 healthy or degraded, 503 unhealthy",
            response_model=None)
async def health(api: ApiDep) -> JSONResponse:
    from contenthub_async.services.health import check_health

    @asynccontextmanager
    async def daemon_database() -> AsyncIterator[Database]:
        yield api.db  # contenthubd's own, open for its life

    report = await check_health(api.settings, api.clock.now(), open_database=daemon_database, error_text=_error_text)
    return JSONResponse(health_json(report), status_code=503 if report.overall == "unhealthy" else 200)


@router.get("/api/v1/content/health", summary="The content service answers: 200, or 503 without its database",
            response_model=None)
async def content_health(api: ApiDep) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "healthy",
        "service": "contenthub-async",
        "version": __version__,
        "daemon_id": api.daemon_id,
        "async_enabled": api.settings.ASYNC_CONTENT_GENERATION_ENABLED,
        "database": api.db.backend,
        "checked_at": utc_iso(api.clock.now()),
    }
    try:
        async with api.db.read() as conn:
            from sqlalchemy import text

            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - unreachable, whatever the reason
        return JSONResponse({**body, "status": "unhealthy"}, status_code=503)
    return JSONResponse(body)


def _error_text(exc: BaseException) -> str:
    """Why the health check could not use the database; a bug keeps its traceback."""
    message = failure_message(exc)
    if message is None:
        raise exc
    return message.text()
