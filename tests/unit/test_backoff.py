"""domain/backoff.py: the bounds its docstring promises, for every attempt, base, cap and jitter."""

from __future__ import annotations

import random

import pytest

from contenthub_async.domain.backoff import decide_after_failure, nominal_delay, retry_delay
from contenthub_async.domain.states import TaskStatus


@pytest.mark.parametrize("base, cap", [(0.2, 2.0), (1.0, 300.0), (60.0, 3600.0), (5.0, 5.0)])
def test_nominal_delay_doubles_from_the_base_up_to_the_cap(base: float, cap: float) -> None:
    delays = [nominal_delay(n, base, cap) for n in range(1, 80)]
    assert delays[0] == min(cap, base)
    for n, delay in enumerate(delays, start=1):
        assert delay == min(cap, base * 2 ** (n - 1))
    assert delays == sorted(delays) and max(delays) == cap


def test_nominal_delay_refuses_attempt_zero_and_gives_zero_without_a_base() -> None:
    with pytest.raises(ValueError):
        nominal_delay(0, 1.0, 10.0)
    assert nominal_delay(5, 0.0, 10.0) == 0.0 and nominal_delay(5, -1.0, 10.0) == 0.0
    assert nominal_delay(10_000, 1.0, 1e9) == 1e9, "a huge attempt number overflows nothing"


@pytest.mark.parametrize("jitter", [0.0, 0.2, 0.5, 0.99])
def test_jitter_only_shortens_within_its_fraction(jitter: float) -> None:
    rng = random.Random(17)
    for attempt in range(1, 15):
        nominal = nominal_delay(attempt, 0.5, 120.0)
        draws = [retry_delay(attempt, 0.5, 120.0, jitter, rng) for _ in range(200)]
        assert all(nominal * (1 - jitter) <= d <= nominal for d in draws)
        assert all(0 <= d <= 120.0 for d in draws)
        if jitter:
            assert max(draws) - min(draws) > nominal * jitter * 0.5, "the draws spread over the band"
        else:
            assert set(draws) == {nominal}


def test_jitter_extremes_of_the_draw() -> None:
    class Fixed(random.Random):
        def __init__(self, value: float) -> None:
            super().__init__()
            self.value = value

        def random(self) -> float:
            return self.value

    assert retry_delay(3, 1.0, 100.0, 0.2, Fixed(0.0)) == 4.0
    assert retry_delay(3, 1.0, 100.0, 0.2, Fixed(0.999999)) == pytest.approx(4.0 * 0.8, rel=1e-5)


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 1.5])
def test_jitter_outside_zero_to_one_is_refused(jitter: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(1, 1.0, 10.0, jitter)


@pytest.mark.parametrize("outcome", [TaskStatus.FAILED, TaskStatus.TIMEOUT])
def test_retries_until_max_then_gives_up_with_the_outcome(outcome: TaskStatus) -> None:
    rng = random.Random(3)
    attempts = 0
    retry_count = 0
    while True:
        attempts += 1
        decision = decide_after_failure(retry_count=retry_count, max_retries=3, outcome=outcome, retryable=True,
                                        base=1.0, cap=60.0, rng=rng)
        if decision.status is not TaskStatus.PENDING:
            break
        assert decision.retry_count == retry_count + 1
        assert nominal_delay(decision.retry_count, 1.0, 60.0) * 0.8 <= decision.delay <= nominal_delay(
            decision.retry_count, 1.0, 60.0)
        retry_count = decision.retry_count
    assert attempts == 4, "at most max_retries + 1 attempts"
    assert (decision.status, decision.retry_count, decision.delay) == (outcome, 3, 0.0)


def test_a_permanent_error_or_no_retries_gives_up_at_once() -> None:
    for retryable, max_retries in ((False, 3), (True, 0)):
        decision = decide_after_failure(retry_count=0, max_retries=max_retries, outcome=TaskStatus.FAILED,
                                        retryable=retryable, base=1.0, cap=60.0)
        assert (decision.status, decision.retry_count, decision.delay) == (TaskStatus.FAILED, 0, 0.0)


@pytest.mark.parametrize("outcome", [s for s in TaskStatus if s not in (TaskStatus.FAILED, TaskStatus.TIMEOUT)])
def test_giving_up_is_only_failed_or_timeout(outcome: TaskStatus) -> None:
    with pytest.raises(ValueError):
        decide_after_failure(retry_count=0, max_retries=3, outcome=outcome, retryable=True, base=1.0, cap=60.0)
