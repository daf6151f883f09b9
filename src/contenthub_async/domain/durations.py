"""Durations as operators type them: ``30m``, ``1h``, ``2d``, ``1w``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_PART = re.compile(r"(\d+)([smhdw])")
#: Longer windows make no sense for a task table (and would overflow datetime arithmetic).
MAX_DURATION = timedelta(days=36_500)


def parse_duration(value: str) -> timedelta:
    """``"1h30m"`` → 1.5 hours. Raises ValueError unless positive, at most 100 years,
    and made of ``<digits><unit>`` parts with unit s, m, h, d or w (case-insensitive)."""
    compact = value.strip().lower()
    if not _WHOLE.fullmatch(compact):
        raise ValueError(f"not a duration: {value!r}")
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(compact))
    if seconds <= 0 or seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration out of range: {value!r}")
    return timedelta(seconds=seconds)
