"""Writing results: JSON (stable, English keys, UTC), plain lines and tables (local time).

``rich`` is imported only by :func:`print_table`, so commands that print plain lines
(``submit``) never load it.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from contenthub_async.cli.messages import text

# ---------------------------------------------------------------- time


def utc_iso(value: datetime | None) -> str | None:
    """``2026-11-22T08:00:00.123Z`` (the storage format), or None."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def local_time(value: datetime | None, *, seconds: bool = True, zone: bool = True) -> str:
    """An aware time in the operator's zone (``TZ`` or the system's), e.g. ``2026-11-22 16:00:00 CST``."""
    if value is None:
        return text("word.none")
    local = value.astimezone()
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if zone:
        shown += " " + (local.tzname() or local.strftime("%z"))
    return shown


def local_zone() -> str:
    """The abbreviation of the operator's time zone now, e.g. ``CST``."""
    now = datetime.now().astimezone()
    return now.tzname() or now.strftime("%z")


# ---------------------------------------------------------------- plain text


def display_width(value: str) -> int:
    """Terminal columns taken by ``value`` (East Asian wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in value)


def pad(value: str, width: int) -> str:
    return value + " " * max(0, width - display_width(value))


def print_fields(rows: Sequence[tuple[str, str]], *, file: Any = None) -> None:
    """``label: value`` lines with the values aligned."""
    out = file or sys.stdout
    width = max((display_width(label) for label, _ in rows), default=0)
    for label, value in rows:
        out.write(f"{pad(label + ':', width + 1)} {value}\n")


def print_lines(lines: Iterable[str], *, file: Any = None) -> None:
    out = file or sys.stdout
    for line in lines:
        out.write(line + "\n")


def print_error(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    sys.stderr.write(f"contenthub-ctl: {text('error.prefix', message=message)}\n")


def print_note(key: str, **fields: object) -> None:
    """A catalog message on stderr (side remarks that must not disturb stdout, e.g. JSON)."""
    sys.stderr.write(text(key, **fields) + "\n")


def or_dash(value: object) -> str:
    return text("word.none") if value is None or value == "" else str(value)


def yes_no(value: bool) -> str:
    return text("word.yes" if value else "word.no")


# ---------------------------------------------------------------- JSON


def print_json(data: Any) -> None:
    """Indented UTF-8 JSON (Chinese stays readable) with a trailing newline."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- tables

#: Colours of the status column in tables (ignored when the output is not a terminal).
STATUS_STYLES = {
    "pending": "yellow",
    "submitting": "cyan",
    "submitted": "cyan",
    "processing": "blue",
    "completed": "green",
    "failed": "red",
    "timeout": "red",
    "cancelled": "dim",
}


def print_table(
    columns: Sequence[tuple[str, dict[str, Any]]],
    rows: Iterable[Sequence[tuple[str, str | None]]],
    *,
    footer: str | None = None,
) -> None:
    """A rich table. ``columns``: (header, rich column options); each cell: (text, style).

    Cells are plain text (never rich markup). Piped output is not cut to 80 columns.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
    console = Console(width=width, highlight=False, soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, options in columns:
        table.add_column(header, **options)
    for row in rows:
        table.add_row(*(Text(cell, style=style or "") for cell, style in row))
    console.print(table)
    if footer:
        console.print(Text(footer, style="dim"))
