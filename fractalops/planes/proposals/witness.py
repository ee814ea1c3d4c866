"""`ChronicleWitnessStore`: the proposal store's copy of every signed Chronicle checkpoint (rollback detection).

Each checkpoint the ledger signs is also recorded here, in a `chronicle_witness` table of `proposals.sqlite`, and as
a warehouse fact. The Chronicle log and its key live in one directory, so whoever rewrites the log can re-sign it;
a rollback that `fractalops evidence verify` cannot see must also rewrite this table and the warehouse. The rows are
plain values (this plane does not know the evidence plane's types): log, size, root, key id, signing time and
signature, exactly as the checkpoint carries them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fractalops.errors import ProposalError
from fractalops.planes._sqlite import SQLiteFile

__all__ = ["WITNESS_TABLE", "ChronicleWitnessStore", "open_witness_store"]

WITNESS_TABLE = "chronicle_witness"
"""The table's name inside `proposals.sqlite`."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {WITNESS_TABLE} (
    log TEXT NOT NULL,
    size INTEGER NOT NULL,
    root TEXT NOT NULL,
    key_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    signature TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (log, size, root, key_id, timestamp)
);
"""
_COLUMNS = ("log", "size", "root", "key_id", "timestamp", "signature")


class ChronicleWitnessStore:
    """The `chronicle_witness` table of one `proposals.sqlite` (shared with `ProposalStore`, WAL, many processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        """The SQLite file (`<data dir>/proposals.sqlite`)."""
        self._db = SQLiteFile(path, synchronous="FULL", schema=_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ChronicleWitnessStore:
        return cls(Path(data_dir) / "proposals.sqlite")

    def record(self, *, log: str, size: int, root: str, key_id: str, timestamp: int, signature: str) -> None:
        """Durably record one signed checkpoint; recording the same checkpoint again is a no-op."""
        for name, value in (("size", size), ("timestamp", timestamp)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ProposalError(f"Chronicle witness {name} must be a non-negative int, got {value!r}")
        for name, value in (("log", log), ("root", root), ("key_id", key_id), ("signature", signature)):
            if not isinstance(value, str) or not value:
                raise ProposalError(f"Chronicle witness {name} must be a non-empty string, got {value!r}")
        recorded_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._db.write() as db:
            db.execute(f"INSERT OR IGNORE INTO {WITNESS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (log, size, root, key_id, timestamp, signature, recorded_at))

    def list(self, log: str | None = None) -> list[dict[str, Any]]:
        """Every witness (of `log`, or of all logs), oldest checkpoint first, as plain dicts of the recorded fields."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM {WITNESS_TABLE}"
        args: tuple[str, ...] = ()
        if log is not None:
            query, args = query + " WHERE log = ?", (log,)
        with self._db.read() as db:
            rows = db.execute(query + " ORDER BY size, timestamp", args).fetchall()
        return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]

    def newest_size(self, log: str, key_id: str) -> int | None:
        """The largest size witnessed for `log` signed by `key_id`, or None."""
        with self._db.read() as db:
            row = db.execute(f"SELECT max(size) FROM {WITNESS_TABLE} WHERE log = ? AND key_id = ?",
                             (log, key_id)).fetchone()
        return row[0]


@lru_cache(maxsize=8)
def open_witness_store(data_dir: Path) -> ChronicleWitnessStore:
    """The process's witness store for a data dir (its SQLite connections stay open, like `ProposalStore`'s)."""
    return ChronicleWitnessStore.in_data_dir(data_dir)
