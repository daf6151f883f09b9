"""Benchmark figure ``webhooks`` of scripts/bench.py: webhook delivery by a real contenthubd on
SQLite, to receivers on loopback (a threaded ``http.server`` in this process, keep-alive).

* **latency**: tasks submitted one at a time (spaced, so nothing queues) run end to end through
  the fake creator; for each event, the time from its state change (the event's ``timestamp``,
  taken in the transaction that made the change) to its arrival at a fast receiver (p50/p95);
* **throughput**: events already in the outbox (tasks finished before the daemon starts) sent to
  the fast receiver: deliveries/s from the first arrival to the last, beside a plain
  ``httpx`` loop posting the same bodies with the same concurrency (the ceiling);
* **slow receiver**: the same tasks end to end by two daemons side by side, one with no
  webhook, one sending every event to a receiver that answers after 2 s: the ratio of the two
  task rates says whether a slow receiver slows dispatching and tracking.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_size import Size, sized

SLOW_ANSWER_SECONDS = 2.0


class Receiver:
    """A loopback receiver: records (arrival time, body) of every POST, answers 200 after ``delay``."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.arrivals: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as receivers in production answer

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                arrived = time.time()
                with receiver._lock:
                    receiver.arrivals.append((arrived, body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def received(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self.arrivals)


@contextmanager
def receiving(delay: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(delay)
    thread = threading.Thread(target=receiver._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver._server.shutdown()
        receiver._server.server_close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.02)


def _daemon_registered(path: Path) -> bool:
    import sqlite3

    try:
        with sqlite3.connect(path, timeout=5) as con:
            return bool(con.execute("SELECT count(*) FROM daemons").fetchone()[0])
    except sqlite3.Error:
        return False


def _event_time(body: bytes) -> float:
    from datetime import datetime

    stamp = json.loads(body)["timestamp"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# ------------------------------------------------------------------ latency


def _latency(tmp: Path, n: int, hooks: dict[str, Any]) -> dict[str, Any]:
    from contenthub_async.clock import SystemClock
    from contenthub_async.domain.submission import NewTask
    from contenthub_async.store import tasks as task_store
    from contenthub_async.store.database import Database

    url = f"sqlite:///{tmp / 'latency.db'}"
    asyncio.run(hooks["prepare_db"](url))
    with receiving() as receiver:
        env = hooks["daemon_env"](url, tmp / "latency-fake", None, **_webhook_env(tmp, receiver.url))
        daemon = hooks["start_daemon"](env, tmp / "latency-daemon.log")
        try:
            async def submit_spaced() -> None:
                db = Database.open(url, pool_size=1)
                try:
                    for i in range(n):
                        async with db.write() as conn:
                            await task_store.insert_tasks(conn, [NewTask(account_id=hooks["account"], topic=f"hook {i}")],
                                                          now=SystemClock().now(), actor="bench")
                        await asyncio.sleep(0.5)
                finally:
                    await db.close()

            _wait(lambda: _daemon_registered(tmp / "latency.db"), 60, "daemon start-up")
            asyncio.run(submit_spaced())
            # each task: task.completed, then content.published (auto-approved, dir: publisher)
            _wait(lambda: receiver.count() >= 2 * n, 300, "latency events")
        finally:
            hooks["stop_daemon"](daemon)
    samples: dict[str, list[float]] = {}
    for arrived, body in receiver.received():
        samples.setdefault(json.loads(body)["type"], []).append(arrived - _event_time(body))
    every = [s for values in samples.values() for s in values]
    return {
        "events": len(every), "tasks": n,
        "p50_seconds": round(_percentile(every, 0.5), 4), "p95_seconds": round(_percentile(every, 0.95), 4),
        "by_type_p50_seconds": {t: round(_percentile(v, 0.5), 4) for t, v in sorted(samples.items())},
    }


# ------------------------------------------------------------------ throughput


async def _finished_tasks(url: str, account: int, n: int) -> None:
    """Set-up (not timed): ``n`` tasks failed before any daemon runs; their events wait in the outbox."""
    from contenthub_async.clock import SystemClock
    from contenthub_async.domain.states import TaskStatus
    from contenthub_async.domain.submission import NewTask
    from contenthub_async.store import tasks as task_store
    from contenthub_async.store.database import Database

    db = Database.open(url, pool_size=1)
    try:
        async with db.write() as conn:
            await task_store.insert_tasks(conn, [NewTask(account_id=account, topic=f"outbox {i}") for i in range(n)],
                                          now=SystemClock().now(), actor="bench")
        while True:
            async with db.write() as conn:
                now = SystemClock().now()
                claimed = await task_store.claim_tasks(conn, owner="bench", limit=200, now=now, lease_seconds=600)
                for task in claimed:
                    await task_store.transition(conn, task, TaskStatus.FAILED, now=now, actor="bench",
                                                values={"error_message": "bench", "completed_at": now})
            if not claimed:
                break
    finally:
        await db.close()


async def _plain_posts(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Seconds a plain httpx client takes to POST ``bodies`` with ``concurrency`` requests in flight."""
    import httpx

    queue = list(bodies)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            while queue:
                body = queue.pop()
                (await client.post(url, content=body, headers={"content-type": "application/json"})).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def _throughput(tmp: Path, n: int, concurrency: int, hooks: dict[str, Any]) -> dict[str, Any]:
    url = f"sqlite:///{tmp / 'throughput.db'}"
    asyncio.run(hooks["prepare_db"](url))
    asyncio.run(_finished_tasks(url, hooks["account"], n))
    with receiving() as receiver:
        env = hooks["daemon_env"](url, tmp / "throughput-fake", None, ASYNC_CONTENT_GENERATION_ENABLED="false",
                                  CONTENTHUB_WEBHOOK_CONCURRENCY=concurrency, **_webhook_env(tmp, receiver.url))
        daemon = hooks["start_daemon"](env, tmp / "throughput-daemon.log")
        try:
            _wait(lambda: receiver.count() >= n, 600, "outbox deliveries")
        finally:
            hooks["stop_daemon"](daemon)
        arrivals = receiver.received()
        times = sorted(t for t, _ in arrivals)
        ours = (n - 1) / (times[-1] - times[0])
        plain = statistics.median(
            (n - 1) / asyncio.run(_plain_posts(receiver.url, [b for _, b in arrivals], concurrency)) for _ in range(3))
    return {"events": n, "concurrency": concurrency, "deliveries_per_s": round(ours, 1),
            "baseline_plain_httpx_posts_per_s": round(plain, 1), "ratio_to_baseline": round(ours / plain, 3)}


# ------------------------------------------------------------------ a slow receiver


def _slow_receiver(tmp: Path, n: int, runs: int, hooks: dict[str, Any]) -> dict[str, Any]:
    """Each run: two daemons at the same time, on two fresh databases with the same tasks, one
    without webhooks and one sending every event to a receiver that answers in 2 s. Run side by
    side, both see the same load from the rest of the machine; the ratio of each pair is the figure."""
    labels = ("no_webhook", "slow_receiver")
    rates: dict[str, list[float]] = {label: [] for label in labels}
    cpu: dict[str, list[float]] = {label: [] for label in labels}
    ratios: list[float] = []
    sent_during: list[int] = []
    for i in range(runs):
        urls = {label: f"sqlite:///{tmp / f'slow-{label}-{i}.db'}" for label in labels}
        for url in urls.values():
            asyncio.run(hooks["prepare_db"](url))
        with receiving(delay=SLOW_ANSWER_SECONDS) as slow:
            off, on = asyncio.run(_side_by_side(hooks, tmp, urls, f"-{i}", n, slow.url))
            sent_during.append(slow.count())
        for label, run in zip(labels, (off, on), strict=True):
            rates[label].append(run["tasks_per_s"])
            cpu[label].append(run["daemon_cpu_seconds_per_task"])
        ratios.append(on["tasks_per_s"] / off["tasks_per_s"])
    return {"tasks": n, "concurrency": 5, "runs": runs, "answer_seconds": SLOW_ANSWER_SECONDS,
            "no_webhook_tasks_per_s": round(statistics.median(rates["no_webhook"]), 2),
            "slow_receiver_tasks_per_s": round(statistics.median(rates["slow_receiver"]), 2),
            "ratio_slow_to_none": round(statistics.median(ratios), 3),
            "ratios_all_runs": [round(r, 3) for r in ratios], "tasks_per_s_all_runs": rates,
            "no_webhook_daemon_cpu_seconds_per_task": round(statistics.median(cpu["no_webhook"]), 4),
            "slow_receiver_daemon_cpu_seconds_per_task": round(statistics.median(cpu["slow_receiver"]), 4),
            "requests_reaching_slow_receiver_per_run": sent_during}


async def _side_by_side(hooks: dict[str, Any], tmp: Path, urls: dict[str, str], suffix: str, n: int,
                        slow_url: str) -> list[dict[str, Any]]:
    """One end-to-end run of each daemon, both at the same time."""
    return list(await asyncio.gather(
        hooks["end_to_end"](urls["no_webhook"], tmp, f"no_webhook{suffix}", n, 5,
                            CONTENTHUB_PUBLISHER=f"dir:{tmp / 'published'}"),
        hooks["end_to_end"](urls["slow_receiver"], tmp, f"slow_receiver{suffix}", n, 5, WEBHOOK_TIMEOUT=10,
                            **_webhook_env(tmp, slow_url)),
    ))


def _webhook_env(tmp: Path, url: str) -> dict[str, Any]:
    return {"WEBHOOK_ENABLED": "true", "WEBHOOK_URL": url, "WEBHOOK_SECRET_KEY": "whsec_YmVuY2gtd2ViaG9vay1rZXktMDEyMzQ1Njc4OQ==",
            "CONTENTHUB_PUBLISHER": f"dir:{tmp / 'published'}"}


def bench_webhooks(tmp: Path, size: Size, **hooks: Any) -> dict[str, Any]:
    """``hooks``: bench.py's ``prepare_db``, ``daemon_env``, ``start_daemon``, ``stop_daemon``,
    ``end_to_end`` (run_end_to_end) and ``account``."""
    return {
        "unit": "s",
        "backend": "sqlite",
        "latency": _latency(tmp, sized(size, 40, 10, 3), hooks),
        "throughput": _throughput(tmp, sized(size, 1000, 200, 30), 8, hooks),
        "slow_receiver": _slow_receiver(tmp, sized(size, 100, 30, 10), sized(size, 5, 1, 1), hooks),
    }


def table_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    lat, thr, slow = r["latency"], r["throughput"], r["slow_receiver"]
    return [
        (f"state change -> receipt, p50 ({lat['events']} events)", f"{lat['p50_seconds']} s", ""),
        ("  p95", f"{lat['p95_seconds']} s", ""),
        (f"outbox of {thr['events']} -> fast receiver, conc. {thr['concurrency']}", f"{thr['deliveries_per_s']}/s",
         f"{thr['ratio_to_baseline']}x"),
        ("  baseline: plain httpx posts, same bodies", f"{thr['baseline_plain_httpx_posts_per_s']}/s", ""),
        (f"end-to-end {slow['tasks']} tasks, no webhook (median of {slow['runs']})",
         f"{slow['no_webhook_tasks_per_s']}/s", ""),
        (f"  beside it: every event to a {slow['answer_seconds']:g} s receiver",
         f"{slow['slow_receiver_tasks_per_s']}/s", f"{slow['ratio_slow_to_none']}x"),
    ]
