"""The shared SQLite file: fresh connections racing for WAL all get it, and WAL survives on the file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from fractalops.planes._sqlite import SQLiteFile


def test_fifty_threads_opening_a_fresh_file_together_all_write(tmp_path: Path) -> None:
    file = SQLiteFile(tmp_path / "race.sqlite", schema="CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    barrier, errors = threading.Barrier(50), []

    def write(n: int) -> None:
        barrier.wait()
        try:
            with file.write() as db:
                db.execute("INSERT INTO t VALUES (?)", (n,))
        except sqlite3.Error as exc:  # the regression: "database is locked" from PRAGMA journal_mode
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with file.read() as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (50,)
    assert sqlite3.connect(tmp_path / "race.sqlite").execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_file_deleted_and_made_again_is_in_wal_again(tmp_path: Path) -> None:
    path = tmp_path / "again.sqlite"
    SQLiteFile(path, schema="CREATE TABLE t (n INTEGER)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    SQLiteFile(path, schema="CREATE TABLE t (n INTEGER)")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)
