"""Private: one SQLite file shared by threads and processes, with per-thread connections kept open.

Keeping connections open matters: in WAL mode the last connection to close checkpoints the log, which made
every short-lived connection cost a checkpoint. Writes take `BEGIN IMMEDIATE` so read-modify-write is atomic
across processes; reads take no write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

__all__ = ["SQLiteFile"]


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
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
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
