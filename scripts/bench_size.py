"""How big a benchmark run is.

``full`` gives the figures of docs/BENCHMARKS.md; ``quick`` smaller sizes and fewer runs;
``smoke`` the fewest samples that still give every figure its whole shape (each batch size,
concurrency, backend and case): the test suite's check that every figure is produced, whose
values mean nothing.
"""

from __future__ import annotations

from typing import Literal, TypeVar

Size = Literal["full", "quick", "smoke"]
SIZES: tuple[Size, ...] = ("full", "quick", "smoke")

T = TypeVar("T")


def sized(size: Size, full: T, quick: T, smoke: T) -> T:
    """The value of ``size``."""
    return {"full": full, "quick": quick, "smoke": smoke}[size]
