"""``contenthubd``: the foreground daemon (run it under systemd, see contenthubd.service)."""

from __future__ import annotations

import sys


def main() -> None:
    import anyio

    from contenthub_async.config import ConfigError, load_settings
    from contenthub_async.daemon.logging import configure_logging
    from contenthub_async.daemon.runner import run_daemon

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"contenthubd: {error}", file=sys.stderr)
        sys.exit(2)
    log_format = settings.CONTENTHUB_LOG_FORMAT
    configure_logging(settings.CONTENTHUB_LOG_LEVEL, json=None if log_format == "auto" else log_format == "json")
    sys.exit(anyio.run(run_daemon, settings))


if __name__ == "__main__":
    main()
