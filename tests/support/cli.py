"""Running the installed ``contenthub-ctl`` as operators do: a real process per command, against a
SQLite file, in a clean environment; fixtures are written in-process through the store API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contenthub_async.clock import ManualClock
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from tests.support.databases import MigratedDatabases

CTL = Path(sys.executable).parent / "contenthub-ctl"
T0 = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)  # shown as 2026-11-22 16:00:00 CST with TZ=CST-8
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TASK_ID = re.compile(r"^task-[0-9a-f]{12}$")
EN = "en_US.UTF-8"
ZH = "zh_CN.UTF-8"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@dataclass
class Ctl:
    """Runs contenthub-ctl against one database, in a clean environment."""

    path: Path
    cwd: Path
    databases: MigratedDatabases | None = None  # where store() gets a migrated file from

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def env(self, lang: str, extra: dict[str, str] | None) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SYSTEMROOT")}
        env = {
            **keep,
            "DATABASE_URL": self.url,
            "LANG": lang,
            "TZ": "CST-8",
            "ASYNC_AUTO_APPROVE": "true",
            "ASYNC_MAX_RETRIES": "3",
        }
        return {**env, **(extra or {})}

    def __call__(self, *args: str, lang: str = EN, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [str(CTL), *args], cwd=self.cwd, env=self.env(lang, env),
            capture_output=True, text=True, encoding="utf-8", timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql, params).fetchall()

    def count(self) -> tuple[int, int]:
        """(tasks, task_events): what a refused command must leave unchanged."""
        return (
            self.rows("SELECT count(*) FROM content_generation_tasks")[0][0],
            self.rows("SELECT count(*) FROM task_events")[0][0],
        )

    def store(self, action: Callable[[Database, ManualClock], object]) -> object:
        """Run ``action(db, clock)`` (an async function) against the database (migrated first), in-process."""
        if self.databases is not None and not self.path.exists():
            self.databases.sqlite_copy(self.path)

        async def main() -> object:
            db = Database.open(self.url)
            try:
                await migrate(db)
                return await action(db, ManualClock(T0))  # type: ignore[misc]
            finally:
                await db.close()

        return asyncio.run(main())
