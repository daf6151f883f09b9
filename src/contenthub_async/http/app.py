"""The FastAPI application: routers, error handlers and middleware, all mounted here.

To add an area (a page, another API), write a router module and add it to :data:`ROUTERS`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from contenthub_async import __version__
from contenthub_async.http.context import Api
from contenthub_async.http.errors import install_error_handlers
from contenthub_async.http.middleware import BodyLimitMiddleware, LanguageMiddleware, TokenMiddleware
from contenthub_async.http.routes import health, tasks

#: Every router of the API, in the order they are matched.
ROUTERS: list[APIRouter] = [health.router, tasks.router]


def create_app(api: Api) -> FastAPI:
    """The application serving ``api`` (its database, clock and settings)."""
    app = FastAPI(
        title="contenthub-async",
        version=__version__,
        description="The HTTP API of contenthubd: submit and follow content-generation tasks (docs/api.md).",
    )
    app.state.api = api
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    # Added last = runs first: the token before anything is read, then the body cap, then the language.
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TokenMiddleware, token=api.settings.CONTENTHUB_API_TOKEN)
    return app
