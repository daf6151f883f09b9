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


def test_the_daemon_loads_croniter_and_pydantic_only_for_its_first_job() -> None:
    script = (
        "import sys, contenthub_async.daemon.runner\n"
        "def loaded(): return sorted(m for m in ('croniter', 'dateutil', 'pydantic') if m in sys.modules)\n"
        "print(loaded())\n"
        "from contenthub_async.domain import cron\n"
        "from contenthub_async.services.executors import parse_params\n"
        "cron.next_firing('0 8 * * *', cron.zone('UTC'), __import__('datetime').datetime.now(cron.zone('UTC')))\n"
        "parse_params('cleanup', {})\n"
        "print(loaded())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "['croniter', 'dateutil', 'pydantic']"]
