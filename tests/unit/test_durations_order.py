"""The order the suite runs its files in (tests/support/durations.py): longest first by what was measured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.durations import UNLISTED_SECONDS, longest_files_first


@dataclass
class Item:
    nodeid: str

    @property
    def path(self) -> Path:
        return Path(self.nodeid.split("::")[0])


def ids(items: list[Item]) -> list[str]:
    return [item.nodeid for item in items]


def test_files_run_longest_first_and_keep_the_order_of_their_tests() -> None:
    items = [Item("a.py::one"), Item("a.py::two"), Item("b.py::one"), Item("c.py::one"), Item("c.py::two")]
    longest_files_first(items, {"b.py::one": 30.0, "c.py::two": 2.0})  # type: ignore[arg-type]
    assert ids(items) == ["b.py::one", "c.py::one", "c.py::two", "a.py::one", "a.py::two"]


def test_unlisted_tests_count_as_short_ones_and_equal_files_keep_their_order() -> None:
    items = [Item("a.py::one"), Item("b.py::one"), Item("b.py::two"), Item("c.py::one")]
    longest_files_first(items, {"a.py::one": 2 * UNLISTED_SECONDS})  # type: ignore[arg-type]
    assert ids(items) == ["a.py::one", "b.py::one", "b.py::two", "c.py::one"]


def test_only_the_selected_tests_of_a_file_count() -> None:
    # the slow test of a.py is not selected (as under -m "not slow"): a.py is short in this run
    items = [Item("a.py::fast"), Item("b.py::one"), Item("b.py::two")]
    longest_files_first(items, {"a.py::slow": 60.0, "b.py::one": 1.0, "b.py::two": 1.0})  # type: ignore[arg-type]
    assert ids(items) == ["b.py::one", "b.py::two", "a.py::fast"]
