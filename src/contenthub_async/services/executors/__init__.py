"""Executors of scheduled jobs, by ``job_type``, and their parameter validation.

An executor has a ``name``, a pydantic ``params_model`` (validated when a job is saved and again
before each run) and ``async execute(ctx, params) -> dict`` (the run's ``result``). ``execute``
does its work in short transactions of its own (``ctx.db``), never one long one: a long job must
not hold the write lock everybody else needs. It must be idempotent per run (``ctx.run.id``): a
run whose daemon died mid-execution is executed again, and must not do its work twice. Raise
:class:`RunFailed` to fail the run with a result (the run is recorded ``failed``).

Adding an executor (e.g. ``publishing``) does not touch the scheduler: either list its import
path in :data:`BUILTINS` or call :func:`register` at import time of a module the daemon loads.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from contenthub_async.clock import Clock
from contenthub_async.domain.entities import Job, JobRun
from contenthub_async.store.database import Database

if TYPE_CHECKING:  # pydantic is imported with the first executor: a daemon with no job never needs it
    from pydantic import BaseModel

    from contenthub_async.services.context import ServiceContext

#: job_type -> "module:attribute" of the executor object, imported on first use.
BUILTINS: dict[str, str] = {
    "async_content_generation": "contenthub_async.services.executors.content_generation:EXECUTOR",
    "cleanup": "contenthub_async.services.executors.cleanup:EXECUTOR",
    "publishing": "contenthub_async.services.executors.publishing:EXECUTOR",
}

_registered: dict[str, Executor] = {}


@dataclass(frozen=True)
class RunContext:
    db: Database
    clock: Clock
    now: datetime  # when the run started
    job: Job
    run: JobRun
    actor: str = "scheduler"
    #: the daemon's context, for executors that act like its loops (``publishing``)
    daemon: ServiceContext | None = None


class Executor(Protocol):
    name: str
    params_model: type[BaseModel]

    async def execute(self, ctx: RunContext, params: Any) -> dict[str, Any]: ...


class UnknownJobType(LookupError):
    def __init__(self, job_type: str) -> None:
        self.job_type = job_type
        super().__init__(job_type)


class InvalidJobParams(ValueError):
    """``field``: the dotted path of the offending parameter (``account_ids.0``); ``message``: why
    (pydantic's English); ``kind`` and ``context``: pydantic's error type and context, for wording
    the reason in another language."""

    def __init__(self, field: str, message: str, kind: str = "value_error",
                 context: dict[str, Any] | None = None) -> None:
        self.field = field
        self.message = message
        self.kind = kind
        self.context = dict(context or {})
        super().__init__(f"{field}: {message}")


class RunFailed(Exception):
    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        self.result = result
        super().__init__(message)


def register(executor: Executor, *, replace: bool = False) -> None:
    if executor.name in _registered and not replace:
        raise ValueError(f"executor {executor.name!r} is already registered")
    _registered[executor.name] = executor


def unregister(name: str) -> None:
    _registered.pop(name, None)


def job_types() -> list[str]:
    return sorted(set(BUILTINS) | set(_registered))


def executor_for(job_type: str) -> Executor:
    if job_type in _registered:
        return _registered[job_type]
    path = BUILTINS.get(job_type)
    if path is None:
        raise UnknownJobType(job_type)
    module, _, attribute = path.partition(":")
    executor = getattr(importlib.import_module(module), attribute)
    _registered[job_type] = executor
    return executor


def parse_params(job_type: str, raw: Any) -> BaseModel:
    """The validated params model, or :class:`InvalidJobParams` naming the first bad field."""
    model = executor_for(job_type).params_model  # its module imported pydantic
    from pydantic import ValidationError

    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "params"
        raise InvalidJobParams(field, first.get("msg", "invalid"), first.get("type", "value_error"),
                               first.get("ctx")) from None


def validate_params(job_type: str, raw: Any) -> dict[str, Any]:
    """Validated params as stored (JSON-ready, defaults filled in)."""
    return parse_params(job_type, raw).model_dump(mode="json", exclude_none=True)
