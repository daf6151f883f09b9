"""Cron jobs: list, show, trigger, pause, resume, and every job's runs (the phase-4 summary's paths)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from contenthub_async.http.context import Api, api_of
from contenthub_async.json_objects import execution_json, job_json, run_json
from contenthub_async.services import job_commands
from contenthub_async.store import jobs as job_store

router = APIRouter(prefix="/api/v1/scheduler", tags=["scheduler"])
ApiDep = Annotated[Api, Depends(api_of)]


@router.get("/tasks", summary="Every cron job")
async def list_jobs(api: ApiDep) -> list[dict[str, Any]]:
    async with api.db.read() as conn:
        jobs = await job_store.list_jobs(conn)
    return [job_json(job) for job in jobs]


@router.get("/tasks/{job}", summary="A cron job (by id or name) with its next firings")
async def show_job(job: str, api: ApiDep) -> dict[str, Any]:
    async with api.db.read() as conn:
        found = await job_commands.find_job(conn, job)
    return job_json(found, with_next_runs=True)


@router.post("/tasks/{job}/trigger", status_code=202, summary="Queue an immediate run of a cron job")
async def trigger_job(job: str, api: ApiDep) -> dict[str, Any]:
    _, run = await job_commands.trigger_job(api.db, job, clock=api.clock)
    return run_json(run)


@router.post("/tasks/{job}/pause", summary="Pause a cron job")
async def pause_job(job: str, api: ApiDep) -> dict[str, Any]:
    return job_json(await job_commands.set_job_active(api.db, job, False, clock=api.clock), with_next_runs=True)


@router.post("/tasks/{job}/resume", summary="Resume a paused cron job")
async def resume_job(job: str, api: ApiDep) -> dict[str, Any]:
    return job_json(await job_commands.set_job_active(api.db, job, True, clock=api.clock), with_next_runs=True)


@router.get("/executions", summary="The runs of every cron job, newest first")
async def executions(api: ApiDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 20) -> list[dict[str, Any]]:
    async with api.db.read() as conn:
        runs = await job_store.recent_runs(conn, limit=limit)
        jobs = {job.id: job for job in await job_store.list_jobs(conn)}
    return [execution_json(run, jobs) for run in runs]
