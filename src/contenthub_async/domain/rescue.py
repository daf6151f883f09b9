"""What happens to the work of a dead daemon, and the terms of singleton leases.

Guarantees:

* **Leased tasks: at least once.** A task holds its daemon's lease while ``submitting`` (the
  ``create`` call is in flight) and, in sync creator mode, while ``processing`` (the daemon's own
  creator process runs the generation; it dies with the daemon). When the daemon is dead
  (``domain/liveness.py``) — or, failing that, when the task's own lease
  (``CONTENTHUB_LEASE_SECONDS``) expires — the task goes back to ``pending`` and will be created
  or generated again: content-creator may keep an orphaned duplicate generation of a
  ``submitting`` task. A task whose operator asked to cancel it meanwhile ends ``cancelled``
  instead. Everything after content-creator accepted a task in async mode is exactly-once.
* **Job runs: again, idempotently.** A ``running`` job run of a dead daemon goes back to
  ``pending`` and runs again; executors do their work idempotently per run.
* **Singleton leases** (the tracking cycle): the lease of a dead owner is released at once.
  A live holder keeps its term by renewing it in database time every :func:`renew_every`
  seconds and gives up (aborts its cycle) when a renewal fails, or when it has not managed to
  renew by :func:`abort_before_expiry` seconds before the term would end. So a cycle longer than
  the term never overlaps a second daemon's cycle.
"""

from __future__ import annotations

from contenthub_async.domain.states import TaskStatus


def rescued_status(*, cancel_requested: bool) -> TaskStatus:
    """Where a leased task of a dead daemon goes."""
    return TaskStatus.CANCELLED if cancel_requested else TaskStatus.PENDING


def tracker_term_seconds(*, poll_interval: float, heartbeat_interval: float) -> float:
    """Length of a tracker term: three cycles, and no shorter than two heartbeat intervals (a
    holder that cannot write for that long would be taken for dead anyway)."""
    return max(3 * poll_interval, 2 * heartbeat_interval)


def renew_every(term_seconds: float) -> float:
    """How often a holder renews its term while it works: three chances per term."""
    return term_seconds / 3


def abort_before_expiry(term_seconds: float) -> float:
    """A holder that could not renew stops working this long before its term would end."""
    return term_seconds / 6
