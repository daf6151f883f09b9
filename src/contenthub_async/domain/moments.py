"""Points in time as operators type them. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

#: Forms without a zone; they are the operator's local time.
LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


def parse_moment(value: str) -> datetime:
    """``2026-02-06 12:00:00`` (local time: ``TZ`` or the system's), or ISO 8601 with a zone
    (``2026-02-06T12:00:00+08:00``, ``…Z``), as an aware UTC datetime. ValueError otherwise."""
    raw = value.strip()
    for fmt in LOCAL_FORMATS:
        try:
            return datetime.strptime(raw, fmt).astimezone().astimezone(UTC)
        except ValueError:
            continue
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    if parsed.tzinfo is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed.astimezone(UTC)
