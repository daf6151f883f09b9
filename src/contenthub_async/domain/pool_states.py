"""The publish-pool state machine of ``publish_pool.status`` (docs/publishing.md).

``pending → publishing (lease) → published | failed``; a failed attempt with attempts left goes
back to ``pending`` with a backoff, and an operator may send a ``failed`` entry back to
``pending``. ``published`` is final: an article is published at most once.
"""

from __future__ import annotations

from dataclasses import dataclass

from contenthub_async.domain.backoff import retry_delay
from contenthub_async.domain.vocabulary import PoolStatus

P = PoolStatus

#: Every allowed move. The store refuses any other.
TRANSITIONS: dict[PoolStatus, frozenset[PoolStatus]] = {
    P.PENDING: frozenset({P.PUBLISHING}),
    P.PUBLISHING: frozenset({P.PUBLISHED, P.FAILED, P.PENDING}),
    P.PUBLISHED: frozenset(),
    P.FAILED: frozenset({P.PENDING}),
}

#: Entries an operator may take out of the pool (``publish-pool remove``): nothing is in flight
#: and nothing was published.
REMOVABLE: frozenset[PoolStatus] = frozenset({P.PENDING, P.FAILED})

#: Lowest and highest pool priority; LOWER numbers are published first (the original pool's order).
PRIORITY_MIN, PRIORITY_MAX = 0, 10
DEFAULT_PRIORITY = 5


def can_transition(source: PoolStatus, target: PoolStatus) -> bool:
    return target in TRANSITIONS[source]


def pool_priority_of_task(task_priority: int) -> int:
    """A task's priority (0..10, higher first) as a pool priority (0..10, lower first), so an
    urgent task's article is also published first: 10 → 0, 5 → 5, 0 → 10."""
    return PRIORITY_MAX - max(PRIORITY_MIN, min(PRIORITY_MAX, task_priority))


@dataclass(frozen=True)
class AttemptDecision:
    """What happens to an entry whose publish call failed."""

    status: PoolStatus  # PENDING (retry later) or FAILED (given up)
    delay: float  # seconds until the next attempt; 0 when given up


def decide_after_failed_attempt(
    *, attempts: int, max_attempts: int, retryable: bool, base: float, cap: float
) -> AttemptDecision:
    """Retry a retryable failure while fewer than ``max_attempts`` calls were made; the delay
    before call ``n + 1`` is the jittered exponential backoff of retry ``n`` (domain.backoff)."""
    if retryable and attempts < max_attempts:
        return AttemptDecision(P.PENDING, retry_delay(attempts, base, cap))
    return AttemptDecision(P.FAILED, 0.0)
