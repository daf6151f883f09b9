"""The one skeleton of every service loop of contenthubd (after River's services).

A service does one round of work in :meth:`Service.run_once` — tests call it directly —
and says when it wants the next round. :class:`ServiceLoop` runs rounds until the daemon
stops: it logs a failed round and carries on (the database may be away for a moment), and
between rounds it sleeps until the round is due, the daemon's :class:`Wakeup` says something
changed (for services that wait for work), or the daemon stops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import anyio

from contenthub_async.services.wakeup import Wakeup

#: After a failed round, wait at most this long before the next one.
ERROR_RETRY_SECONDS = 5.0


class Service(Protocol):
    #: the component name in logs
    name: str

    async def run_once(self) -> float | None:
        """One round of work. Returns the seconds until the next round is wanted
        (0: at once; None: the loop's regular interval)."""
        ...


class ServiceLoop:
    def __init__(
        self, service: Service, *, interval: float, log: Any, wakeup: Wakeup | None = None,
        woken_at_most_every: float = 0.0,
    ) -> None:
        """``interval``: seconds between rounds when ``run_once`` names no delay;
        ``wakeup``: wake early when it reports a change (None: sleep the whole delay);
        ``woken_at_most_every``: a wake-up sooner than this after the last round waits until
        then (for a service that need not see every change at once: a busy daemon's writes
        report changes many times a second)."""
        self.service = service
        self.interval = interval
        self.wakeup = wakeup
        self.woken_at_most_every = woken_at_most_every
        self.log = log

    async def run(self, stopping: anyio.Event) -> None:
        """Run rounds until ``stopping`` is set (a round in progress finishes first)."""
        while not stopping.is_set():
            seen = self.wakeup.generation if self.wakeup else 0
            try:
                delay = await self.service.run_once()
            except Exception:
                self.log.exception("round failed; retrying shortly", component=self.service.name)
                delay = min(self.interval, ERROR_RETRY_SECONDS)
            if delay is None:
                delay = self.interval
            if delay > 0 and not stopping.is_set():
                await self._sleep(delay, stopping, seen)

    async def _sleep(self, delay: float, stopping: anyio.Event, seen: int) -> None:
        async with anyio.create_task_group() as sleepers:
            async def until_stopping() -> None:
                await stopping.wait()
                sleepers.cancel_scope.cancel()

            sleepers.start_soon(until_stopping)
            if self.wakeup is None:
                await anyio.sleep(delay)
            else:
                asleep_since = anyio.current_time()
                if await self.wakeup.wait(seen, delay):
                    spaced = min(delay, self.woken_at_most_every) - (anyio.current_time() - asleep_since)
                    if spaced > 0:
                        await anyio.sleep(spaced)
            sleepers.cancel_scope.cancel()


async def release_on_stop(release: Callable[[], Awaitable[object]], *, timeout: float, log: Any, what: str,
                          **fields: Any) -> None:
    """Give back a lease as the daemon stops: shielded from the stop's cancellation, bounded by
    ``timeout``, and best effort. A release that fails (the database went away) leaves the lease
    to expire, exactly as a crash would; it must not turn a clean stop into a failure."""
    with anyio.CancelScope(shield=True), anyio.move_on_after(timeout):
        try:
            await release()
        except Exception as error:  # noqa: BLE001 - logged; the lease expires
            if log is not None:
                log.warning(f"{what} not released; it will expire", error=str(error), **fields)
