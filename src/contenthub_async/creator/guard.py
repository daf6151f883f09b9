"""The creator guard: runs one command so that it cannot outlive whoever started it.

A long creator process (a sync generation runs for minutes and holds ~200 MB) must
die with the daemon that started it, even when the daemon dies of SIGKILL, and
so must everything it spawned: ``pnpm --dir … run cli`` is pnpm, then a shell,
then node. ``PR_SET_PDEATHSIG`` is not enough: it covers only the direct child
(and fires when the forking *thread* ends). So ``CliCreator`` does not start the
command itself but this guard, by path with the interpreter's isolated flags
(``python -I -S guard.py GRACE -- COMMAND [ARG…]``, standard library only, so it
starts in milliseconds):

- The starter runs the guard in a new session, so the guard leads a process
  group; the command runs as the guard's child in that group (stdin from
  ``/dev/null``, the guard's stdout and stderr), and so does everything the
  command spawns unless it leaves the group on purpose (``setsid``).
- The guard's stdin is the *lifeline*: a pipe whose write end only the starter
  holds and never writes to. When the starter dies, however it dies, the kernel
  closes that end and the guard reads end-of-file.
- **Stop**: on end-of-file on the lifeline, on SIGTERM, SIGINT or SIGHUP, or when
  the guard's parent changes (the starter died; checked every second), the guard
  sends SIGTERM to its group, waits up to GRACE seconds for the command to exit,
  then sends SIGKILL to the group, itself included. A stop always ends that way,
  so nothing of the group survives it.
- **The command ends by itself**: the guard sends SIGTERM to whatever the command
  left behind in the group and exits with the command's status, or dies of the
  same signal as the command did, so to its starter the guard looks like the
  command. (The starter then sends SIGKILL to the group to sweep what ignored
  the SIGTERM: the group id stays reserved while any member lives.)
- **The command cannot be started**: one line ``creator-guard: cannot start …``
  on stderr and exit status 127 (not found) or 126 (anything else), as a shell
  does.
- Bad usage: a message on stderr, exit status 2.

Linux (and other POSIX systems with ``poll``); not thread-safe, a process of its own.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

__all__ = ["CANNOT_START", "guard_argv", "main"]

CANNOT_START = "creator-guard: cannot start "
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PARENT_CHECK_SECONDS = 1.0
_LIFELINE = 0  # stdin


def guard_argv(grace: float, command: list[str]) -> list[str]:
    """The command line that runs ``command`` under this guard with this interpreter."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), repr(float(grace)), "--", *command]


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: guard.py GRACE_SECONDS -- COMMAND [ARG...]\n")
        return 2
    try:
        grace = float(argv[0])
    except ValueError:
        grace = -1.0
    if not grace >= 0:  # also refuses nan
        sys.stderr.write(f"guard.py: GRACE_SECONDS must be a number >= 0, got {argv[0]!r}\n")
        return 2
    command = argv[2:]

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)  # signals (SIGCHLD included) wake up poll()
    stop_signalled = False

    def on_stop_signal(signum: int, frame: object) -> None:
        nonlocal stop_signalled
        stop_signalled = True

    for signum in _STOP_SIGNALS:
        signal.signal(signum, on_stop_signal)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    parent = os.getppid()

    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    except OSError as e:
        sys.stderr.write(f"{CANNOT_START}{command[0]!r}: {e.strerror or e}\n")
        return 127 if isinstance(e, FileNotFoundError | NotADirectoryError) else 126

    poller = select.poll()
    poller.register(_LIFELINE, select.POLLIN)
    poller.register(wake_read, select.POLLIN)
    lifeline_open = True
    kill_at: float | None = None  # set once a stop began
    while child.poll() is None:
        if kill_at is None and (stop_signalled or not lifeline_open or os.getppid() != parent):
            _signal_group(signal.SIGTERM)
            kill_at = time.monotonic() + grace
        timeout = _PARENT_CHECK_SECONDS
        if kill_at is not None:
            timeout = min(timeout, kill_at - time.monotonic())
            if timeout <= 0:
                break
        for fd, events in poller.poll(timeout * 1000):
            if fd == wake_read:
                while _read(wake_read):
                    pass
            elif not (events & select.POLLIN and _read(_LIFELINE)):
                lifeline_open = False  # end of file, hang-up or error: the starter is gone
                poller.unregister(_LIFELINE)
    if kill_at is not None:
        _signal_group(signal.SIGKILL)  # this process included: the end of every stop

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _signal_group(signal.SIGTERM)  # what the command left behind
    status = child.returncode
    if status < 0:  # killed by a signal: die of the same one
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        return 128 - status
    return status


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def _signal_group(signum: int) -> None:
    os.killpg(os.getpgrp(), signum)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
