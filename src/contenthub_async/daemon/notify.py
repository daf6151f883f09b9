"""Minimal ``sd_notify(3)`` client (stdlib only, no libsystemd).

Protocol: a service started with ``Type=notify`` finds the address of
systemd's notification socket in ``$NOTIFY_SOCKET`` (a filesystem path, or
``@name`` for a Linux abstract-namespace socket, i.e. a leading NUL byte).
It reports its state by sending single ``AF_UNIX``/``SOCK_DGRAM`` datagrams
made of newline-separated ``KEY=VALUE`` assignments, e.g. ``READY=1`` once
start-up is done, ``STATUS=...`` free-form text shown by ``systemctl status``,
``WATCHDOG=1`` keep-alive pings (required at least every ``$WATCHDOG_USEC``
microseconds when ``WatchdogSec=`` is set; ``$WATCHDOG_PID``, when present,
names the process the watchdog applies to) and ``STOPPING=1`` when shutting
down.  With ``NotifyAccess=main`` systemd only accepts datagrams sent by the
main PID of the unit.

Sending never blocks and never raises: every method returns ``True`` when
the datagram was handed to the kernel and ``False`` otherwise (notification
disabled, socket vanished, queue full, ...).  A daemon must not die because
systemd's socket went away.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["SystemdNotifier"]

_log = logging.getLogger(__name__)

_ENV_KEYS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def _parse_address(raw: str | None) -> str | None:
    """Turn ``$NOTIFY_SOCKET`` into an ``AF_UNIX`` address, or ``None``."""
    if not raw:
        return None
    if raw.startswith("@"):
        # Abstract namespace: Python passes a leading NUL through verbatim.
        return "\0" + raw[1:] if len(raw) > 1 else None
    if raw.startswith("/"):
        return raw
    # Relative paths are invalid per sd_notify(3); "vsock:" addresses
    # (systemd >= 253, VMs) are not supported by this client.
    _log.debug("unsupported NOTIFY_SOCKET address %r; notifications disabled", raw)
    return None


def _parse_watchdog(environ: Mapping[str, str], pid: int) -> float | None:
    usec_raw = environ.get("WATCHDOG_USEC")
    if not usec_raw:
        return None
    pid_raw = environ.get("WATCHDOG_PID")
    if pid_raw:
        try:
            if int(pid_raw) != pid:
                return None  # the watchdog belongs to another process
        except ValueError:
            return None
    try:
        usec = int(usec_raw)
    except ValueError:
        return None
    if usec <= 0:
        return None
    # sd_watchdog_enabled(3) recommends pinging at half the timeout.
    return usec / 2 / 1_000_000


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    # A value cannot span lines: the newline separates assignments.
    return str(value).replace("\r", " ").replace("\n", " ")


class SystemdNotifier:
    """Sends ``sd_notify`` datagrams; every method is a no-op when disabled."""

    def __init__(self, address: str | None = None, watchdog_interval: float | None = None) -> None:
        self._address = address
        self._watchdog_interval = watchdog_interval if address is not None else None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] = os.environ,
        *,
        unset_environment: bool = False,
    ) -> SystemdNotifier:
        """Build a notifier from ``NOTIFY_SOCKET``/``WATCHDOG_USEC``/``WATCHDOG_PID``.

        With ``unset_environment=True`` (and a mutable ``environ``) those
        variables are removed afterwards, like ``sd_notify(unset_environment=1)``,
        so that child processes (content-creator) do not inherit them.
        """
        address = _parse_address(environ.get("NOTIFY_SOCKET"))
        interval = _parse_watchdog(environ, os.getpid())
        if unset_environment and isinstance(environ, MutableMapping):
            for key in _ENV_KEYS:
                environ.pop(key, None)
        return cls(address, interval)

    # -- state ---------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """``False`` when ``NOTIFY_SOCKET`` was unset (or unusable)."""
        return self._address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between ``WATCHDOG=1`` pings (half of ``WATCHDOG_USEC``).

        ``None`` when notifications are disabled, no watchdog is configured,
        or ``WATCHDOG_PID`` names another process.
        """
        return self._watchdog_interval

    # -- messages ------------------------------------------------------------

    def ready(self, status: str | None = None) -> bool:
        """``READY=1`` (plus ``STATUS=`` when given): start-up is complete."""
        return self.notify(READY=1, STATUS=status)

    def status(self, text: str) -> bool:
        """``STATUS=text``: one line shown by ``systemctl status``."""
        return self.notify(STATUS=text)

    def watchdog(self) -> bool:
        """``WATCHDOG=1``: keep-alive ping for ``WatchdogSec=``."""
        return self.notify(WATCHDOG=1)

    def stopping(self, status: str | None = None) -> bool:
        """``STOPPING=1`` (plus ``STATUS=`` when given): shutdown has begun."""
        return self.notify(STOPPING=1, STATUS=status)

    def extend_timeout(self, seconds: float) -> bool:
        """``EXTEND_TIMEOUT_USEC=``: ask for more time during start/stop."""
        return self.notify(EXTEND_TIMEOUT_USEC=max(0, int(seconds * 1_000_000)))

    def notify(self, **fields: Any) -> bool:
        """Send ``KEY=VALUE`` lines in the given order; ``None`` values are skipped.

        Keys are upper-cased (``notify(status="x")`` sends ``STATUS=x``);
        booleans become ``1``/``0``.
        """
        lines = [f"{key.upper()}={_format_value(value)}" for key, value in fields.items() if value is not None]
        if not lines:
            return False
        return self.send("\n".join(lines))

    def send(self, message: str) -> bool:
        """Send one raw datagram. Returns ``False`` instead of raising."""
        if self._address is None or not message:
            return False
        data = message.encode("utf-8", errors="replace")
        with self._lock:
            try:
                if self._sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                    sock.setblocking(False)
                    self._sock = sock
                self._sock.sendto(data, self._address)
            except OSError as exc:  # ENOENT, ECONNREFUSED, EAGAIN, EMSGSIZE, ...
                _log.debug("sd_notify to %r failed: %s", self._address, exc)
                return False
            return True

    def close(self) -> None:
        """Close the client socket (a later send reopens it)."""
        with self._lock:
            if self._sock is not None:
                try:
                    self._sock.close()
                finally:
                    self._sock = None

    def __enter__(self) -> SystemdNotifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(address={self._address!r}, watchdog_interval={self._watchdog_interval!r})"
