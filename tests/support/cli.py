"""Running ``contenthub-ctl`` against a SQLite file in a clean environment, as operators do.

``ctl(...)`` runs a command line in this process through the cyclopts app (``run_cli``), with
the process state a real run would have: exactly the given environment (locale, time zone,
settings), the working directory, fresh settings and catalog caches, and stdin, stdout and
stderr of its own. That is ~20x cheaper than a process. ``ctl.process(...)`` runs the installed
console script as a real process, for what only a process shows (exit status from
``sys.exit``, the streams' encoding, start-up). Fixtures are written in-process through the
store API.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contenthub_async.clock import ManualClock
from contenthub_async.store.database import Database
from contenthub_async.store.migrations import migrate
from contenthub_async.texts.messages import Language
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

    def __call__(self, *args: str, lang: str = EN, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        """``contenthub-ctl args`` in this process (see the module doc); from a coroutine (whose
        loop this command's own loop cannot share), as a real process."""
        if _in_running_loop():
            if stdin:
                raise ValueError("stdin is only given to in-process runs")
            return self.process(*args, lang=lang, env=env)
        out, err = io.StringIO(), io.StringIO()
        with process_state(self.env(lang, env), self.cwd, stdin), redirect_stdout(out), redirect_stderr(err):
            from contenthub_async.cli.main import run_cli  # imported afresh in another language, as in a new process

            try:
                code = run_cli(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
        return Result(code, out.getvalue(), err.getvalue())

    def environment(self, lang: str = EN, env: dict[str, str] | None = None) -> AbstractContextManager[None]:
        """The process state of a command run (environment, working directory) for in-process code."""
        return process_state(self.env(lang, env), self.cwd)

    def process(self, *args: str, lang: str = EN, env: dict[str, str] | None = None) -> Result:
        """``contenthub-ctl args`` as a real process of the installed console script."""
        proc = subprocess.run(
            [str(CTL), *args], cwd=self.cwd, env=self.env(lang, env),
            capture_output=True, text=True, encoding="utf-8", timeout=600,
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


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# The language the CLI's modules in sys.modules were imported in (None: not imported through here).
_cli_modules_language: Language | None = None


def _forget_process_caches(*, entering: bool) -> None:
    """What a process reads once from its environment is read again from the current one: the
    settings, the zone and the language. Entering a command run, the CLI's modules are imported
    afresh too when the language differs from the one they were imported in (their help texts
    are looked up in the language of the process when they are imported); in the same language
    they are kept, as importing them again would give the same modules."""
    global _cli_modules_language
    from contenthub_async import config
    from contenthub_async.domain import cron
    from contenthub_async.texts import messages

    config.settings.cache_clear()
    cron.zone.cache_clear()
    messages.process_language.cache_clear()
    time.tzset()
    if not entering or messages.process_language() == _cli_modules_language:
        return
    for name in [name for name in sys.modules if name.startswith("contenthub_async.cli.")]:
        del sys.modules[name]
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and hasattr(sys.modules[parent], child):  # `from package import module`
            delattr(sys.modules[parent], child)
    _cli_modules_language = messages.process_language()


@contextmanager
def process_state(environ: Mapping[str, str], cwd: Path, stdin: str = "") -> Iterator[None]:
    """Run the block as a fresh ``contenthub-ctl`` process would: exactly ``environ``, ``cwd``,
    ``stdin`` (not a terminal); everything restored afterwards."""
    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    sys.stdin = io.StringIO(stdin)
    _forget_process_caches(entering=True)
    try:
        yield
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        _forget_process_caches(entering=False)
