"""contenthubd's life cycle: start-up, the service loops in one task group, shutdown.

At start the daemon registers (host id, process identity, heartbeat interval) and takes over
the work of daemons that are dead (``services/takeover.py``) before its loops start. A daemon
that finds itself taken for dead by another stops with status 1.

Signals: the first SIGTERM/SIGINT/SIGHUP stops claiming; in-flight ``create`` calls get
CONTENTHUB_SHUTDOWN_GRACE seconds, then are killed and their tasks released. A second
signal stops at once (tasks are still released, or their leases expire).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
import structlog
from sqlalchemy.engine import make_url

from contenthub_async import __version__
from contenthub_async.clock import Clock, SystemClock
from contenthub_async.config import Settings, unused_settings
from contenthub_async.creator.cli import CliCreator
from contenthub_async.creator.port import Creator
from contenthub_async.daemon.notify import SystemdNotifier
from contenthub_async.domain.liveness import Here
from contenthub_async.host import host_id, process_scope, running_process_key
from contenthub_async.publishers.registry import Publishers
from contenthub_async.services.context import Knobs, ServiceContext, publishing_of
from contenthub_async.services.dispatcher import Dispatcher
from contenthub_async.services.janitor import Janitor
from contenthub_async.services.publisher_loop import PublisherLoop
from contenthub_async.services.scheduler import Scheduler
from contenthub_async.services.tracker import Tracker
from contenthub_async.services.wakeup import ChangeSource, Wakeup, change_source_for, feed_wakeup
from contenthub_async.services.webhook_deliverer import WebhookConfig, WebhookDeliverer
from contenthub_async.startup import resume_collection
from contenthub_async.store import daemons as daemon_store
from contenthub_async.store.database import Database, database_label, parse_database_url
from contenthub_async.store.migrations import current_version, migrate


def recorded_settings(settings: Settings) -> dict[str, Any]:
    """What this daemon runs with, recorded in its ``daemons`` row so that ``monitor health``
    judges the daemon's configuration, not the shell's (no secrets: no tokens, no creator env)."""
    return {
        "processing_enabled": settings.ASYNC_CONTENT_GENERATION_ENABLED,
        "creator_cli_path": settings.CREATOR_CLI_PATH,
        "creator_workdir": settings.CREATOR_WORKDIR,
        "max_concurrent_tasks": settings.ASYNC_MAX_CONCURRENT_TASKS,
        "task_timeout_seconds": settings.ASYNC_TASK_TIMEOUT,
        "poll_interval_seconds": settings.ASYNC_POLL_INTERVAL,
        "heartbeat_interval_seconds": settings.CONTENTHUB_HEARTBEAT_INTERVAL,
    }


def knobs_from(settings: Settings) -> Knobs:
    return Knobs(
        max_concurrent_tasks=settings.ASYNC_MAX_CONCURRENT_TASKS,
        task_timeout=settings.ASYNC_TASK_TIMEOUT,
        poll_interval=settings.ASYNC_POLL_INTERVAL,
        retry_backoff=settings.ASYNC_RETRY_BACKOFF,
        retry_backoff_max=settings.CONTENTHUB_RETRY_BACKOFF_MAX,
        lease_seconds=settings.CONTENTHUB_LEASE_SECONDS,
        list_limit=settings.CONTENTHUB_CREATOR_LIST_LIMIT,
        heartbeat_interval=settings.CONTENTHUB_HEARTBEAT_INTERVAL,
        janitor_interval=settings.CONTENTHUB_JANITOR_INTERVAL,
        shutdown_grace=settings.CONTENTHUB_SHUTDOWN_GRACE,
        wakeup_interval=settings.CONTENTHUB_WAKEUP_INTERVAL,
        auto_add_to_pool=settings.ASYNC_AUTO_ADD_TO_POOL,
        publish_concurrency=settings.CONTENTHUB_PUBLISH_CONCURRENCY,
        publish_max_attempts=settings.CONTENTHUB_PUBLISH_MAX_ATTEMPTS,
        publish_backoff=settings.CONTENTHUB_PUBLISH_BACKOFF,
        creator_mode=settings.CREATOR_MODE,
        max_creator_processes=settings.CONTENTHUB_CREATOR_MAX_PROCESSES,
    )


def publishers_from(settings: Settings) -> Publishers:
    return Publishers(settings.CONTENTHUB_PUBLISHER, api_key=settings.PUBLISHER_API_KEY,
                      timeout=settings.CONTENTHUB_PUBLISH_TIMEOUT)


def creator_from(settings: Settings) -> CliCreator:
    return CliCreator.from_command_line(
        settings.CREATOR_CLI_PATH,
        workdir=settings.CREATOR_WORKDIR,
        extra_env=settings.CONTENTHUB_CREATOR_ENV,
        call_timeout=settings.CONTENTHUB_CREATOR_CALL_TIMEOUT,
        max_processes=settings.CONTENTHUB_CREATOR_MAX_PROCESSES,
    )


def new_daemon_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


@dataclass
class DaemonRun:
    """Handles for a running daemon (tests stop it through ``stopping``)."""

    stopping: anyio.Event = field(default_factory=anyio.Event)
    ready: anyio.Event = field(default_factory=anyio.Event)
    daemon_id: str = field(default_factory=new_daemon_id)


async def run_daemon(
    settings: Settings,
    *,
    clock: Clock | None = None,
    creator: Creator | None = None,
    handles: DaemonRun | None = None,
    install_signal_handlers: bool = True,
) -> int:
    """Run until stopped; return the exit status."""
    handles = handles or DaemonRun()
    clock = clock or SystemClock()
    log = structlog.get_logger("contenthubd").bind(daemon_id=handles.daemon_id)
    notifier = SystemdNotifier.from_env(unset_environment=True)
    knobs = knobs_from(settings)
    unused = unused_settings()
    if unused:
        log.warning("settings not used here: the table is the queue (concurrency: ASYNC_MAX_CONCURRENT_TASKS)",
                    settings=unused)
    if knobs.lease_seconds <= settings.CONTENTHUB_CREATOR_CALL_TIMEOUT:
        log.error("CONTENTHUB_LEASE_SECONDS must exceed CONTENTHUB_CREATOR_CALL_TIMEOUT")
        return 2
    if knobs.lease_seconds <= settings.CONTENTHUB_PUBLISH_TIMEOUT:
        log.error("CONTENTHUB_LEASE_SECONDS must exceed CONTENTHUB_PUBLISH_TIMEOUT")
        return 2
    if creator is None:
        creator = creator_from(settings)
        problem = creator.start_problem() if settings.ASYNC_CONTENT_GENERATION_ENABLED else None
        if problem:
            log.error("content-creator cannot be started: " + problem)
            return 2

    listener = _http_socket(settings, log)  # configuration errors first, before the database
    if listener is False:
        return 2
    parsed_url = parse_database_url(settings.DATABASE_URL)
    if parsed_url.sqlite_path is not None and not parsed_url.sqlite_path.is_file():
        log.error(f"database file {parsed_url.sqlite_path.resolve()} does not exist: "
                  "create it with `contenthub-ctl db init` (or correct DATABASE_URL)")
        if listener is not None:
            listener.close()
        return 1
    publishers: Publishers | None = None
    db = Database.from_url(parsed_url, pool_size=max(5, knobs.max_concurrent_tasks // 4))
    wakeup = Wakeup()
    try:
        async with db.read() as conn:
            if await current_version(conn) == 0:
                log.error("the database has no contenthub tables: create them with `contenthub-ctl db init`"
                          " (or correct DATABASE_URL)",
                          database=make_url(settings.DATABASE_URL).render_as_string(hide_password=True))
                return 1
        before, after = await migrate(db)
        if before != after:
            log.info("database schema created or upgraded", version_before=before, version=after)
        here = Here(daemon_id=handles.daemon_id, host_id=host_id(settings.CONTENTHUB_HOST_ID),
                    process_scope=process_scope(), heartbeat_seconds=knobs.heartbeat_interval)
        # The file this daemon registers in, as it is now (before anyone is told the daemon runs).
        database_file = DatabaseFile(parsed_url.sqlite_path) if parsed_url.sqlite_path is not None else None
        async with db.write() as conn:
            await daemon_store.register_daemon(
                conn, daemon_id=handles.daemon_id, hostname=socket.gethostname(), pid=os.getpid(),
                version=__version__, now=await daemon_store.database_now(conn), host_id=here.host_id,
                process_key=running_process_key(os.getpid(), here.process_scope),
                heartbeat_seconds=knobs.heartbeat_interval, settings=recorded_settings(settings),
            )
        publishers = publishers_from(settings)
        # Every change committed by others wakes every loop; what happens inside this daemon wakes
        # only the loop it concerns: a slot freed or tasks submitted through its API wake the
        # claims, a publish or webhook send that ended wakes its own loop, and the heartbeat and
        # lease renewals wake none.
        claims = wakeup.narrower()
        change_source = change_source_for(db, knobs.wakeup_interval, new_tasks=claims)
        ctx = ServiceContext(db=db, creator=creator, clock=clock, knobs=knobs, daemon_id=handles.daemon_id,
                             log=log, publishers=publishers, unheard_writes=change_source.unheard_writes)
        declared_dead = False

        def stop_declared_dead() -> None:
            """The heartbeat found this daemon's row gone or marked dead: another daemon took it
            for dead and took over its work, unless the heartbeat went to another database file
            than the one this daemon registered in (the file was deleted or replaced)."""
            nonlocal declared_dead
            if database_file is not None and database_file.replaced():
                stop_database_lost()
                return
            log.error("this daemon was taken for dead by another, which took over its work; stopping")
            declared_dead = True
            handles.stopping.set()

        database_lost = False

        def stop_database_lost() -> None:
            nonlocal database_lost
            if database_lost:  # seen by the heartbeat and the file watch both
                return
            database_lost = True
            log.error(f"the database file {parsed_url.sqlite_path} was deleted or replaced under the running"
                      " daemon: stopping (restore the file, then restart; nothing written since is in it)")
            handles.stopping.set()

        dispatcher = Dispatcher(ctx, claims)
        tracker = Tracker(ctx, on_slot_freed=claims.notify)
        janitor = Janitor(ctx, here, on_rescued=wakeup.notify, on_declared_dead=stop_declared_dead)
        scheduler = Scheduler(ctx, wakeup)
        publisher = PublisherLoop(publishing_of(ctx), wakeup.narrower(), concurrency=knobs.publish_concurrency,
                                  shutdown_grace=knobs.shutdown_grace)
        await janitor.take_over_dead()  # before the first claim and the first tracking cycle
        webhook_config = WebhookConfig.from_settings(settings)
        if webhook_config.webhook_url and not webhook_config.keys:
            log.warning("webhook deliveries are unsigned: set WEBHOOK_SECRET_KEY so receivers can verify them")
        deliverer = WebhookDeliverer(ctx, wakeup.narrower(), webhook_config, webhook_config.sender())

        loops_scope = anyio.CancelScope()  # a second signal cancels it at once
        async with anyio.create_task_group() as background:
            if install_signal_handlers:
                # started (handlers in place) before "contenthubd started" is logged
                await background.start(_watch_signals, handles.stopping, loops_scope.cancel, log)
            if notifier.watchdog_interval:
                background.start_soon(_watchdog, notifier, notifier.watchdog_interval)
            background.start_soon(feed_wakeup, change_source, wakeup, log)
            if database_file is not None:
                background.start_soon(_watch_database_file, database_file, knobs.heartbeat_interval,
                                      stop_database_lost)
            with loops_scope:
                async with anyio.create_task_group() as loops:
                    if settings.ASYNC_CONTENT_GENERATION_ENABLED:
                        loops.start_soon(dispatcher.run, handles.stopping)
                        loops.start_soon(tracker.run, handles.stopping)
                    else:
                        log.warning("ASYNC_CONTENT_GENERATION_ENABLED is false: not claiming or tracking tasks")
                    loops.start_soon(janitor.run, handles.stopping)
                    loops.start_soon(scheduler.run, handles.stopping)
                    loops.start_soon(publisher.run, handles.stopping)
                    if listener is not None:
                        from contenthub_async.http.server import serve

                        loops.start_soon(serve, http_app(settings, db, clock, handles, change_source), listener,
                                         handles.stopping)
                        log.info("HTTP API listening", address=settings.CONTENTHUB_HTTP_LISTEN,
                                 token_required=settings.CONTENTHUB_API_TOKEN is not None)
                    loops.start_soon(deliverer.run, handles.stopping)
                    notifier.ready(f"contenthubd {__version__} running as {handles.daemon_id}")
                    log.info("contenthubd started", version=__version__, backend=db.backend,
                             database=database_label(settings.DATABASE_URL), creator_mode=knobs.creator_mode.value,
                             max_concurrent_tasks=knobs.max_concurrent_tasks, poll_interval=knobs.poll_interval)
                    handles.ready.set()
                    resume_collection()
                    await handles.stopping.wait()
                    notifier.stopping("draining")
                    log.info("stopping: no new claims; waiting for in-flight work",
                             grace_seconds=knobs.shutdown_grace)
                    # The loops return by themselves; this deadline only bounds a stuck one.
                    loops_scope.deadline = anyio.current_time() + knobs.shutdown_grace + 10
            background.cancel_scope.cancel()
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            if not database_lost:  # the file is not the one this daemon registered in
                async with db.write() as conn:
                    await daemon_store.mark_stopped(conn, handles.daemon_id, now=clock.now())
        log.info("contenthubd stopped")
        return 1 if declared_dead or database_lost else 0
    finally:
        if listener:
            listener.close()
        with anyio.CancelScope(shield=True):
            if publishers is not None:
                await publishers.close()
            await db.close()


def _http_socket(settings: Settings, log: Any) -> socket.socket | None | Literal[False]:
    """The bound socket of CONTENTHUB_HTTP_LISTEN (None: no HTTP; False: refused, logged).

    Listening beyond this machine needs CONTENTHUB_API_TOKEN: the API writes to the queue.
    """
    if not settings.CONTENTHUB_HTTP_LISTEN:
        return None
    from contenthub_async.config import listen_address
    from contenthub_async.http.server import bind, is_loopback

    host, port = listen_address(settings.CONTENTHUB_HTTP_LISTEN)
    if not is_loopback(host) and settings.CONTENTHUB_API_TOKEN is None:
        log.error("refusing to listen beyond this machine without CONTENTHUB_API_TOKEN: set a token, or listen "
                  "on 127.0.0.1", address=settings.CONTENTHUB_HTTP_LISTEN)
        return False
    try:
        return bind(host, port)
    except OSError as exc:
        log.error("cannot listen for HTTP", address=settings.CONTENTHUB_HTTP_LISTEN, error=str(exc))
        return False


def http_app(settings: Settings, db: Database, clock: Clock, handles: DaemonRun, change_source: ChangeSource) -> Any:
    """The HTTP API's ASGI application (its libraries are imported here, before the daemon has started)."""
    from contenthub_async.http.app import create_app
    from contenthub_async.http.context import Api

    return create_app(Api(db=db, clock=clock, settings=settings, daemon_id=handles.daemon_id,
                          submission_writes=change_source.new_task_writes))


async def _watch_signals(stopping: anyio.Event, stop_now: Callable[[], None], log: Any, *,
                         task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
    # SIGHUP (the terminal or session went away, or `kill -HUP`) stops like SIGTERM: there is no
    # configuration to reload that could not be read again by a restart.
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        task_status.started()
        async for signum in signals:
            if not stopping.is_set():
                log.info("signal received: stopping gracefully", signal=signal.Signals(signum).name)
                stopping.set()
            else:
                log.warning("second signal: stopping now", signal=signal.Signals(signum).name)
                stop_now()
                return


class DatabaseFile:
    """The SQLite file a daemon registered in, as it was then."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened = self._identity()

    def replaced(self) -> bool:
        """Whether the path is gone or holds another file now (SQLite creates one when a
        connection opens the path)."""
        return self._identity() != self._opened

    def _identity(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino


async def _watch_database_file(database_file: DatabaseFile, interval: float, on_lost: Callable[[], None]) -> None:
    """Every heartbeat interval: is the path still the file the daemon registered in? A deleted
    or replaced file goes on living for the daemon's open connections, so its writes would land
    in a file nobody else can read."""
    while True:
        await anyio.sleep(interval)
        if database_file.replaced():
            on_lost()
            return


async def _watchdog(notifier: SystemdNotifier, interval: float) -> None:
    while True:
        notifier.watchdog()
        await anyio.sleep(interval)
