"""The listening socket contenthubd binds for HTTP: connections it accepts send without Nagle's
algorithm, or a response written in two parts waits for the client's delayed ACK (~40 ms)."""

from __future__ import annotations

import asyncio
import socket

from contenthub_async.http.server import bind


async def test_accepted_connections_have_nagle_off() -> None:
    listener = bind("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert await asyncio.wait_for(accepted, 60) != 0
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()
