"""How contenthub-ctl names the database it resolved (cli/runtime.py: database_label)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contenthub_async.cli.runtime import database_label


def test_sqlite_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_label("sqlite:///data/contenthub.db") == str(tmp_path / "data" / "contenthub.db")
    assert database_label("sqlite:////srv/contenthub/contenthub.db") == "/srv/contenthub/contenthub.db"


def test_postgresql_urls_never_show_the_password() -> None:
    label = database_label("postgresql://contenthub:s3cret@db.internal:5432/contenthub?schema=ch")
    assert label == "postgresql://contenthub@db.internal:5432/contenthub?schema=ch"
    assert "s3cret" not in label
