from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.startup import pause_collection, resume_collection
from tests.support import durations
from tests.support.databases import BACKENDS, POSTGRES_URL, SKIP_POSTGRES, MigratedDatabases, open_database
from tests.support.processes import reap_started, started_count

ACCEPTANCE = Path(__file__).parent / "acceptance"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store-durations", action="store_true",
                     help="write this run's test durations into tests/durations.json (it orders the files of later runs)")


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """Collecting imports every test module and all they import: a test process collects the way
    contenthubd and contenthub-ctl start, without the cyclic garbage collector (startup.py)."""
    pause_collection()
    try:
        return (yield)
    finally:
        resume_collection()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every acceptance test is ``slow``: real contenthubd processes end to end (kill -9 loops,
    a browser, the benchmark), left out of the inner loop by ``-m "not slow"``."""
    for item in items:
        if item.path.is_relative_to(ACCEPTANCE):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config: pytest.Config) -> None:
    # the longest files first (tests/durations.json), so that on several workers (scripts/test:
    # --dist loadfile, --no-loadscope-reorder) no long file starts last and ends alone
    config.pluginmanager.register(durations.Plugin(config), "contenthub-durations")


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
