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
