"""Benchmark figure ``publishing`` (run by scripts/bench.py): publish-pool throughput with the
``dir:`` publisher, and the overhead per entry against a plain loop writing the same files.

Ours: N approved articles in the pool of a fresh SQLite file, published by
``services.publishing.publish_batch`` (claim, publish, record the outcome with its event and the
article's status: three write transactions per entry) at concurrency 1 and 2. Baseline: a plain
Python loop writing the same N files with the same bytes, the same way (temp file, fsync,
rename), without the database. Each is the median of several runs on fresh directories.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_size import Size, sized

from contenthub_async.clock import SystemClock
from contenthub_async.publishers.directory import DirPublisher, _atomic_write, front_matter
from contenthub_async.publishers.port import Article
from contenthub_async.publishers.registry import Publishers
from contenthub_async.services.publishing import Publishing, PublishPolicy, publish_batch
from contenthub_async.store import accounts as account_store
from contenthub_async.store import contents as content_store
from contenthub_async.store import pool as pool_store
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate

BODY = "# 标题\n\n" + "这是一段用于基准测试的正文。" * 150  # ~2 000 characters, like a short article


def _article(i: int, created: datetime) -> Article:
    return Article(pool_id=i, content_id=i, account_id=1, account_name="bench", title=f"基准文章 {i}", markdown=BODY,
                   summary=None, images=[], tags=["AI"], category=None, task_id=None, created_at=created)


async def _pooled_db(path: Path, n: int, created: datetime) -> str:
    url = f"sqlite:///{path}"
    db = Database.open(url)
    try:
        await migrate(db)
        async with db.write() as conn:
            await account_store.insert_account(conn, name="bench", now=created, account_id=1)
            for i in range(n):
                content_id = await content_store.insert_content(conn, content_store.NewContent(
                    account_id=1, generation_task_id=None, title=f"基准文章 {i}", body_markdown=BODY, summary=None,
                    images=[], word_count=2000, category=None, tags="AI", approved=True), now=created)
                await pool_store.insert_entry(conn, content_id=content_id, account_id=1, priority=5, now=created,
                                              actor="bench")
    finally:
        await db.close()
    return url


async def _ours(tmp: Path, n: int, concurrency: int, created: datetime) -> float:
    url = await _pooled_db(tmp / "pool.db", n, created)
    out = tmp / "out"
    db = Database.open(url)
    publishers = Publishers(f"dir:{out}", api_key=None, timeout=60)
    try:
        p = Publishing(db=db, clock=SystemClock(), actor="bench", publishers=publishers,
                       policy=PublishPolicy(max_attempts=3, backoff=30, backoff_max=3600, lease_seconds=300))
        started = time.perf_counter()
        result = await publish_batch(p, limit=n, concurrency=concurrency)
        elapsed = time.perf_counter() - started
    finally:
        await publishers.close()
        await db.close()
    if result["success_count"] != n or len(list(out.glob("*/*.md"))) != n:
        raise RuntimeError(f"published {result['success_count']} of {n}")
    return elapsed


def _plain_loop(tmp: Path, n: int, created: datetime) -> float:
    publisher = DirPublisher(tmp / "out")
    articles = [_article(i, created) for i in range(n)]
    started = time.perf_counter()
    for article in articles:
        path = publisher.target(article)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, front_matter(article) + article.markdown.rstrip() + "\n")
    return time.perf_counter() - started


def bench_publishing(tmp: Path, size: Size) -> dict[str, Any]:
    n = sized(size, 300, 100, 20)
    runs = sized(size, 3, 1, 1)
    created = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

    def fresh(label: str) -> Path:
        path = tmp / f"{label}-{time.perf_counter_ns()}"
        path.mkdir()
        return path

    baseline = statistics.median(_plain_loop(fresh("plain"), n, created) for _ in range(runs))
    figures: dict[str, Any] = {"entries": n, "runs": runs,
                               "baseline_plain_loop_entries_per_s": round(n / baseline, 1)}
    for concurrency in (1, 2):
        seconds = statistics.median(asyncio.run(_ours(fresh(f"c{concurrency}"), n, concurrency, created))
                                    for _ in range(runs))
        figures[f"concurrency_{concurrency}"] = {
            "entries_per_s": round(n / seconds, 1),
            "overhead_ms_per_entry": round((seconds - baseline) / n * 1000, 2),
            "ratio_to_baseline": round((n / seconds) / (n / baseline), 3),
        }
    return figures


def table_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measurement, value, note) lines of the figure for bench.py's table."""
    rows = []
    for concurrency in (1, 2):
        c = r[f"concurrency_{concurrency}"]
        rows.append((f"dir:, {r['entries']} entries, concurrency {concurrency} (median of {r['runs']})",
                     f"{c['entries_per_s']}/s", f"{c['ratio_to_baseline']}x"))
        rows.append(("  overhead per entry vs the plain loop", f"{c['overhead_ms_per_entry']} ms", ""))
    rows.append(("  baseline: plain loop writing the same files", f"{r['baseline_plain_loop_entries_per_s']}/s", ""))
    return rows
