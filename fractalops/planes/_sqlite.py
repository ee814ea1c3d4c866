"""Private: one SQLite file shared by threads and processes, with per-thread connections kept open.

Keeping connections open matters: in WAL mode the last connection to close checkpoints the log, which made
every short-lived connection cost a checkpoint. Writes take `BEGIN IMMEDIATE` so read-modify-write is atomic
across processes; reads take no write lock.

WAL is a property of the file: a connection switches it only when the file is not in WAL yet. Switching needs an
exclusive lock, and SQLite answers "database is locked" at once (no busy wait) when several fresh connections race
for it, as threads launched together do; the switch retries until the same 30 s timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

__all__ = ["SQLiteFile"]

_TIMEOUT_S = 30


def _ensure_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL unless it already is (reading the mode takes no exclusive lock)."""
    deadline = time.monotonic() + _TIMEOUT_S
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")  # answers the mode it could set; no retry past an answer
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


class SQLiteFile:
    def __init__(self, path: Path, *, synchronous: Literal["FULL", "NORMAL"] = "FULL", schema: str = "") -> None:
        self.path = path
        self.synchronous = synchronous
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        if schema:
            self._connection().executescript(schema)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=_TIMEOUT_S, isolation_level=None, check_same_thread=True)
            _ensure_wal(db)
            db.execute(f"PRAGMA synchronous={self.synchronous}")
            self._local.db = db
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        yield self._connection()
