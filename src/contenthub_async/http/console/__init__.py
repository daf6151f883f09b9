"""The operators' web console at ``/`` of contenthubd's HTTP listener: server-rendered pages
over the same services ``contenthub-ctl`` uses (see docs/console.md)."""

from contenthub_async.http.console.routes import ConsoleConfig, console_router, is_console_path

__all__ = ["ConsoleConfig", "console_router", "is_console_path"]
