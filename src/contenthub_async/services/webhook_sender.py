"""One signed webhook request over HTTP (httpx), and what came of it.

* The whole attempt — name lookup, connection, redirects, reading the answer — is bounded by
  ``WEBHOOK_TIMEOUT``; at most :data:`RESPONSE_CAP` bytes of the answer are read.
* Any 2xx answer is success; everything else (other codes, no answer) is a failed attempt.
* Redirects: a 307/308 to the same scheme, host and port is followed (at most
  :data:`MAX_REDIRECTS`, re-sending the same signed body); any other redirect is a failed
  attempt, so a receiver can never send the request to another host.
* A *guarded* URL (a task's ``callback_url``) is resolved first, every address is checked
  (``domain.webhook_destinations``), and the request goes to the checked address.

httpx and its client (TLS context, CA bundle) are loaded at the first send, not when the daemon
starts: most daemons never send a webhook, and a restarted daemon's first claim should not wait.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import anyio

from contenthub_async import __version__
from contenthub_async.domain.webhook_destinations import blocked_reason
from contenthub_async.domain.webhook_signing import signing_headers

if TYPE_CHECKING:
    import httpx

RESPONSE_CAP = 64 * 1024  # bytes of an answer that are read
ERROR_TEXT_CAP = 300  # characters of an answer kept as the attempt's error
MAX_REDIRECTS = 3
USER_AGENT = f"contenthub-webhooks/{__version__}"


@dataclass(frozen=True)
class SendOutcome:
    status_code: int | None  # None: no HTTP answer
    error: str | None
    duration_ms: int
    body: str = ""  # the start of the answer (for `webhook test`)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class BlockedDestination(Exception):
    """A guarded URL resolves to an address it may not reach."""


class WebhookSender:
    def __init__(self, *, timeout: float, keys: tuple[bytes, ...], allow_private: bool) -> None:
        self.timeout = timeout
        self.keys = keys
        self.allow_private = allow_private
        self._http: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                follow_redirects=False, timeout=httpx.Timeout(timeout=self.timeout), trust_env=False,
                headers={"user-agent": USER_AGENT, "content-type": "application/json"},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def send(self, url: str, event_id: str, body: bytes, *, guarded: bool, timestamp: int) -> SendOutcome:
        """POST ``body`` to ``url`` signed as event ``event_id`` at unix time ``timestamp``."""
        import httpx

        started = time.monotonic()

        def done(status_code: int | None, error: str | None, answer: str = "") -> SendOutcome:
            return SendOutcome(status_code, error, int((time.monotonic() - started) * 1000), answer)

        headers = signing_headers(self.keys, event_id, timestamp, body)
        try:
            with anyio.fail_after(self.timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    status, location, answer = await self._post(url, headers, body, guarded=guarded)
                    if status in (307, 308) and location and _same_origin(url, urljoin(url, location)):
                        url = urljoin(url, location)
                        continue
                    if 300 <= status < 400:
                        return done(status, f"redirect to {location or '?'} not followed", answer)
                    if 200 <= status < 300:
                        return done(status, None, answer)
                    return done(status, f"HTTP {status}: {answer[:ERROR_TEXT_CAP]}".rstrip(": "), answer)
                return done(status, f"more than {MAX_REDIRECTS} redirects", answer)
        except TimeoutError:
            return done(None, f"no answer within {self.timeout:g} s")
        except BlockedDestination as blocked:
            return done(None, str(blocked))
        except httpx.HTTPError as error:
            return done(None, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        except OSError as error:  # name resolution
            return done(None, f"{type(error).__name__}: {error}")

    async def _post(self, url: str, headers: dict[str, str], body: bytes, *, guarded: bool) -> tuple[int, str, str]:
        """(status code, Location header, the start of the answer as text)."""
        request = self._client.build_request("POST", url, content=body, headers=headers)
        if guarded:
            await self._pin_checked_address(request)
        response = await self._client.send(request, stream=True)
        try:
            answer = bytearray()
            async for chunk in response.aiter_raw():
                answer += chunk
                if len(answer) >= RESPONSE_CAP:
                    break
        finally:
            await response.aclose()
        return response.status_code, response.headers.get("location", ""), bytes(answer[:RESPONSE_CAP]).decode(
            "utf-8", "replace"
        )

    async def _pin_checked_address(self, request: httpx.Request) -> None:
        """Resolve the host, refuse it if any address is not allowed, and send to the checked address."""
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise BlockedDestination(f"{host} does not resolve")
        for address in addresses:
            reason = blocked_reason(address, allow_private=self.allow_private)
            if reason is not None:
                raise BlockedDestination(
                    f"{host} resolves to {address}: {reason}; refused (CONTENTHUB_WEBHOOK_ALLOW_PRIVATE)"
                )
        if str(addresses[0]) != host:
            request.headers["host"] = request.url.netloc.decode("ascii")
            if request.url.scheme == "https":
                request.extensions["sni_hostname"] = host
            request.url = request.url.copy_with(host=str(addresses[0]))


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
