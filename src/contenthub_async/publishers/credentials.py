"""Platform credentials of an account, referenced, never stored: ``accounts.credentials_ref`` is
``env:NAME`` (an environment variable holding a JSON object) or ``file:PATH`` (a JSON file,
readable by contenthubd only), e.g. ``{"appId": "wx123", "appSecret": "…"}``. Values are read
when an article is published, handed to the publisher, and shown only masked."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from contenthub_async.publishers.port import PublishError


class InvalidCredentialsRef(ValueError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"credentials reference must be env:NAME or file:PATH, not {ref!r}")


def check_ref(ref: str) -> str:
    """``ref`` if it is ``env:NAME`` or ``file:PATH``; InvalidCredentialsRef otherwise."""
    kind, sep, target = ref.strip().partition(":")
    if not sep or kind not in ("env", "file") or not target.strip():
        raise InvalidCredentialsRef(ref)
    if kind == "env" and not target.replace("_", "").isalnum():
        raise InvalidCredentialsRef(ref)
    return f"{kind}:{target.strip()}"


def load_credentials(ref: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The credentials ``ref`` points at; a PublishError (permanent, naming the reference, never
    a value) when they cannot be read."""
    kind, _, target = check_ref(ref).partition(":")
    env = os.environ if environ is None else environ
    if kind == "env":
        if target not in env:
            raise PublishError(f"credentials {ref}: the variable is not set", retryable=False)
        raw = env[target]
    else:
        try:
            raw = Path(target).read_text(encoding="utf-8")
        except OSError as exc:
            raise PublishError(f"credentials {ref}: {exc.strerror or 'cannot be read'}", retryable=False) from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise PublishError(f"credentials {ref}: not a JSON object of strings", retryable=False)
    return {str(k): v for k, v in data.items()}


def mask(value: str) -> str:
    """``wx1234567890`` → ``wx12****``: enough to recognise, nothing to use."""
    return value[:4] + "****" if len(value) > 8 else "****"
