"""content-creator in memory: an implementation of ``creator/port.py`` for service-level tests.

Tasks stay where they are until the test moves them (``start``, ``complete``, ``fail``,
``forget``), and every call is recorded in ``calls``. The executable stand-in
(``scripts/fake-content-creator``) stays the double of the contract and acceptance tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from contenthub_async.creator.port import (
    CreateRequest,
    CreatorError,
    CreatorErrorKind,
    CreatorResult,
    CreatorStatus,
    CreatorTaskState,
)


@dataclass
class MemoryCreator:
    """Satisfies :class:`contenthub_async.creator.port.Creator`."""

    requests: dict[str, CreateRequest] = field(default_factory=dict)
    states: dict[str, CreatorTaskState] = field(default_factory=dict)
    articles: dict[str, CreatorResult] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    #: raised by the next ``create`` calls, one each, while any are left
    create_errors: list[CreatorError] = field(default_factory=list)

    async def create(self, request: CreateRequest) -> str:
        self.calls.append("create")
        if self.create_errors:
            raise self.create_errors.pop(0)
        creator_task_id = f"memory-{len(self.requests) + 1}"
        self.requests[creator_task_id] = request
        self.states[creator_task_id] = CreatorTaskState(creator_task_id, CreatorStatus.PENDING)
        return creator_task_id

    async def list_recent(self, limit: int) -> list[CreatorTaskState]:
        self.calls.append("list")
        return list(reversed(self.states.values()))[:limit]

    async def status(self, creator_task_id: str) -> CreatorTaskState:
        self.calls.append("status")
        if creator_task_id not in self.states:
            raise CreatorError(CreatorErrorKind.UNKNOWN_TASK, f"未找到任务: {creator_task_id}")
        return self.states[creator_task_id]

    async def result(self, creator_task_id: str) -> CreatorResult:
        self.calls.append("result")
        state = await self.status(creator_task_id)
        if state.status is not CreatorStatus.COMPLETED:
            raise CreatorError(CreatorErrorKind.NOT_FINISHED, "任务尚未完成", status=state.status)
        return self.articles[creator_task_id]

    async def cancel(self, creator_task_id: str) -> bool:
        self.calls.append("cancel")
        state = self.states.get(creator_task_id)
        if state is None or state.status.is_terminal:
            return False
        self.states[creator_task_id] = replace(state, status=CreatorStatus.CANCELLED, completed_at=_now())
        return True

    async def version(self) -> str:
        return "memory"

    async def generate(self, request: CreateRequest, *, deadline: float | None = None) -> CreatorResult:
        self.calls.append("generate")
        creator_task_id = await self.create(request)
        self.complete(creator_task_id)
        return self.articles[creator_task_id]

    # ------------------------------------------------------------ what the test does

    def start(self, creator_task_id: str) -> None:
        self._move(creator_task_id, CreatorStatus.RUNNING, started_at=_now(), current_step="write")

    def complete(self, creator_task_id: str, markdown: str | None = None) -> None:
        topic = self.requests[creator_task_id].topic
        text = markdown if markdown is not None else f"# {topic}\n\nAn article about {topic}.\n"
        self.articles[creator_task_id] = CreatorResult(creator_task_id, text, len(text.split()), ())
        self._move(creator_task_id, CreatorStatus.COMPLETED, completed_at=_now())

    def fail(self, creator_task_id: str, message: str) -> None:
        self._move(creator_task_id, CreatorStatus.FAILED, error_message=message, completed_at=_now())

    def forget(self, creator_task_id: str) -> None:
        """The creator lost the task (its store was wiped)."""
        del self.states[creator_task_id]

    def _move(self, creator_task_id: str, status: CreatorStatus, **changes: object) -> None:
        self.states[creator_task_id] = replace(self.states[creator_task_id], status=status, **changes)  # type: ignore[arg-type]


def _now() -> datetime:
    return datetime.now(UTC)
