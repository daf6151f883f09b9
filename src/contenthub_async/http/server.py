"""Serving the API from contenthubd's own event loop.

uvicorn's ``Server.serve()`` runs as one more task in the daemon's task group, on a socket the
daemon binds at start (so a taken port fails the start with a clear message, before any loop
runs). uvicorn's own signal handling is switched off: the daemon owns SIGTERM/SIGINT, and when
it starts stopping, the server stops accepting, finishes the requests in progress (at most
:data:`GRACEFUL_SECONDS`) and returns, like the other loops. (hypercorn's ``serve(...,
shutdown_trigger=...)`` would do too; uvicorn is the more common server of FastAPI and its
HTTP/1.1 path is the faster of the two.)
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator

import anyio
import uvicorn
from fastapi import FastAPI

GRACEFUL_SECONDS = 5


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (raises OSError when it cannot be had)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio switches Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose protocol says TCP, and accepted sockets inherit it. With Nagle on, a response
    # written in two parts (head, body) waited for the client's delayed ACK: ~40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(False)
    except OSError:
        sock.close()
        raise
    return sock


class _DaemonServer(uvicorn.Server):
    """uvicorn without its signal handlers: the daemon decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: FastAPI, sock: socket.socket, stopping: anyio.Event) -> None:
    """Serve ``app`` on ``sock`` until ``stopping`` is set; then finish what is in progress."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    server = _DaemonServer(config)

    async def stop_when_stopping() -> None:
        await stopping.wait()
        server.should_exit = True

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(stop_when_stopping)
            await server.serve(sockets=[sock])
            group.cancel_scope.cancel()
    finally:
        sock.close()
