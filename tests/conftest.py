from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contenthub_async.clock import ManualClock
from tests.support.databases import BACKENDS, POSTGRES_URL, SKIP_POSTGRES, MigratedDatabases, open_database
from tests.support.processes import reap_started, started_count

ACCEPTANCE = Path(__file__).parent / "acceptance"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every acceptance test is ``slow``: real contenthubd processes end to end (kill -9 loops,
    a browser, the benchmark), left out of the inner loop by ``-m "not slow"``."""
    for item in items:
        if item.path.is_relative_to(ACCEPTANCE):
            item.add_marker(pytest.mark.slow)
    _longest_files_first(items)


#: How many ordinary tests a ``slow`` one is worth when files are ordered by their expected length.
SLOW_TEST_WEIGHT = 50


def _longest_files_first(items: list[pytest.Item]) -> None:
    """Order the files by their expected length, longest first (a slow test weighs
    ``SLOW_TEST_WEIGHT`` others), so that on several workers (``--dist loadfile``,
    ``--no-loadscope-reorder``: scripts/test) no long file starts last and finishes alone."""
    weight: dict[Path, int] = {}
    for item in items:
        weight[item.path] = weight.get(item.path, 0) + (SLOW_TEST_WEIGHT if item.get_closest_marker("slow") else 1)
    position = {path: index for index, path in enumerate(dict.fromkeys(item.path for item in items))}
    items.sort(key=lambda item: (-weight[item.path], position[item.path]))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of a test; PostgreSQL is skipped, not an error, without its server.

    Tests that pick a backend themselves (``parametrize("backend", ["postgresql"], indirect=True)``)
    get the same skip.
    """
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    return request.param


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    """Migrates once per test process; every test gets its own copy."""
    databases = MigratedDatabases(tmp_path_factory.mktemp("templates"))
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def db_url(backend: str, tmp_path: Path, migrated_databases: MigratedDatabases) -> Iterator[str]:
    """An empty database of ``backend`` at the latest schema, the test's alone."""
    with migrated_databases.url(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[object]:
    async with open_database(db_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    """Whatever a test started in a session of its own dies with the test, however it ended
    (a module-scoped fixture's daemon, started before this fixture, is left to that fixture)."""
    mark = started_count()
    try:
        yield
    finally:
        reap_started(mark)
