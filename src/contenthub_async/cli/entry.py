"""The ``contenthub-ctl`` console script: the command line (``cli/main.py``) imported and started
without the cyclic garbage collector (``startup.py``; ``cli/runtime.py`` resumes it once the
command's database is open)."""

from __future__ import annotations

from contenthub_async.startup import pause_collection


def main() -> None:
    pause_collection()
    from contenthub_async.cli.main import main as run_command_line

    run_command_line()
