"""Probes for supervisors and load balancers: ``/healthz`` (the process answers) and
``/readyz`` (the database answers and its schema is this program's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from contenthub_async.http.context import Api, api_of
from contenthub_async.http.errors import error_body
from contenthub_async.store.migrations import SCHEMA_VERSION, current_version
from contenthub_async.texts.messages import text

router = APIRouter(tags=["probes"])


@router.get("/healthz", summary="The process is alive (open without the API token)")
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and its schema is current", response_model=None)
async def readyz(api: Annotated[Api, Depends(api_of)]) -> dict[str, Any] | JSONResponse:
    try:
        async with api.db.read() as conn:
            version = await current_version(conn)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        return JSONResponse(error_body("not_ready", text("http.database_unreachable", detail=detail)), status_code=503)
    if version != SCHEMA_VERSION:
        return JSONResponse(
            error_body("not_ready", text("http.schema_mismatch", version=version, expected=SCHEMA_VERSION)),
            status_code=503,
        )
    return {"status": "ready", "schema_version": version, "daemon_id": api.daemon_id}
