"""Retry policy: small pure functions with documented guarantees (after Oban).

Guarantees of :func:`retry_delay` for attempt ``n >= 1``, base ``b``, cap ``c``, jitter ``j``:

* the nominal delay is ``min(c, b * 2 ** (n - 1))``;
* the returned delay lies in ``[nominal * (1 - j), nominal]``: jitter only ever shortens,
  so ``nominal`` is a hard upper bound and ``nominal * (1 - j)`` a hard lower bound;
* it never exceeds ``c`` and is never negative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from contenthub_async.domain.states import TaskStatus

DEFAULT_JITTER = 0.2


def nominal_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential delay before retry number ``attempt`` (1 for the first retry)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if base <= 0:
        return 0.0
    exponent = min(attempt - 1, 62)  # 2**62 * base overflows nothing and exceeds any cap
    return min(cap, base * (2.0**exponent))


def retry_delay(
    attempt: int,
    base: float,
    cap: float,
    jitter: float = DEFAULT_JITTER,
    rng: random.Random | None = None,
) -> float:
    """Delay in seconds before retry ``attempt``, with downward jitter (see module doc)."""
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    nominal = nominal_delay(attempt, base, cap)
    draw = (rng or random).random()
    return nominal * (1.0 - jitter * draw)


@dataclass(frozen=True)
class FailureDecision:
    """What to do with a task whose attempt just failed or timed out."""

    status: TaskStatus  # PENDING (retry) or the final FAILED / TIMEOUT
    retry_count: int
    delay: float  # seconds until run_after; 0 when final


def decide_after_failure(
    *,
    retry_count: int,
    max_retries: int,
    outcome: TaskStatus,
    retryable: bool,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> FailureDecision:
    """Retry while ``retry_count < max_retries`` and the error is retryable; else give up.

    ``outcome`` is the final status to use when giving up (FAILED or TIMEOUT).
    The number of attempts is therefore at most ``max_retries + 1``.
    """
    if outcome not in (TaskStatus.FAILED, TaskStatus.TIMEOUT):
        raise ValueError(f"outcome must be failed or timeout, not {outcome}")
    if retryable and retry_count < max_retries:
        attempt = retry_count + 1
        return FailureDecision(TaskStatus.PENDING, attempt, retry_delay(attempt, base, cap, rng=rng))
    return FailureDecision(outcome, retry_count, 0.0)
