"""Parameter types shared by the commands (cyclopts annotations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from cyclopts import Parameter

from contenthub_async.cli.errors import usage
from contenthub_async.domain.submission import MAX_ID
from contenthub_async.texts.messages import text


def strict_int(type_: Any, tokens: Sequence[Any]) -> int:
    """A decimal integer and nothing else (cyclopts alone would round ``1.5`` to ``2``)."""
    raw = tokens[0].value.strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not digits.isascii() or not digits.isdigit():
        raise ValueError  # cyclopts reports: Invalid value for --x: unable to convert "1.5" into int.
    value = int(raw)
    if abs(value) > MAX_ID:  # no column holds it (ids, counts and limits are 32-bit integers)
        raise ValueError
    return value


Format = Annotated[
    Literal["table", "json"],
    Parameter(name="--format", help=text("help.opt.format")),
]

Int = Annotated[int, Parameter(converter=strict_int)]

#: Most rows a listing command prints (list, monitor recent|failed|pending, scheduler history).
MAX_LIST_LIMIT = 10_000


def check_limit(limit: int, high: int = MAX_LIST_LIMIT) -> None:
    """``--limit`` must be 1..high; otherwise a usage error (exit 2)."""
    if not 1 <= limit <= high:
        raise usage("error.bad_limit", high=high, value=limit)
