"""domain/states.py: every allowed and every refused move of the task state machine."""

from __future__ import annotations

import itertools

import pytest

from contenthub_async.domain.states import (
    AT_CREATOR,
    IN_FLIGHT,
    RETRYABLE_BY_OPERATOR,
    TERMINAL,
    TRANSITIONS,
    can_transition,
    sources_of,
)
from contenthub_async.domain.states import TaskStatus as S

#: The state machine of docs/architecture.md, written out pair by pair.
ALLOWED = {
    (S.PENDING, S.SUBMITTING), (S.PENDING, S.CANCELLED),
    (S.SUBMITTING, S.SUBMITTED), (S.SUBMITTING, S.PENDING), (S.SUBMITTING, S.FAILED), (S.SUBMITTING, S.CANCELLED),
    (S.SUBMITTING, S.PROCESSING),  # sync creator mode: the daemon's own process runs the generation
    (S.SUBMITTED, S.PROCESSING), (S.SUBMITTED, S.COMPLETED), (S.SUBMITTED, S.FAILED), (S.SUBMITTED, S.TIMEOUT),
    (S.SUBMITTED, S.CANCELLED), (S.SUBMITTED, S.PENDING),
    (S.PROCESSING, S.COMPLETED), (S.PROCESSING, S.FAILED), (S.PROCESSING, S.TIMEOUT), (S.PROCESSING, S.CANCELLED),
    (S.PROCESSING, S.PENDING),
    (S.FAILED, S.PENDING), (S.TIMEOUT, S.PENDING), (S.CANCELLED, S.PENDING),
}
PAIRS = list(itertools.product(S, S))


def test_the_table_lists_every_status() -> None:
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("source, target", sorted(ALLOWED), ids=lambda s: s.value)
def test_allowed(source: S, target: S) -> None:
    assert can_transition(source, target)
    assert source in sources_of(target)


@pytest.mark.parametrize("source, target", sorted(set(PAIRS) - ALLOWED), ids=lambda s: s.value)
def test_refused(source: S, target: S) -> None:
    assert not can_transition(source, target)
    assert source not in sources_of(target)


def test_completed_is_final_and_no_status_moves_to_itself() -> None:
    assert TRANSITIONS[S.COMPLETED] == frozenset()
    assert not any(can_transition(s, s) for s in S)


def test_the_named_sets() -> None:
    assert TERMINAL == {S.COMPLETED, S.FAILED, S.TIMEOUT, S.CANCELLED}
    assert IN_FLIGHT == {S.SUBMITTING, S.SUBMITTED, S.PROCESSING} and not IN_FLIGHT & TERMINAL
    assert AT_CREATOR == {S.SUBMITTED, S.PROCESSING} <= IN_FLIGHT
    # What an operator may retry is exactly the terminal statuses that may go back to pending.
    assert RETRYABLE_BY_OPERATOR == {s for s in TERMINAL if can_transition(s, S.PENDING)}
    # Every task in flight can be cancelled and sent back to the queue (lease expiry).
    assert all(can_transition(s, S.CANCELLED) and can_transition(s, S.PENDING) for s in IN_FLIGHT)
