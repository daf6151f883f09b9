"""When to try a webhook delivery again, and when to give up: one pure function.

Guarantees of :func:`next_attempt_at` for a delivery created at ``created``, after failed
attempt number ``n >= 1`` at ``now``, with base ``b``, cap ``c`` and horizon ``h``:

* it returns None ("dead") exactly when ``now >= created + h``: a delivery is retried until
  the horizon has passed, and never after;
* otherwise the delay is :func:`contenthub_async.domain.backoff.retry_delay` of ``n``: in
  ``[nominal × (1 − jitter), nominal]`` with ``nominal = min(c, b × 2^(n−1))``, so retries of
  many deliveries that failed together spread out, and never wait longer than ``c``;
* the returned time is never later than ``created + h``: the last attempt happens at the
  horizon at the latest, so a receiver that comes back before then gets the event.

With the defaults (base 10 s, cap 1 h, horizon 24 h) that is about 30 attempts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from contenthub_async.domain.backoff import retry_delay

#: The longest wait between two attempts.
RETRY_CAP_SECONDS = 3600.0


def next_attempt_at(
    *,
    attempt: int,
    created: datetime,
    now: datetime,
    base: float,
    horizon: float,
    cap: float = RETRY_CAP_SECONDS,
    rng: random.Random | None = None,
) -> datetime | None:
    """The time of the next attempt after failed attempt ``attempt``; None: give up (dead)."""
    deadline = created + timedelta(seconds=horizon)
    if now >= deadline:
        return None
    delay = retry_delay(attempt, base, cap, rng=rng)
    return min(now + timedelta(seconds=delay), deadline)
