"""The FastAPI application: routers, error handlers and middleware, all mounted here.

To add an area (a page, another API), write a router module and add it to :data:`ROUTERS`.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from contenthub_async import __version__
from contenthub_async.http.console import ConsoleConfig, console_router, is_console_path
from contenthub_async.http.context import Api
from contenthub_async.http.errors import install_error_handlers
from contenthub_async.http.fast_submit import SubmitFastPath
from contenthub_async.http.middleware import (
    OPEN_PATHS,
    BodyLimitMiddleware,
    LanguageMiddleware,
    RequestCountMiddleware,
    TokenMiddleware,
)
from contenthub_async.http.routes import docs, health, imports, monitor, prometheus, scheduler, tasks

#: Every router of the API, in the order they are matched.
ROUTERS: list[APIRouter] = [
    health.router, tasks.router, imports.router, monitor.router, scheduler.router, prometheus.router, docs.router,
]


#: FastAPI's own OpenTelemetry hooks off (FastAPI versions that have them): contenthubd reports
#: through /metrics, and asking OpenTelemetry whether it is configured cost ~30 µs per request.
_NO_NATIVE_TELEMETRY = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters else {}
)


class _Application(FastAPI):
    """FastAPI with well-formed submissions answered before its layers (http/fast_submit.py)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SubmitFastPath(super().build_middleware_stack(), self)


def create_app(api: Api) -> FastAPI:
    """The application serving ``api`` (its database, clock and settings)."""
    app = _Application(
        title="contenthub-async",
        version=__version__,
        description="The HTTP API of contenthubd: submit and follow content-generation tasks (docs/api.md).",
        docs_url=None,  # http/routes/docs.py serves /docs from the package's own assets
        redoc_url=None,
        **_NO_NATIVE_TELEMETRY,  # type: ignore[arg-type]
    )
    app.state.api = api
    for router in ROUTERS:
        app.include_router(router)
    # The web console at / (docs/console.md): it signs people in with the same token itself
    # (a login form and a cookie), so the bearer-token middleware leaves its paths to it.
    app.include_router(console_router(ConsoleConfig(
        db=api.db, clock=api.clock, max_concurrent=api.settings.ASYNC_MAX_CONCURRENT_TASKS,
        token=api.settings.CONTENTHUB_API_TOKEN,
    )))
    install_error_handlers(app)
    # Added last = runs first: every answer is counted and written in the request's language; the
    # token is checked before anything is read; then the body cap.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TokenMiddleware, token=api.settings.CONTENTHUB_API_TOKEN, open_paths=_OpenPaths())
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(RequestCountMiddleware)
    return app


class _OpenPaths:
    """What the bearer token does not guard: liveness, and the console (which guards itself)."""

    def __contains__(self, path: object) -> bool:
        return path in OPEN_PATHS or (isinstance(path, str) and is_console_path(path))
