"""`db init` creates the SQLite database, its -wal/-shm files and missing directories private to
the service's user and group, whatever the umask (a real contenthub-ctl process)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.support.cli import CTL


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_db_init_creates_files_0640_and_directories_0750_under_umask_022(tmp_path: Path) -> None:
    db = tmp_path / "new" / "data" / "contenthub.db"
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{db}", "LANG": "C.UTF-8"}
    done = subprocess.run(["sh", "-c", f"umask 022 && exec {CTL} db init"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "new") == 0o750 and mode(tmp_path / "new" / "data") == 0o750
    assert mode(db) == 0o640
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():  # SQLite may remove them when the last connection closes
            assert mode(side) == 0o640, suffix
    # -wal/-shm exist while a connection is open: SQLite gives them the database file's mode
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("SELECT count(*) FROM accounts").fetchall()
        assert mode(db.with_name(db.name + "-wal")) == 0o640
        assert mode(db.with_name(db.name + "-shm")) == 0o640
    finally:
        conn.close()
