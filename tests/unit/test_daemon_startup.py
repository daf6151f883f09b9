"""What contenthubd loads before its first claim: a restarted daemon's first state change waits
for its start-up (docs/BENCHMARKS.md, recovery), so libraries only some daemons use are loaded
when first used."""

from __future__ import annotations

import subprocess
import sys


def test_the_daemon_loads_httpx_only_when_it_first_sends() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, contenthub_async.daemon.runner;"
         "from contenthub_async.services.webhook_sender import WebhookSender;"
         "WebhookSender(timeout=5, keys=(), allow_private=False);"
         "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"


def test_the_daemon_leaves_rich_out_and_still_logs_tracebacks_on_a_terminal() -> None:
    script = (
        "import sys, logging\n"
        "from contenthub_async.daemon.main import leave_out_unused_libraries\n"
        "leave_out_unused_libraries()\n"
        "import contenthub_async.daemon.runner\n"
        "from contenthub_async.daemon.logging import configure_logging\n"
        "configure_logging('info', json=False)\n"
        "import structlog\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    structlog.get_logger('contenthubd').exception('round failed')\n"
        "print(sorted(m for m, module in sys.modules.items() if m.split('.')[0] == 'rich' and module))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert "round failed" in done.stderr and "ZeroDivisionError" in done.stderr
