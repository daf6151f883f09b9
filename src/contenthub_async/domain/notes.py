"""Messages the system stores for people: a code with parameters, rendered in the reader's language.

A task's timeline (``task_events``), its last error (``content_generation_tasks.error_*``)
and a publish-pool entry's timeline (``publish_events``) are written by the daemon but read by operators in Chinese or English. So they are stored as a
:class:`Note`: a stable ``code`` plus ``params`` (JSON), and, for whoever reads the tables with
``sqlite3``/``psql``, the English sentence in the ``message``/``error_message`` column.
``contenthub-ctl`` renders the code in the reader's locale (``note.<code>`` in its catalogs);
rows written before codes existed have only the English sentence, which is shown as it is.

A parameter may itself be a note (the error inside "gave up after 3 attempts: …"); it is stored
as ``{"code": …, "params": …}`` and rendered first. Text that comes from content-creator (its
own error lines, often Chinese) is a plain string parameter, shown as it is in every language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Union

ParamValue = Union[str, int, float, "Note"]
TemplateLookup = Callable[[str], str]

#: Every code and its English sentence; ``{name}`` fields are the parameters.
ENGLISH: dict[str, str] = {
    # task timeline
    "task.submitted": "submitted",
    "task.claimed": "claimed",
    "task.accepted": "accepted by content-creator as {creator_task_id}",
    "task.running": "content-creator is running it",
    "task.content_created_pending_review": "content {content_id} created, awaiting review",
    "task.content_created_approved": "content {content_id} created, approved",
    "task.content_created_pooled": "content {content_id} created, approved and queued",
    "task.retry_scheduled": "attempt {attempt} failed, retry {retry}/{max_retries} in {delay}s: {error}",
    "task.gave_up": "gave up after {attempts} attempt(s): {error}",
    "task.cancelled_after_failure": "cancelled as requested (the attempt failed: {error})",
    "task.cancel_requested": "cancel requested",
    "task.cancelled_before_submission": "cancelled before submission",
    "task.cancelled_by_operator": "cancelled by operator",
    "task.cancelled_creator_kept_running": "cancelled by operator (content-creator could not stop it; its result will be ignored)",
    "task.manual_retry": "manual retry (after {retries} automatic retries)",
    "task.lease_expired_requeued": "lease expired; back to the queue",
    "task.lease_expired_cancelled": "lease expired; cancelled as requested",
    "task.owner_dead_requeued": "its daemon is dead; back to the queue",
    "task.owner_dead_cancelled": "its daemon is dead; cancelled as requested",
    "task.released_at_shutdown": "released at shutdown before content-creator answered",
    "task.cancelled_at_shutdown": "cancelled as requested at shutdown",
    "task.running_here": "content-creator runs it in a process of this daemon (sync mode)",
    "task.cancelled_process_stopped": "cancelled by operator; content-creator's process was stopped",
    "task.cancelled_result_discarded": "cancelled by operator; the article that came too late is discarded",
    "task.generation_released_at_shutdown": "released: the daemon is stopping; the generation will run again",
    # publish-pool timeline (``publish_events``); {error} is the publisher's own text
    "pool.added": "added to the pool",
    "pool.approved": "approved",
    "pool.auto_approved": "auto-approved article of {task_id}",
    "pool.claimed": "claimed",
    "pool.published": "published as {external_id}",
    "pool.attempt_failed_retryable": "attempt {attempt} failed (retryable): {error}",
    "pool.attempt_failed_permanent": "attempt {attempt} failed (permanent): {error}",
    "pool.released_at_shutdown": "released at shutdown before the publisher answered",
    "pool.lease_expired_requeued": "lease expired; back to the pool",
    "pool.owner_dead_requeued": "its daemon is dead; back to the pool",
    "pool.manual_retry": "manual retry (after {attempts} attempts)",
    # errors (the task's last error, and the {error} of the notes above)
    "error.create_failed": "content-creator create failed ({kind}): {detail}",
    "error.creator_failed": "content-creator reported failure: {detail}",
    "error.creator_failed_silently": "content-creator reported failure",
    "error.creator_cancelled": "cancelled at content-creator by someone else",
    "error.creator_lost_task": "content-creator lost task {creator_task_id}: {detail}",
    "error.creator_lost_result": "content-creator lost the result of {creator_task_id}",
    "error.timed_out": "timed out after {seconds}s at content-creator ({creator_task_id})",
    "error.result_hung": "content-creator finished {creator_task_id}, but its result call hung: {detail}",
    "error.result_unparsable": "content-creator finished {creator_task_id}, but its result could not be read: {detail}",
    "error.result_failed": "content-creator finished {creator_task_id}, but its result call failed: {detail}",
    "error.generation_timed_out": "timed out after {seconds}s; content-creator's process was stopped",
    "error.generation_failed": "content-creator generation failed ({kind}): {detail}",
    # what a content-creator call reported (the {detail} of the errors above)
    "creator.detail": "{detail}",
    "creator.no_answer": "no answer within {seconds} s; process group killed",
    "creator.no_slot": "no creator process slot was free before the deadline",
    "creator.deadline": "the generation had not ended by its deadline; process group stopped",
    "creator.cannot_start": "cannot start content-creator command {command!r}: {reason}",
    "creator.no_workdir": "working directory {workdir!r} of content-creator does not exist",
}


@dataclass(frozen=True)
class Note:
    """A stored message: ``code`` (a key of :data:`ENGLISH`) and its parameters."""

    code: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in ENGLISH:
            raise KeyError(f"unknown note code {self.code!r}")

    def english(self) -> str:
        """The English sentence (what the ``message`` columns hold)."""
        return render(self, lambda code: ENGLISH[code])

    def to_json(self) -> str:
        """The ``params`` column: a JSON object (nested notes as ``{"code", "params"}``)."""
        return json.dumps(_plain(self.params), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_columns(cls, code: str | None, params: str | None) -> Note | None:
        """The note stored in a (code, params) column pair; None for rows without a code."""
        if not code or code not in ENGLISH:
            return None
        return cls(code, _revive(json.loads(params)) if params else {})


def render(note: Note, template_of: TemplateLookup) -> str:
    """``note`` as text, with ``template_of(code)`` giving each sentence (nested notes first)."""
    fields = {
        name: render(value, template_of) if isinstance(value, Note) else _format_value(value)
        for name, value in note.params.items()
    }
    return template_of(note.code).format(**fields)


def _format_value(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(params: Mapping[str, ParamValue]) -> dict[str, object]:
    return {
        name: {"code": value.code, "params": _plain(value.params)} if isinstance(value, Note) else value
        for name, value in params.items()
    }


def _revive(params: Mapping[str, object]) -> dict[str, ParamValue]:
    revived: dict[str, ParamValue] = {}
    for name, value in params.items():
        if isinstance(value, dict) and value.get("code") in ENGLISH:
            revived[name] = Note(str(value["code"]), _revive(value.get("params") or {}))
        elif isinstance(value, str | int | float):
            revived[name] = value
        else:
            revived[name] = json.dumps(value, ensure_ascii=False)
    return revived
