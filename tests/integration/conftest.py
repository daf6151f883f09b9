"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Ctl
from tests.support.databases import MigratedDatabases


@pytest.fixture
def ctl(tmp_path: Path, migrated_databases: MigratedDatabases) -> Ctl:
    work = tmp_path / "work"  # cwd without a .env
    work.mkdir()
    return Ctl(tmp_path / "data" / "contenthub.db", work, migrated_databases)
