"""services/loop.py: how a service loop sleeps between rounds and what wakes it."""

from __future__ import annotations

import anyio

from contenthub_async.services.loop import ServiceLoop
from contenthub_async.services.wakeup import Wakeup


class _Rounds:
    """A service that notes when each round starts and otherwise sleeps until woken."""

    name = "counting"

    def __init__(self) -> None:
        self.started: list[float] = []

    async def run_once(self) -> float | None:
        self.started.append(anyio.current_time())
        return None


async def _rounds_while_notified(loop: ServiceLoop, wakeup: Wakeup, service: _Rounds, rounds: int) -> list[float]:
    """Notify ``wakeup`` continually until ``service`` has run ``rounds`` rounds; their start times."""
    stopping = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(loop.run, stopping)
        with anyio.fail_after(60):
            while len(service.started) < rounds:
                wakeup.notify()
                await anyio.sleep(0.01)
        stopping.set()
    return service.started


async def test_every_change_wakes_a_loop_and_none_is_lost() -> None:
    wakeup, service = Wakeup(), _Rounds()
    loop = ServiceLoop(service, interval=3600, log=None, wakeup=wakeup)
    assert len(await _rounds_while_notified(loop, wakeup, service, 5)) >= 5  # no round waited for the hour


async def test_a_loop_woken_at_most_every_half_second_is_never_woken_sooner() -> None:
    """Changes every 10 ms still start rounds (none waits for the hour-long interval), each at
    least half a second after the previous one."""
    wakeup, service = Wakeup(), _Rounds()
    loop = ServiceLoop(service, interval=3600, log=None, wakeup=wakeup, woken_at_most_every=0.5)
    started = await _rounds_while_notified(loop, wakeup, service, 4)
    gaps = [later - earlier for earlier, later in zip(started, started[1:], strict=False)]
    assert len(gaps) >= 3 and min(gaps) >= 0.5, gaps


async def test_a_round_that_asks_for_less_than_the_spacing_gets_it() -> None:
    """The spacing only holds back wake-ups: a service due again sooner runs then, however
    often it is woken."""

    class Soon(_Rounds):
        async def run_once(self) -> float | None:
            await super().run_once()
            return 0.05

    wakeup, service = Wakeup(), Soon()
    loop = ServiceLoop(service, interval=3600, log=None, wakeup=wakeup, woken_at_most_every=3600)
    assert len(await _rounds_while_notified(loop, wakeup, service, 3)) >= 3
