"""Measured test durations, to start the longest files first on several workers.

``tests/durations.json`` maps the node id of every test that took ``LISTED_FROM_SECONDS`` or
more (setup, call and teardown) to its seconds in a whole run of ``./scripts/test``; a test it
does not list is taken to last ``UNLISTED_SECONDS``. It only orders the files (a stale entry
costs some wall time, never a result); ``./scripts/test --store-durations`` measures it again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import pytest

FILE = Path(__file__).resolve().parents[1] / "durations.json"
LISTED_FROM_SECONDS = 0.5
UNLISTED_SECONDS = 0.2


def load() -> dict[str, float]:
    return json.loads(FILE.read_text(encoding="utf-8")) if FILE.exists() else {}


def longest_files_first(items: list[pytest.Item], known: Mapping[str, float]) -> None:
    """Order ``items`` by the expected seconds of their file (the tests selected in this run),
    longest first; the tests of a file keep their order, and files of equal length theirs."""
    seconds: dict[Path, float] = defaultdict(float)
    for item in items:
        seconds[item.path] += known.get(item.nodeid, UNLISTED_SECONDS)
    position = {path: index for index, path in enumerate(dict.fromkeys(item.path for item in items))}
    items.sort(key=lambda item: (-seconds[item.path], position[item.path]))


def store(measured: Mapping[str, float]) -> None:
    """Merge this run's ``measured`` seconds into the file (tests not run keep their entry)."""
    merged = {**load(), **{node: round(s, 1) for node, s in measured.items()}}
    listed = {node: s for node, s in sorted(merged.items()) if s >= LISTED_FROM_SECONDS}
    FILE.write_text(json.dumps(listed, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")


class Plugin:
    """Orders the selected tests (after ``-m``/``-k`` deselection) and, with ``--store-durations``,
    stores what this run measured (on the controller only, under pytest-xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.measured: dict[str, float] = defaultdict(float)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        longest_files_first(items, load())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.measured[report.nodeid] += report.duration

    def pytest_sessionfinish(self) -> None:
        if self.config.getoption("store_durations") and not hasattr(self.config, "workerinput"):
            store(self.measured)
