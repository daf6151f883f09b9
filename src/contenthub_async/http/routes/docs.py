"""``GET /docs``: Swagger UI over ``/openapi.json``, its scripts and styles served from the
swagger-ui-bundle package, so the page works on a server without Internet access."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"

router = APIRouter(include_in_schema=False)
router.routes.append(Mount(ASSETS, app=StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui"))


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="contenthub-async API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )
