"""Request-wide rules as plain ASGI middleware: the language, the API token, the body size cap."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Container

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contenthub_async import telemetry
from contenthub_async.texts.messages import accepted_language, text, use_language

#: Largest request body (bytes); ``/api/v1/content/import`` takes CSV files up to
#: :data:`MAX_IMPORT_BODY`.
MAX_BODY = 1 << 20
MAX_IMPORT_BODY = 32 << 20
IMPORT_PATH = "/api/v1/content/import"

#: Paths open without the API token (process liveness only).
OPEN_PATHS = frozenset({"/healthz"})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class RequestCountMiddleware:
    """Counts every answer in ``contenthub_http_requests_total`` by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            telemetry.HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()


class LanguageMiddleware:
    """Messages of the request in the language its ``Accept-Language`` prefers (zh or en)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with use_language(accepted_language(header(scope, b"accept-language"))):
            await self.app(scope, receive, send)


class TokenMiddleware:
    """With a token configured, every path but :data:`OPEN_PATHS` needs ``Authorization: Bearer <token>``
    (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str | None, open_paths: Container[str] = OPEN_PATHS) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is None or scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        given = (header(scope, b"authorization") or "").encode("latin-1")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        await send_error(send, 401, "unauthorized", text("http.unauthorized"), {"WWW-Authenticate": "Bearer"})


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by ``Content-Length`` or while reading (the
    handlers' HTTPException answer then writes the 413)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] | None = None) -> None:
        self.app = app
        self.limit_for = limit_for or (lambda path: MAX_IMPORT_BODY if path == IMPORT_PATH else MAX_BODY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_error(send, 413, "body_too_large", text("http.body_too_large", limit=limit))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, text("http.body_too_large", limit=limit))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:  # raised outside FastAPI's handlers
            if exc.status_code != 413 or started:
                raise
            await send_error(send, 413, "body_too_large", str(exc.detail))
