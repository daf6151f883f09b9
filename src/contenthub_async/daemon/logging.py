"""structlog set-up for contenthubd: console lines on a TTY, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["configure_logging"]


def configure_logging(level: str = "info", json: bool | None = None) -> None:
    """Configure structlog *and* stdlib ``logging`` to render to stderr.

    ``json=None`` picks JSON lines (``timestamp`` ISO-8601 UTC, ``level``,
    ``event`` plus bound fields) unless stderr is a terminal, in which case
    coloured human-readable lines are written.  Records from stdlib loggers
    (libraries) go through the same renderer via ``ProcessorFormatter``.
    """
    numeric = logging.getLevelNamesMapping().get(str(level).upper())
    if numeric is None:
        raise ValueError(f"unknown log level: {level!r}")
    tty = sys.stderr.isatty()
    if json is None:
        json = not tty

    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor
    tail: list[structlog.typing.Processor]
    if json:
        renderer = structlog.processors.JSONRenderer()
        tail = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=tty)
        tail = [renderer]  # ConsoleRenderer pretty-prints exc_info itself

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # allow re-configuration (tests, reload)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    # Replace plain stream handlers (ours from an earlier call, basicConfig's);
    # leave subclasses such as pytest's capture handlers alone.
    for old in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    logging.captureWarnings(True)  # warnings.warn() -> logger "py.warnings"
