"""Building publishers from specs: one per spec, reused for every article that names it."""

from __future__ import annotations

from contenthub_async.publishers.port import Publisher, PublishError
from contenthub_async.publishers.specs import InvalidSpec, parse_spec


class Publishers:
    """The publisher of each account: its own spec (``accounts.publisher``), else ``default``
    (``CONTENTHUB_PUBLISHER``). ``api_key``: ``PUBLISHER_API_KEY`` for the content-publisher
    service; ``timeout``: seconds one publish call may take."""

    def __init__(self, default: str, *, api_key: str | None, timeout: float) -> None:
        self.default = default
        self.api_key = api_key
        self.timeout = timeout
        self._built: dict[str, Publisher] = {}

    def for_account(self, spec: str | None) -> Publisher:
        """The publisher for an account's spec; a permanent PublishError for an invalid spec."""
        key = spec or self.default
        if key not in self._built:
            self._built[key] = self._build(key)
        return self._built[key]

    def _build(self, spec: str) -> Publisher:
        try:
            parsed = parse_spec(spec)
        except InvalidSpec as exc:
            raise PublishError(f"invalid publisher {spec!r} ({exc.reason})", retryable=False) from None
        if parsed.kind == "dir":
            from contenthub_async.publishers.directory import DirPublisher

            return DirPublisher(parsed.target)
        if parsed.kind == "exec":
            from contenthub_async.publishers.command import ExecPublisher

            return ExecPublisher(parsed.argv, timeout=self.timeout, spec=str(parsed))
        from contenthub_async.publishers.http import HttpPublisher

        return HttpPublisher(parsed.target, api_key=self.api_key, timeout=self.timeout)

    async def close(self) -> None:
        for publisher in self._built.values():
            closing = getattr(publisher, "aclose", None)
            if closing is not None:
                await closing()
        self._built.clear()
