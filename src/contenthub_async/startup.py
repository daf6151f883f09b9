"""A command's start-up without the cyclic garbage collector.

Starting ``contenthubd`` or ``contenthub-ctl`` imports SQLAlchemy, cyclopts, prometheus_client
and the rest: a few hundred thousand objects, none of them garbage, nearly all of them alive
until the process ends. While they are created the cyclic collector runs every few hundred
allocations, and each time a collection reaches the oldest generation it scans all of them:
about a fifth of a start's CPU (docs/BENCHMARKS.md, "Start-up without the garbage collector").

So a console-script entry point calls :func:`pause_collection` first thing, and the command
calls :func:`resume_collection` once it has started (``contenthubd`` when it logs that it has
started, ``contenthub-ctl`` when its database is open). Resuming moves every object alive into
the permanent generation (``gc.freeze()``), which later collections never scan, and turns the
collector on again; cycles of garbage made before that stay with the process (a start makes
few). A process that did not pause (the test suite running the daemon or the CLI in-process)
is left as it is by :func:`resume_collection`.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collection() -> None:
    """Turn the cyclic collector off until :func:`resume_collection`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    """Start-up is over: freeze what it made and collect again (nothing if nothing was paused)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
