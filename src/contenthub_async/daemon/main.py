"""``contenthubd``: the foreground daemon (run it under systemd, see contenthubd.service).

It takes no arguments but ``--help`` and ``--version`` (settings come from the environment and
``.env``); anything else is a usage error (exit 2). A failure that ends the daemon is logged as
one line (a JSON object with the JSON log format), never as a traceback: exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _parse_arguments(argv: Sequence[str] | None) -> None:
    import argparse

    from contenthub_async import __version__

    parser = argparse.ArgumentParser(
        prog="contenthubd",
        description="ContentHub's asynchronous content-generation daemon: claims queued tasks, runs "
        "content-creator, tracks them to the end, fires cron jobs. Runs in the foreground until "
        "SIGTERM, SIGINT or SIGHUP.",
        epilog="Settings come from the environment and a .env file in the working directory "
        "(DATABASE_URL, ASYNC_*, CREATOR_*, CONTENTHUB_*): see README.md. The database must exist: "
        "`contenthub-ctl db init` creates or upgrades it.",
    )
    parser.add_argument("--version", action="version", version=f"contenthubd {__version__}")
    parser.parse_args(argv)


def _cause(error: BaseException) -> str:
    """One line saying what went wrong: the first leaf of an exception group, the driver's own
    error of a SQLAlchemy one, without SQL or documentation links."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    original = getattr(error, "orig", None)
    if isinstance(original, BaseException):
        error = original
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = lines[0] if lines else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def leave_out_unused_libraries() -> None:
    """Keep libraries the daemon does not use from being imported on its behalf.

    structlog imports rich, when it is installed (contenthub-ctl's cyclopts brings it), to draw
    tracebacks on a terminal: about an eighth of the daemon's start-up, which a restarted
    daemon's first state change waits for (docs/BENCHMARKS.md, recovery). The daemon's
    tracebacks are plain text, on a terminal as in its JSON lines.
    """
    sys.modules.setdefault("rich", None)  # type: ignore[arg-type]  # None: "import rich" fails


def main(argv: Sequence[str] | None = None) -> None:
    from contenthub_async.startup import pause_collection

    pause_collection()  # until the daemon has started (startup.py)
    _parse_arguments(argv)
    leave_out_unused_libraries()

    import anyio
    import structlog

    from contenthub_async.config import ConfigError, load_settings
    from contenthub_async.daemon.logging import configure_logging
    from contenthub_async.daemon.runner import run_daemon

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"contenthubd: {error}", file=sys.stderr)
        sys.exit(2)
    log_format = settings.CONTENTHUB_LOG_FORMAT
    try:
        configure_logging(settings.CONTENTHUB_LOG_LEVEL, json=None if log_format == "auto" else log_format == "json",
                          file=settings.CONTENTHUB_LOG_FILE)
    except OSError as error:
        print(f"contenthubd: cannot open CONTENTHUB_LOG_FILE {settings.CONTENTHUB_LOG_FILE}: {error.strerror or error}",
              file=sys.stderr)
        sys.exit(2)
    try:
        code = anyio.run(run_daemon, settings)
    except Exception as error:  # noqa: BLE001 - the one place that turns any failure into a line and a status
        structlog.get_logger("contenthubd").error("contenthubd cannot run: " + _cause(error))
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
