"""The creator port: what the services need from content-creator, and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from contenthub_async.domain.notes import Note

__all__ = [
    "CreateRequest",
    "Creator",
    "CreatorError",
    "CreatorErrorKind",
    "CreatorResult",
    "CreatorStatus",
    "CreatorTaskState",
]


@dataclass(frozen=True)
class CreateRequest:
    topic: str
    requirements: str | None = None
    keywords: str | None = None
    category: str | None = None
    tone: str | None = None
    target_audience: str | None = None
    priority: int = 5


class CreatorStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (CreatorStatus.COMPLETED, CreatorStatus.FAILED, CreatorStatus.CANCELLED)


@dataclass(frozen=True)
class CreatorTaskState:
    creator_task_id: str
    status: CreatorStatus
    error_message: str | None = None
    current_step: str | None = None
    started_at: datetime | None = None  # tz-aware UTC
    completed_at: datetime | None = None  # tz-aware UTC


@dataclass(frozen=True)
class CreatorResult:
    creator_task_id: str
    markdown: str
    word_count: int | None
    image_urls: tuple[str, ...]
    quality_score: float | None = None  # content-creator's text check score (sync mode prints it)


class CreatorErrorKind(StrEnum):
    TIMEOUT = "timeout"  # the call exceeded its timeout; the process group was killed
    EXIT_STATUS = "exit_status"  # non-zero exit status without a more specific cause
    UNPARSABLE = "unparsable"  # the output did not contain what we expected
    UNKNOWN_TASK = "unknown_task"  # "未找到任务": the creator lost the task
    NOT_FINISHED = "not_finished"  # result of an unfinished task ("任务尚未完成")
    REJECTED = "rejected"  # the creator refused our arguments (permanent)
    NOT_FOUND = "not_found"  # the command cannot be started (retryable: an install or mount may be on its way)
    GENERATION_FAILED = "generation_failed"  # sync mode: the generation ran and ended "状态: 失败"


_PERMANENT = frozenset({CreatorErrorKind.REJECTED})


class CreatorError(Exception):
    """Any failure of a creator call.

    ``kind`` says what happened, ``retryable`` whether trying again later can help,
    ``message`` is the creator's own message when there is one. ``command``,
    ``returncode`` and ``stderr_tail`` describe the call (empty/None when not known,
    e.g. when a parser raised it). ``status`` is set for ``not_finished``.
    """

    def __init__(
        self,
        kind: CreatorErrorKind | str,
        message: str,
        *,
        command: str = "",
        returncode: int | None = None,
        stderr_tail: str = "",
        status: CreatorStatus | None = None,
        note: Note | None = None,
    ) -> None:
        self.kind = CreatorErrorKind(kind)
        self._note = note
        self.message = message
        self.command = command
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.status = status
        super().__init__(message)

    @property
    def note(self) -> Note:
        """The message as a stored note: ours by code, the creator's own text as it is."""
        return self._note or Note("creator.detail", {"detail": self.message})

    @property
    def retryable(self) -> bool:
        return self.kind not in _PERMANENT

    def __str__(self) -> str:
        text = f"{self.kind}: {self.message}"
        details = []
        if self.command:
            details.append(f"command: {self.command}")
        if self.returncode is not None:
            details.append(f"rc {self.returncode}")
        return f"{text} ({', '.join(details)})" if details else text

    def __repr__(self) -> str:
        return (
            f"CreatorError(kind={self.kind.value!r}, message={self.message!r}, "
            f"command={self.command!r}, returncode={self.returncode!r})"
        )


@runtime_checkable
class Creator(Protocol):
    async def create(self, request: CreateRequest) -> str:
        """Submit a task; returns the creator task id."""
        ...

    async def list_recent(self, limit: int) -> list[CreatorTaskState]:
        """The newest ``limit`` tasks of the creator, newest first (one call)."""
        ...

    async def status(self, creator_task_id: str) -> CreatorTaskState: ...

    async def result(self, creator_task_id: str) -> CreatorResult:
        """The article of a completed task (``not_finished`` error otherwise)."""
        ...

    async def cancel(self, creator_task_id: str) -> bool:
        """Advisory: True only when the creator says it cancelled the task."""
        ...

    async def version(self) -> str: ...

    async def generate(self, request: CreateRequest, *, deadline: float | None = None) -> CreatorResult:
        """Sync mode: run the whole generation in one creator process; its article.

        ``deadline`` is a time on the running event loop's clock
        (``asyncio.get_running_loop().time()``, the same as ``anyio.current_time()``)
        by which the generation must have ended, the wait for a free process slot
        included; ``None``: no limit. Past it, or when the awaiting task is
        cancelled, the creator's process group is stopped (TERM, then KILL after a
        grace) and reaped before this returns; on the deadline it raises
        ``CreatorError(kind='timeout')``, on cancellation the cancellation
        propagates. A generation the creator reports as failed raises
        ``generation_failed`` with the creator's cause; other failures as for the
        other calls (``unparsable``, ``rejected``, ``not_found``, ``exit_status``).
        If this process dies, the creator's process group dies with it.
        """
        ...
