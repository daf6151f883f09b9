"""The console's router served over real HTTP on loopback by uvicorn, in a thread of the test
process with its own event loop and database engine (the daemon's listener serves the same
router; browser tests run against a real contenthubd)."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contenthub_async.clock import Clock, SystemClock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def console_server(db_url: str, *, token: str | None = None, clock: Clock | None = None,
                   max_concurrent: int = 5) -> Iterator[str]:
    """The base URL of a server of the console router on ``db_url``, stopped on exit."""
    import uvicorn
    from fastapi import FastAPI

    from contenthub_async.http.console import ConsoleConfig, console_router
    from contenthub_async.store.database import Database

    port = free_port()
    holder: dict[str, Any] = {}
    failed: list[BaseException] = []

    async def serve() -> None:
        db = Database.open(db_url)
        app = FastAPI()
        app.include_router(console_router(ConsoleConfig(db, clock or SystemClock(), max_concurrent, token)))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        holder["server"] = server
        try:
            await server.serve()
        finally:
            await db.close()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the test below
            failed.append(exc)

    thread = threading.Thread(target=run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not (holder.get("server") and holder["server"].started):
        if failed or not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError(f"console server did not start: {failed}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["server"].should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "the console server did not stop"


CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)
