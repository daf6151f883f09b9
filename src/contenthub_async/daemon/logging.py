"""structlog set-up for contenthubd: console lines on a TTY, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler

import structlog

__all__ = ["configure_logging"]


#: The log file is rotated at this size, keeping LOG_FILE_BACKUPS older files (.1 ... .5).
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5


def configure_logging(level: str = "info", json: bool | None = None, file: str | None = None) -> None:
    """Configure structlog *and* stdlib ``logging`` to render to stderr (and to ``file``).

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
    # Replace plain stream handlers and our file handler (from an earlier call, basicConfig's);
    # leave other subclasses such as pytest's capture handlers alone.
    for old in [h for h in root.handlers if type(h) in (logging.StreamHandler, RotatingFileHandler)]:
        root.removeHandler(old)
        if isinstance(old, RotatingFileHandler):
            old.close()
    root.addHandler(handler)
    if file:
        file_renderer = structlog.dev.ConsoleRenderer(colors=False) if json is False else structlog.processors.JSONRenderer()
        file_tail = [file_renderer] if json is False else [structlog.processors.format_exc_info, file_renderer]
        to_file = RotatingFileHandler(file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8")
        to_file.setFormatter(structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *file_tail],
        ))
        root.addHandler(to_file)
    root.setLevel(numeric)
    logging.captureWarnings(True)  # warnings.warn() -> logger "py.warnings"
