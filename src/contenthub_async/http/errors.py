"""Every failure as one JSON body in the request's language, never a traceback.

Shape (docs/api.md): ``{"error": <stable code>, "message": <text>}``, plus for 422
``"errors": [{"field", "reason", "message"}, ...]`` naming each bad field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from contenthub_async.domain.submission import InvalidSubmission
from contenthub_async.services.errors import ServiceError
from contenthub_async.texts.failures import invalid_field_text, service_error_message
from contenthub_async.texts.messages import accepted_language, has_text, text, use_language
from contenthub_async.texts.validation import validation_text

log = structlog.get_logger("contenthubd.http")

#: HTTP status of each service error code (docs/api.md).
SERVICE_STATUS = {
    "task_not_found": 404,
    "job_not_found": 404,
    "invalid_task_state": 409,
    "duplicate_job_name": 409,
    "unknown_account": 422,
    "inactive_account": 422,
}

#: The request field a service error is about, for the 422 ``errors`` list.
SERVICE_FIELD = {"unknown_account": "account_id", "inactive_account": "account_id"}


class ApiError(Exception):
    """A refusal with a status, a stable code and a catalog message."""

    def __init__(self, status: int, code: str, key: str, **fields: object) -> None:
        self.status = status
        self.code = code
        self.key = key
        self.fields = fields
        super().__init__(code)


class InvalidFields(Exception):
    """One or more request fields are invalid: (field, reason, message) each."""

    def __init__(self, problems: Sequence[tuple[str, str, str]]) -> None:
        self.problems = list(problems)
        super().__init__(", ".join(field for field, _, _ in problems))


def field_problem(field: str, reason: str, details: Mapping[str, object] | None = None) -> tuple[str, str, str]:
    """A domain validation problem (``invalid.<reason>`` of the catalogs) naming the JSON field."""
    return field, reason, invalid_field_text(field, reason, field, dict(details or {}))


def submission_problems(problems: Sequence[InvalidSubmission]) -> InvalidFields:
    return InvalidFields([field_problem(p.field, p.reason, p.details) for p in problems])


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def _respond(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def _language(request: Request) -> Any:
    return use_language(accepted_language(request.headers.get("accept-language")))


def invalid_response(problems: Sequence[tuple[str, str, str]]) -> JSONResponse:
    errors = [{"field": field, "reason": reason, "message": message} for field, reason, message in problems]
    body = error_body("validation_failed", text("http.validation_failed", count=len(errors)), errors=errors)
    return JSONResponse(body, status_code=422)


def _pydantic_problem(error: Mapping[str, Any]) -> tuple[str, str, str]:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    field = ".".join(location) or "body"
    reason = str(error.get("type", "invalid"))
    why = validation_text(reason, error.get("ctx") or {}, str(error.get("msg", reason)))
    return field, reason, text("http.invalid_field", field=field, reason=why)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    with _language(request):
        errors = exc.errors()
        malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
        if malformed is not None:
            detail = str((malformed.get("ctx") or {}).get("error", ""))
            return _respond(request, 400, error_body("malformed_json", text("http.malformed_json", detail=detail)))
        return invalid_response([_pydantic_problem(e) for e in errors])


async def _on_invalid_fields(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidFields)
    with _language(request):
        return invalid_response(exc.problems)


async def _on_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    with _language(request):
        message = service_error_message(exc).text()
        status = SERVICE_STATUS.get(exc.code, 409)
        if status == 422:
            field = SERVICE_FIELD.get(exc.code, "body")
            return invalid_response([(field, exc.code, message)])
        return _respond(request, status, error_body(exc.code, message))


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    with _language(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _respond(request, exc.status, error_body(exc.code, text(exc.key, **exc.fields)), headers)


HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    with _language(request):
        code = HTTP_CODES.get(exc.status_code, "http_error")
        key = f"http.{code}"
        message = text(key) if has_text(key) and exc.status_code != 413 else str(exc.detail)
        return _respond(request, exc.status_code, error_body(code, message), dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in an HTTP request", method=request.method, path=request.url.path)
    with _language(request):
        return _respond(request, 500, error_body("internal_error", text("http.internal_error")))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(InvalidFields, _on_invalid_fields)
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
