"""``contenthub-ctl``: the command tree and the one place that turns failures into exit codes.

Commands are registered by import path, so cyclopts imports a command's module only when
that command runs (``submit`` never loads the modules of ``list`` or of the daemon).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from cyclopts import App, CycloptsError

from contenthub_async.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, describe
from contenthub_async.cli.help_frame import localise_flags, localise_root
from contenthub_async.cli.output import print_error
from contenthub_async.texts.messages import text

PACKAGE = "contenthub_async.cli"
PROGRAM = "contenthub-ctl"


#: (import path, help key) of each command; the help shows in lists before the module is imported.
SUBMIT = (f"{PACKAGE}.tasks:submit", "help.submit")
STATUS = (f"{PACKAGE}.tasks:status", "help.status")
LIST = (f"{PACKAGE}.tasks:list_", "help.list")
CANCEL = (f"{PACKAGE}.tasks:cancel", "help.cancel")
RETRY = (f"{PACKAGE}.tasks:retry", "help.retry")
COMPLETION = (f"{PACKAGE}.completion:completion", "help.completion")
IMPORT = (f"{PACKAGE}.imports:import_", "help.import")
BULK_IMPORT = (f"{PACKAGE}.imports:bulk_import", "help.bulk_import")
CLEANUP = (f"{PACKAGE}.cleanup:cleanup", "help.cleanup")


def _add(app: App, name: str, command: tuple[str, str]) -> None:
    path, help_key = command
    app.command(path, name=name, help=text(help_key))


def _group(name: str, help_key: str) -> App:
    """A command group whose --help and --version lines are in the operator's language."""
    return localise_flags(App(name=name, help=text(help_key)))


def build_app() -> App:
    """The command tree (docs/cli-json.md documents what each command prints with --format json)."""
    app = localise_root(App(name=PROGRAM, help=text("help.app")))
    for name, command in (("submit", SUBMIT), ("status", STATUS), ("list", LIST), ("cancel", CANCEL), ("retry", RETRY)):
        _add(app, name, command)
    for name, command in (("import", IMPORT), ("bulk-import", BULK_IMPORT), ("cleanup", CLEANUP)):
        _add(app, name, command)

    # The original command lines (user guide), with contenthub-ctl in place of contenthub.
    content = _group("content", "help.content")
    _add(content, "generate", (SUBMIT[0], "help.content_generate"))
    for name in ("list", "show", "approve", "reject"):
        _add(content, name, (f"{PACKAGE}.content:{'list_' if name == 'list' else name}", f"help.content_{name}"))
    app.command(content)

    pool = _group("publish-pool", "help.pool")
    for name in ("list", "stats", "show", "add", "remove", "retry", "publish"):
        _add(pool, name, (f"{PACKAGE}.pool:{'list_' if name == 'list' else name}", f"help.pool_{name}"))
    app.command(pool)

    task = _group("task", "help.task")
    for name, command in (("status", STATUS), ("list", LIST), ("cancel", CANCEL), ("retry", RETRY),
                          ("cleanup", CLEANUP)):
        _add(task, name, command)
    _add(task, "stats", (f"{PACKAGE}.monitor:metrics", "help.task_stats"))
    app.command(task)

    account = _group("account", "help.account")
    _add(account, "add", (f"{PACKAGE}.accounts:add", "help.account_add"))
    _add(account, "list", (f"{PACKAGE}.accounts:list_", "help.account_list"))
    _add(account, "show", (f"{PACKAGE}.accounts:show", "help.account_show"))
    _add(account, "update", (f"{PACKAGE}.accounts:update", "help.account_update"))
    _add(account, "disable", (f"{PACKAGE}.accounts:disable", "help.account_disable"))
    _add(account, "enable", (f"{PACKAGE}.accounts:enable", "help.account_enable"))
    app.command(account)

    scheduler = _group("scheduler", "help.scheduler")
    for name in ("create", "list", "show", "history", "executions", "pause", "resume", "trigger", "delete", "update"):
        _add(scheduler, name, (f"{PACKAGE}.scheduler:{'list_' if name == 'list' else name}", f"help.scheduler_{name}"))
    app.command(scheduler)

    monitor = _group("monitor", "monitor.help.group")
    for name in ("metrics", "recent", "failed", "pending", "stats", "health"):
        _add(monitor, name, (f"{PACKAGE}.monitor:{name}", f"monitor.help.{name}"))
    app.command(monitor)

    webhook = _group("webhook", "help.webhook")
    for name in ("list", "show", "redeliver", "test"):
        _add(webhook, name, (f"{PACKAGE}.webhooks:{'list_' if name == 'list' else name}", f"help.webhook_{name}"))
    app.command(webhook)

    db = _group("db", "help.db")
    _add(db, "init", (f"{PACKAGE}.db:init", "help.db_init"))
    _add(db, "version", (f"{PACKAGE}.db:version", "help.db_version"))
    app.command(db)

    _add(app, "completion", COMPLETION)
    return app


def _utf8_stdio() -> None:
    """Chinese output on a stream whose locale could not be set (ASCII) would crash: use UTF-8."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "_")
        if encoding in ("ascii", "ansi_x3.4_1968", "us_ascii") and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def run_cli(argv: Sequence[str] | None = None) -> int:
    """Run one command line; return the exit code (0 ok, 1 failed, 2 usage/validation)."""
    _utf8_stdio()
    app = build_app()
    tokens = list(sys.argv[1:] if argv is None else argv)
    for number, token in enumerate(tokens, start=1):
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates
            print_error(text("error.not_utf8_argument", number=number))
            return EXIT_USAGE
    try:
        result = app(tokens, print_error=False, exit_on_error=False, result_action="return_value")
    except CycloptsError as exc:
        from contenthub_async.cli.parse_errors import describe_parse_error

        command = " ".join(["contenthub-ctl", *(exc.command_chain or [])])
        print_error(text("error.usage", detail=describe_parse_error(exc), command=command))
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C outside a database call (parsing, printing)
        from contenthub_async.cli.runtime import EXIT_INTERRUPTED

        print_error(text("error.interrupted"))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`contenthub-ctl list | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        from contenthub_async.cli.runtime import EXIT_INTERRUPTED, Interrupted

        if isinstance(exc, Interrupted):  # the command said what it left as it was
            return EXIT_INTERRUPTED
        error = describe(exc)
        if error is None:
            raise
        print_error(error.message())
        return error.exit_code
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    try:
        code = run_cli()
    except KeyboardInterrupt:  # Ctrl-C while the command tree is being built
        print_error(text("error.interrupted"))
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
