"""The suite on a machine without PostgreSQL (README: its tests are skipped, never errors).

One real pytest run in a clean environment: the whole tree is collected and every test that
has PostgreSQL in its id runs, so a PostgreSQL-only parametrization or fixture that errors
without ``CONTENTHUB_TEST_POSTGRES_URL`` fails here.
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.databases import POSTGRES_ENV
from tests.support.processes import run_in_own_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_without_the_server_its_tests_are_skipped_and_nothing_errors(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (POSTGRES_ENV, "DATABASE_URL", "PYTEST_ADDOPTS")}
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_XDIST", "ASYNC_", "CONTENTHUB_"))}
    report = tmp_path / "report.xml"
    run = run_in_own_session(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "postgresql or postgres",
         # never this file again: the run would start itself
         f"--ignore={Path(__file__).resolve()}", f"--junit-xml={report}", "--rootdir", str(ROOT), str(ROOT / "tests")],
        env=env, cwd=tmp_path, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("errors"), suite.get("failures")) == ("0", "0"), run.stdout[-4000:]
    cases = {f"{case.get('classname')}.{case.get('name')}": case for case in suite.iter("testcase")}
    skipped = {name for name, case in cases.items() if case.find("skipped") is not None}
    # Both kinds of PostgreSQL test were collected and skipped: the backend parametrization of
    # every conformance test, and a test that chose PostgreSQL itself.
    assert "tests.conformance.test_tasks.test_claim_orders_by_priority_then_fifo_and_honours_limit[postgresql]" in skipped
    assert "tests.integration.test_daemon_behaviour.test_two_daemons_share_one_postgresql_queue[postgresql]" in skipped
    assert all(POSTGRES_ENV in (cases[name].find("skipped").get("message") or "") for name in skipped)  # type: ignore[union-attr]
