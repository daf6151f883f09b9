"""The common submission, ``POST /api/v1/content/generate/async``, answered in few steps.

Submissions are the request other services send most (the goal is a thousand a second). Through
the framework a submission passes some fifteen ASGI layers (FastAPI's error, telemetry and
body-limit wrappers, the four of ``http/middleware.py``, Starlette's exception handling, the
router's matching of every route, dependency resolution), which cost more CPU than the
request's share of the group commit. :class:`SubmitFastPath`, the application's outermost layer,
answers a well-formed submission itself with the steps of that path, in the same order and with
the same code where there is code to share: the bearer token compared in constant time, the
body cap, the language of ``Accept-Language``, the body parsed by ``json.loads`` and validated by
the route's own model and rules (``routes/tasks.py``), the same batcher, the same answer, and the
same ``contenthub_http_requests_total`` count.

Anything else goes to the application unchanged, with the body it read handed on as it came, so
every refusal is the application's own answer: a bad field, body or ``Idempotency-Key``, a body
not declared by ``Content-Length`` or over the cap, another content type, a missing or wrong
token. Only a failure of the submission itself (an unknown or inactive account, a failed
commit) cannot be handed on, since the submission was made: it is answered by the
application's handler for that exception, as its exception middleware would.
"""

from __future__ import annotations

import hmac
import inspect
import json
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contenthub_async import telemetry
from contenthub_async.http.errors import InvalidFields
from contenthub_async.http.middleware import MAX_BODY
from contenthub_async.http.routes.tasks import (
    SubmitBody,
    checked_submission,
    idempotency_key_of,
    submitted_response,
)
from contenthub_async.texts.messages import accepted_language, use_language

if TYPE_CHECKING:
    from fastapi import FastAPI

SUBMIT_PATH = "/api/v1/content/generate/async"

#: Content types taken here (FastAPI takes any ``application/json`` or ``+json`` type).
_JSON = (b"application/json", b"application/json; charset=utf-8")
_READ = {b"content-type", b"content-length", b"transfer-encoding", b"authorization", b"accept-language",
         b"idempotency-key"}


class SubmitFastPath:
    """ASGI: submissions answered here when they are well formed, the rest by ``app`` (module docstring)."""

    def __init__(self, app: ASGIApp, application: FastAPI) -> None:
        self.app = app
        self.application = application
        token = application.state.api.settings.CONTENTHUB_API_TOKEN
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SUBMIT_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        length = headers.get(b"content-length", b"")
        if (headers.get(b"content-type", b"").lower() not in _JSON or b"transfer-encoding" in headers
                or not length.isdigit() or int(length) > MAX_BODY
                or (self.expected is not None
                    and not hmac.compare_digest(headers.get(b"authorization", b""), self.expected))):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        body = b""
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":  # the client went away: the application's business
                await self.app(scope, _replaying(received, receive), send)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        key_header = headers.get(b"idempotency-key")
        api = self.application.state.api
        language = accepted_language(_text(headers.get(b"accept-language")))
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            submission = SubmitBody.model_validate(data, from_attributes=True)
            key = idempotency_key_of(_text(key_header))
            with use_language(language):
                task = checked_submission(api, submission)
        except (ValueError, ValidationError, InvalidFields):
            await self.app(scope, _replaying(received, receive), send)
            return
        status = 500
        try:
            with use_language(language):
                try:
                    accepted = await api.submissions.submit(task, idempotency_key=key)
                except Exception as exc:  # noqa: BLE001 - answered by the application's handler
                    status = await self._refused(scope, receive, send, exc)
                    return
                response = submitted_response(accepted, key)
            status = response.status_code
            await response(scope, receive, send)
        finally:
            telemetry.HTTP_REQUESTS.labels("POST", SUBMIT_PATH, str(status)).inc()

    async def _refused(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> int:
        """Answer ``exc`` with the application's handler for it; the status answered.

        As Starlette does: the handler of the nearest class in ``exc``'s MRO; the handler of
        ``Exception`` (an unexpected failure: 500) answers, then the exception goes on to the
        server, which logs it.
        """
        handlers = self.application.exception_handlers
        cls = next(c for c in type(exc).__mro__ if c in handlers)
        answer = handlers[cls](Request(scope, receive), exc)
        response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)
        if cls is Exception:
            raise exc
        return int(response.status_code)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The first value of each header read here, as the application reads them."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _READ and name not in found:
            found[name] = value
    return found


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back the messages already ``received``."""
    pending = list(received)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
