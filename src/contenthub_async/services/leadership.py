"""Terms of a singleton lease (after River's elector): one daemon at a time does a singleton
duty (the tracking cycle), and never two at once, however long the duty takes.

A :class:`Term` is acquired and renewed in database time (``leases``; the lease of a dead
holder is released by ``services/takeover.py``). While :meth:`Term.run` does the work, the
term is renewed every ``renew_every(seconds)``; the work is cancelled when a renewal fails or
has not succeeded ``abort_before_expiry(seconds)`` before the term would end
(``domain/rescue.py``). Phases of the work call :meth:`Term.confirm` between them.

The term's end is known locally without trusting any clock but the database's: a renewal that
began at local monotonic time ``t`` read the database's time no earlier than ``t``, so the term
lasts at least until ``t + seconds`` on the local monotonic clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio

from contenthub_async.domain.rescue import abort_before_expiry, renew_every
from contenthub_async.services.loop import release_on_stop
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store.database import Database
from contenthub_async.store.prepared import PreparedConnection


class LeadershipLost(Exception):
    """The term ended (someone else holds the lease, or it could not be renewed in time)."""


class Term:
    def __init__(
        self, db: Database, name: str, *, owner: str, seconds: float, log: Any,
        unheard_writes: Callable[[], AbstractAsyncContextManager[PreparedConnection]],
    ) -> None:
        """``unheard_writes``: where a renewal of a held term is committed (the daemon's
        ``ServiceContext.write_unheard``, which wakes none of its loops)."""
        self.db = db
        self._unheard_writes = unheard_writes
        self.name = name
        self.owner = owner
        self.seconds = seconds
        self.log = log
        self._held_until: float | None = None  # local monotonic time; None: not held

    @property
    def held(self) -> bool:
        return self._held_until is not None and anyio.current_time() < self._held_until

    async def acquire(self) -> bool:
        """Take the lease, or renew it when this owner holds it; False when another holds it."""
        began = anyio.current_time()
        held = False
        if self.held:
            async with self._unheard_writes() as conn:
                now = await daemon_store.database_now(conn)
                held = await daemon_store.renew_lease(conn, self.name, owner=self.owner, now=now,
                                                      ttl_seconds=self.seconds)
        if not held:
            async with self.db.write() as conn:
                now = await daemon_store.database_now(conn)
                held = await daemon_store.try_acquire_lease(conn, self.name, owner=self.owner, now=now,
                                                            ttl_seconds=self.seconds)
        self._held_until = began + self.seconds if held else None
        return held

    async def keep(self) -> bool:
        """Hold the term without working: renew it only when a renewal is due (``renew_every``),
        or take it when it is not held; False when another holds it. An idle holder thus writes
        three times per term instead of once per poll."""
        if self._held_until is not None:
            renewal_due = self._held_until - self.seconds + renew_every(self.seconds)
            if anyio.current_time() < renewal_due:
                return True
        return await self.acquire()

    async def confirm(self) -> None:
        """Renew between two phases of the work; :class:`LeadershipLost` when the term is over."""
        try:
            held = await self.acquire()
        except Exception as error:
            raise LeadershipLost(f"cannot renew the {self.name} lease: {error}") from error
        if not held:
            raise LeadershipLost(f"the {self.name} lease is held by another daemon")

    async def run(self, work: Callable[[], Awaitable[None]]) -> None:
        """Do ``work`` within this term (acquire it first), renewing it meanwhile; the work is
        cancelled and :class:`LeadershipLost` raised as soon as the term cannot be kept."""
        if not self.held:
            raise LeadershipLost(f"the {self.name} lease is not held")
        lost: list[str] = []
        async with anyio.create_task_group() as group:
            async def keep() -> None:
                while True:
                    await anyio.sleep(renew_every(self.seconds))
                    reason = await self._renew_in_time()
                    if reason is not None:
                        lost.append(reason)
                        group.cancel_scope.cancel()
                        return

            group.start_soon(keep)
            await work()
            group.cancel_scope.cancel()
        if lost:
            raise LeadershipLost(lost[0])

    async def _renew_in_time(self) -> str | None:
        """Renew before the term ends; why it could not, or None."""
        assert self._held_until is not None
        with anyio.move_on_at(self._held_until - abort_before_expiry(self.seconds)):
            try:
                if await self.acquire():
                    return None
                return f"the {self.name} lease is held by another daemon"
            except Exception as error:
                return f"cannot renew the {self.name} lease: {error}"
        self._held_until = None
        return f"the {self.name} lease could not be renewed in time"

    async def release(self) -> None:
        """End the term now (clean stop); shielded, bounded, whatever cancels the caller."""
        self._held_until = None

        async def release() -> None:
            async with self.db.write() as conn:
                await daemon_store.release_lease(conn, self.name, owner=self.owner)

        await release_on_stop(release, timeout=5, log=self.log, what=f"the {self.name} lease")
