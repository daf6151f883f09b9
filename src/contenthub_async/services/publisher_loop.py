"""The publisher loop of contenthubd: publishes due pool entries continuously.

Each round claims as many due entries as there are free slots (``CONTENTHUB_PUBLISH_CONCURRENCY``
per daemon) and publishes each in a child task that outlives the round. Between rounds it sleeps
until the next ``due_at`` (a scheduled entry or a retry's backoff), or until the daemon's
:class:`Wakeup` reports a change (an entry added, retried or rescued; a slot freed here).
On shutdown, publishes in flight get ``CONTENTHUB_SHUTDOWN_GRACE``; the rest are released.
"""

from __future__ import annotations

import anyio
import anyio.abc

from contenthub_async.domain.entities import PoolEntry
from contenthub_async.services import publishing
from contenthub_async.services.loop import ServiceLoop, release_on_stop
from contenthub_async.services.publishing import Publishing
from contenthub_async.services.wakeup import Wakeup
from contenthub_async.store import pool as pool_store

#: The longest sleep without a due entry in sight (other daemons may add work without notifying
#: on SQLite's polling, and clocks drift): a cheap re-check.
MAX_IDLE_SECONDS = 30.0


class PublisherLoop:
    name = "publisher"

    def __init__(self, p: Publishing, wakeup: Wakeup, *, concurrency: int, shutdown_grace: float,
                 max_idle: float = MAX_IDLE_SECONDS) -> None:
        self.p = p
        self.wakeup = wakeup
        self.concurrency = concurrency
        self.shutdown_grace = shutdown_grace
        self.max_idle = max_idle
        self.log = p.log
        self._in_progress = 0
        self._publishes: anyio.abc.TaskGroup | None = None

    async def run_once(self) -> float | None:
        """Claim into the free slots and start those publishes; the delay until the next round."""
        assert self._publishes is not None, "run_once runs inside run()"
        free = self.concurrency - self._in_progress
        if free <= 0:
            return self.max_idle  # a finished publish frees a slot and wakes us
        # A read first: a round with nothing due takes no write lock (which submissions and the
        # other loops wait for).
        due_in = await self._seconds_until_due()
        if due_in is None or due_in > 0:
            return self._sleep_for(due_in)
        claimed = await publishing.claim(self.p, limit=free)
        for entry in claimed:
            self._in_progress += 1
            self._publishes.start_soon(self._publish, entry)
        if claimed:
            return 0
        return self._sleep_for(await self._seconds_until_due())  # another daemon was faster

    async def _seconds_until_due(self) -> float | None:
        """Until the next pending entry is due (0 or less: due now; None: nothing pending)."""
        async with self.p.db.read() as conn:
            due = await pool_store.earliest_due(conn)
        return None if due is None else (due - self.p.clock.now()).total_seconds()

    def _sleep_for(self, due_in: float | None) -> float:
        if due_in is None:
            return self.max_idle
        return min(self.max_idle, max(0.05, due_in))

    async def run(self, stopping: anyio.Event) -> None:
        async with anyio.create_task_group() as publishes:
            self._publishes = publishes
            await ServiceLoop(self, interval=self.max_idle, log=self.log, wakeup=self.wakeup).run(stopping)
            if self.log is not None:
                self.log.info("publisher stopping", in_progress=self._in_progress)
            publishes.cancel_scope.deadline = anyio.current_time() + self.shutdown_grace
        self._publishes = None

    async def _publish(self, entry: PoolEntry) -> None:
        try:
            await publishing.publish_entry(self.p, entry)
        except anyio.get_cancelled_exc_class():
            await release_on_stop(lambda: publishing.release(self.p, entry), timeout=publishing.RELEASE_TIMEOUT_SECONDS,
                                  log=self.log, what="the pool entry's lease", pool_id=entry.id)
            raise
        except Exception:
            # E.g. the database failed while recording the outcome: the lease expires and the
            # janitor returns the entry to the pool (the documented at-least-once window).
            if self.log is not None:
                self.log.exception("publish failed; the lease will expire", pool_id=entry.id)
        finally:
            self._in_progress -= 1
            self.wakeup.notify()
