"""Signing webhook requests per the Standard Webhooks specification (standardwebhooks.com).

A request carries ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp``
(unix seconds) and ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"``, one per key, so receivers with any of the keys verify it.

Keys come from ``WEBHOOK_SECRET_KEY``: several keys separated by spaces or commas (rotation:
add the new key, update the receivers, remove the old key). A key that starts with ``whsec_``
is the base64 after that prefix (the form the spec's libraries generate); any other key is
used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

WHSEC_PREFIX = "whsec_"


class SecretKeyError(ValueError):
    """A ``whsec_`` key whose rest is not base64."""


def parse_secret_keys(value: str | None) -> tuple[bytes, ...]:
    """The signing keys of ``WEBHOOK_SECRET_KEY`` (empty: deliveries go unsigned)."""
    keys: list[bytes] = []
    for word in re.split(r"[\s,]+", value or ""):
        if not word:
            continue
        if word.startswith(WHSEC_PREFIX):
            encoded = word[len(WHSEC_PREFIX):]
            try:
                keys.append(base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True))
            except binascii.Error:
                raise SecretKeyError("a whsec_ key must be followed by base64") from None
            if not keys[-1]:
                raise SecretKeyError("a whsec_ key must be followed by base64")
        else:
            keys.append(word.encode("utf-8"))
    return tuple(keys)


def signature(key: bytes, event_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signing_headers(keys: tuple[bytes, ...], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers; without keys, only id and timestamp (unsigned)."""
    headers = {"webhook-id": event_id, "webhook-timestamp": str(timestamp)}
    if keys:
        headers["webhook-signature"] = " ".join(signature(k, event_id, timestamp, body) for k in keys)
    return headers
