"""A real HTTP webhook receiver on loopback, in a thread: it records every request and answers
with the status codes it is told to (after an optional delay). It also notes when a request
arrives while another with the same ``webhook-id`` is still being answered."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() at receipt

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``answers``: status codes for the next requests, in order (then ``default``);
    ``delay``: seconds to wait before answering; ``redirect_to``: Location for 3xx answers."""

    default: int = 200
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    redirect_to: str = ""
    answer_size: int = 0  # bytes of the answer's body (0: a short word)
    hold: threading.Event | None = None  # when given, answers wait until it is set
    fail_first: bool = False  # answer 500 to the first request of each webhook-id
    received: list[Received] = field(default_factory=list)
    overlapping: list[str] = field(default_factory=list)  # webhook-ids that arrived while being answered
    _open: dict[str, int] = field(default_factory=dict)  # requests being answered, per webhook-id
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def next_status(self) -> int:
        with self._lock:
            return self.answers.pop(0) if self.answers else self.default

    def record(self, item: Received) -> int | None:
        """Note the arrival; the status to answer when ``fail_first`` decides it."""
        webhook_id = item.headers.get("webhook-id", "")
        with self._lock:
            first = all(r.headers.get("webhook-id") != webhook_id for r in self.received)
            self.received.append(item)
            if self._open.get(webhook_id):
                self.overlapping.append(webhook_id)
            self._open[webhook_id] = self._open.get(webhook_id, 0) + 1
        return 500 if self.fail_first and first else None

    def answered(self, webhook_id: str) -> None:
        with self._lock:
            self._open[webhook_id] -= 1

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        """The first ``count`` requests, waiting for them (a generous deadline, not a speed check)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"received {len(self.received)} of {count} requests within {timeout} s")

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                forced = receiver.record(Received(self.path, headers, body, time.time()))
                try:
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    if receiver.hold is not None:
                        receiver.hold.wait(120)
                finally:
                    # Before the answer leaves: a sender cannot send this id again before it has
                    # the answer, so a later request with it is never taken for an overlap.
                    receiver.answered(headers.get("webhook-id", ""))
                self.answer(forced)

            def answer(self, forced: int | None) -> None:
                status = forced or receiver.next_status()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", receiver.redirect_to)
                answer = b"ok" if status < 300 else b"nope"
                if receiver.answer_size:
                    answer = b"x" * receiver.answer_size
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                    self.wfile.flush()
                except OSError:
                    pass  # the client stopped reading (it caps what it reads)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running_receiver(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


async def received_async(receiver: Receiver, count: int, timeout: float = 60.0) -> list[Received]:
    """:meth:`Receiver.wait_for` without blocking the event loop (for tests that run services in it)."""
    import anyio

    with anyio.fail_after(timeout):
        while len(receiver.received) < count:
            await anyio.sleep(0.02)
    return list(receiver.received)
