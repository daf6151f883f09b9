"""A fake of the content-publisher service on a real loopback socket, for tests.

``POST /api/publish`` takes JSON or multipart/form-data (as the real service does) and answers
``{"code": 0, "data": {"media_id": "media-N", "url": "https://mp.example/s/N"}}``. Knobs:
``script`` — the next answers, e.g. ``[500, 429]`` (then success); ``delay`` — seconds before
every answer (slow); ``hang`` — the next N requests get no answer for ``hang_seconds`` (a client
timeout). Every request is recorded (headers, parsed fields, uploaded file names).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    fields: dict[str, Any]
    files: list[str]


@dataclass
class FakePublisher:
    url: str = ""
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    hang: int = 0
    hang_seconds: float = 30.0
    api_key: str = "test-api-key"
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> tuple[int, bool]:
        """(status to answer, whether to hang first)."""
        with self._lock:
            hang = self.hang > 0
            if hang:
                self.hang -= 1
            return (self.script.pop(0) if self.script else 200), hang

    @property
    def published(self) -> list[Received]:
        return [r for r in self.received if r.fields.get("_answered") == 200]


def _handler(fake: FakePublisher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fields, files = _parse(self.headers.get("Content-Type", ""), body)
            status, hang = fake.next_status()
            if self.path != "/api/publish":
                status = 404
            elif self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                status = 401
            record = Received(dict(self.headers.items()), fields, files)
            with fake._lock:
                fake.received.append(record)
            if hang:
                time.sleep(fake.hang_seconds)
            if fake.delay:
                time.sleep(fake.delay)
            if status == 200:
                n = len(fake.published)
                answer: dict[str, Any] = {"code": 0, "data": {"media_id": f"media-{n}", "url": f"https://mp.example/s/{n}"}}
            else:
                answer = {"code": status, "message": {401: "bad token", 404: "no such endpoint", 429: "slow down"}
                          .get(status, "publisher failed")}
            fields["_answered"] = status
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout)

    return Handler


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], list[str]]:
    if content_type.startswith("application/json"):
        return json.loads(body), []
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        files: list[str] = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            if filename:
                files.append(filename)
            else:
                fields[str(name)] = part.get_payload(decode=True).decode("utf-8")  # form fields are UTF-8
        if "account" in fields:
            fields["account"] = json.loads(fields["account"])
        return fields, files
    return {"_raw": body.decode("utf-8", "replace")}, []


@contextmanager
def fake_publisher(**knobs: Any) -> Iterator[FakePublisher]:
    """A running fake on 127.0.0.1 (a free port), stopped on exit."""
    fake = FakePublisher(**knobs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
