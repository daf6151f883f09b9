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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contenthub_async.json_objects import utc_iso as utc_iso  # the one UTC format of JSON
from contenthub_async.texts.messages import text

# ---------------------------------------------------------------- time


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

#: Columns between two table columns (one space of padding on each side of a blank rule).
COLUMN_GAP = 3

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


@dataclass(frozen=True)
class Column:
    """A table column and how it gives way on a narrow terminal.

    ``shrink``: the narrowest the column may get (longer cells are cut with …, or folded onto
    more lines when ``fold``); None: never narrower than its widest cell, so ids stay whole.
    ``drop``: 0 = always shown; otherwise, when even the narrowest layout is too wide, the
    column with the highest ``drop`` is hidden first. ``max_width`` caps a shrinkable column.
    """

    header: str
    right: bool = False
    shrink: int | None = None
    fold: bool = False
    drop: int = 0
    max_width: int | None = None


def layout(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None) -> list[int | None]:
    """The width of each column in ``width`` terminal columns (None: hidden; ``width`` None: unlimited).

    Shrinkable columns give way first; then columns are hidden by ``drop``; what is left is never
    cut below its floor (the line may then be longer than ``width``).
    """
    natural = []
    for index, column in enumerate(columns):
        widest = max([display_width(column.header), *(display_width(row[index]) for row in rows)])
        natural.append(min(widest, column.max_width) if column.max_width and column.shrink is not None else widest)
    floor = [min(n, c.shrink) if c.shrink is not None else n for n, c in zip(natural, columns, strict=True)]
    shown = list(range(len(columns)))

    def needed(sizes: Sequence[int]) -> int:
        return sum(sizes[i] for i in shown) + COLUMN_GAP * (len(shown) - 1)

    if width is None or needed(natural) <= width:
        return list(natural)
    while needed(floor) > width and any(columns[i].drop for i in shown):
        shown.remove(max((i for i in shown if columns[i].drop), key=lambda i: (columns[i].drop, i)))
    sizes = {i: floor[i] for i in shown}
    spare = width - needed(floor)
    for i in shown:  # give the room left back, left to right
        grow = max(0, min(natural[i] - floor[i], spare))
        sizes[i] += grow
        spare -= grow
    return [sizes.get(i) for i in range(len(columns))]


def terminal_width() -> int | None:
    """Columns of the terminal (``COLUMNS`` wins); None when piped without ``COLUMNS`` (no limit)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        import shutil  # not at module level: it loads the compression modules

        return shutil.get_terminal_size().columns
    return None


def print_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[tuple[str, str | None]]],
    *,
    footer: str | None = None,
) -> None:
    """A table fitted to the terminal (:func:`layout`). Each cell: (text, rich style or None).

    Cells are plain text (never rich markup). A note under the table names hidden columns.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [list(row) for row in rows]
    width = terminal_width()
    sizes = layout(columns, [[cell for cell, _ in row] for row in cells], width)
    shown = [i for i, size in enumerate(sizes) if size is not None]
    total = sum(sizes[i] or 0 for i in shown) + COLUMN_GAP * (len(shown) - 1)
    console = Console(width=max(total, width or 0), highlight=False, soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i in shown:
        column = columns[i]
        table.add_column(column.header, width=sizes[i], justify="right" if column.right else "left",
                         no_wrap=not column.fold, overflow="fold" if column.fold else "ellipsis")
    for row in cells:
        table.add_row(*(Text(row[i][0], style=row[i][1] or "") for i in shown))
    console.print(table)
    hidden = [columns[i].header for i, size in enumerate(sizes) if size is None]
    if hidden:
        note = text("table.hidden", columns=text("table.separator").join(hidden))
        console.print(Text(note, style="dim"), soft_wrap=True)
    if footer:
        console.print(Text(footer, style="dim"), soft_wrap=True)
