"""services.loop.release_on_stop: giving back a lease as the daemon stops is shielded from the
stop's cancellation and best effort (a failed release leaves the lease to expire)."""

from __future__ import annotations

from typing import Any

import anyio

from contenthub_async.services.loop import release_on_stop


class _Log:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.warnings.append((event, fields))


async def test_a_release_that_fails_is_logged_not_raised() -> None:
    log = _Log()

    async def release() -> None:
        raise RuntimeError("no such table: leases")

    await release_on_stop(release, timeout=5, log=log, what="the tracker lease", task_id="t-1")
    assert log.warnings == [("the tracker lease not released; it will expire",
                             {"error": "no such table: leases", "task_id": "t-1"})]


async def test_a_release_runs_to_its_end_while_the_stop_cancels() -> None:
    released: list[bool] = []

    async def release() -> None:
        await anyio.sleep(0.05)  # an await inside the cancelled scope: shielded
        released.append(True)

    with anyio.CancelScope() as scope:
        scope.cancel()
        await release_on_stop(release, timeout=30, log=None, what="a lease")
    assert released == [True]
