"""The intake's own books, in one SQLite file (`<data dir>/telemetry/intake.sqlite`): counts, seen ids, quarantine.

Why SQLite and not warehouse rows: a body is acknowledged exactly when its transaction here commits — counts, the
ids it made seen and its quarantine index move together or not at all, which the warehouse (no transactions;
ReplacingMergeTree dedupes only on read) cannot give. The warehouse keeps the rows themselves (`events`, and
`quarantine` with each item's reason and raw ref); its inserts run inside this transaction, so a failed insert rolls
the books back and the client's retry finds nothing seen. Counts survive a restart (WAL, synchronous=NORMAL).

Tables: `counts` (source, project → received, stored, quarantined, duplicates, refused), `seen_batches` (the
idempotency keys each acknowledged body made seen — stored or quarantined — as one blob per body), `quarantine`
(one row per quarantined item: reason, raw ref, `waiting` until a replay classifies it, then `released`).

Seen keys are looked up in memory: a set of keys per (source, project) loaded from `seen_batches` (and topped up with
what other processes appended, inside each write transaction), because a B-tree over random uuids costs a random
page write per key per body (measured ~10-30 ms per 1000 keys at 100k-300k keys), which is more than the warehouse
insert itself. An appended blob (the body's keys, newline-separated) costs about one page, and a body's lookup is one
set intersection. Memory: ~110 bytes per key (about 110 MB per million); the scale-out keeps this index beside a
ClickHouse server instead.

Schema v1 kept each key as a 16-byte digest of (source, project, key) (`digest`); books written then keep their
rows, and their digests are still looked up (by digest, only while there are any).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fractalops.errors import TelemetryError
from fractalops.planes._sqlite import SQLiteFile
from fractalops.planes.telemetry.model import COUNT_FIELDS, Counts, Source

__all__ = ["TelemetryStore", "StoreBatch", "QuarantineRow", "SCHEMA_VERSION", "store_path", "digest"]

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counts (
    source TEXT NOT NULL, project TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0, stored INTEGER NOT NULL DEFAULT 0, quarantined INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, project)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen_batches (id INTEGER PRIMARY KEY, keys BLOB NOT NULL, source TEXT NOT NULL DEFAULT '',
    project TEXT NOT NULL DEFAULT '', format INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, project TEXT NOT NULL, item_key TEXT NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL,
    received_at TEXT NOT NULL, raw_ref TEXT NOT NULL, media_type TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting', released_at TEXT, event_id TEXT, ontology_id TEXT,
    in_warehouse INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS quarantine_state ON quarantine (state, seq);
CREATE INDEX IF NOT EXISTS quarantine_raw_ref ON quarantine (raw_ref);
CREATE INDEX IF NOT EXISTS quarantine_unwritten ON quarantine (seq) WHERE in_warehouse = 0;
"""
_DIGEST = 16
_DIGESTS, _KEYS = 1, 2
"""`seen_batches.format`: 16-byte digests (schema v1), or the keys themselves, newline-separated (v2)."""
_V2_COLUMNS = {"source": "TEXT NOT NULL DEFAULT ''", "project": "TEXT NOT NULL DEFAULT ''",
               "format": "INTEGER NOT NULL DEFAULT 1"}
"""What schema v2 added to `seen_batches`."""
WAITING, RELEASED = "waiting", "released"


def store_path(data_dir: Path) -> Path:
    """Where a data dir keeps the intake's books."""
    return Path(data_dir) / "telemetry" / "intake.sqlite"


@dataclass(frozen=True)
class QuarantineRow:
    """One quarantined item as the books hold it."""

    seq: int
    """Position in the quarantine (the listing's cursor)."""
    id: str
    """Deterministic over (source, project, item key): the same item is one quarantine row."""
    source: str
    project: str
    item_key: str
    """The item's idempotency key (uuid, trace:span, content hash)."""
    kind: str
    """`unknown` (a name that maps to no global term) or `malformed`."""
    name: str
    """The local name it carries (empty when it has none)."""
    reason: str
    received_at: str
    """ISO 8601 UTC, when the intake first took it."""
    raw_ref: str
    """`sha256:<hex>` of its raw payload in the evidence WORM store."""
    media_type: str
    state: str
    """`waiting`, or `released` once a replay classified it (it is then an event in the warehouse)."""
    released_at: str | None = None
    event_id: str | None = None
    ontology_id: str | None = None

    def public(self) -> dict[str, str]:
        """The listing's item shape: exactly source, reason, received_at, raw_ref."""
        return {"source": self.source, "reason": self.reason, "received_at": self.received_at, "raw_ref": self.raw_ref}


_ROW_COLUMNS = ("seq", "id", "source", "project", "item_key", "kind", "name", "reason", "received_at", "raw_ref",
                "media_type", "state", "released_at", "event_id", "ontology_id")
_SELECT = f"SELECT {', '.join(_ROW_COLUMNS)} FROM quarantine"


def _row(values: Sequence[Any]) -> QuarantineRow:
    return QuarantineRow(**dict(zip(_ROW_COLUMNS, values, strict=True)))


def digest(source: str, project: str, key: str) -> bytes:
    """The 16-byte digest schema v1 kept a seen key as (collisions: ~1e-20 at a billion keys)."""
    return hashlib.blake2b(f"{source}\x1f{project}\x1f{key}".encode(), digest_size=16).digest()


class _SeenIndex:
    """The in-memory sets of seen keys, kept in step with `seen_batches`."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], set[str]] = {}
        """(source, project) → its seen keys."""
        self.digests: set[bytes] = set()
        """Keys seen under schema v1, as their digests."""
        self.loaded_id = 0
        self.lock = threading.Lock()

    def catch_up(self, db: sqlite3.Connection) -> None:
        """Add what was appended since the last look (by this process or another)."""
        with self.lock:
            for row_id, blob, source, project, kind in db.execute(
                    "SELECT id, keys, source, project, format FROM seen_batches WHERE id > ? ORDER BY id",
                    (self.loaded_id,)):
                if kind == _KEYS:
                    self.add(source, project, blob.decode().split("\n"))
                else:
                    self.digests.update(blob[i:i + _DIGEST] for i in range(0, len(blob), _DIGEST))
                self.loaded_id = row_id

    def add(self, source: str, project: str, keys: Iterable[str]) -> None:
        known = self.keys.get((source, project))
        if known is None:
            self.keys[(source, project)] = set(keys)
        else:
            known.update(keys)


class StoreBatch:
    """One write transaction: what a body (or a replay) changes in the books, committed together."""

    def __init__(self, db: sqlite3.Connection, index: _SeenIndex) -> None:
        self.db = db
        self._index = index
        self.pending: list[tuple[str, str, list[str]]] = []
        """(source, project, keys) this transaction makes seen (in memory only once it commits)."""
        self.row_id = 0
        """The last `seen_batches` row holding them."""
        self._caught_up = False
        """The index holds every committed row: this transaction (BEGIN IMMEDIATE) keeps other writers out."""

    def _catch_up(self) -> None:
        if not self._caught_up:
            self._index.catch_up(self.db)
            self._caught_up = True

    def seen(self, source: str, project: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` were acknowledged before (by any committed body)."""
        self._catch_up()
        known = self._index.keys.get((source, project))
        found = known.intersection(keys) if known else set()
        if self._index.digests:  # books from schema v1
            digests = self._index.digests
            found.update(k for k in keys if k not in found and digest(source, project, k) in digests)
        return found

    def mark_seen(self, source: str, project: str, keys: Iterable[str]) -> None:
        """Make `keys` seen once this transaction commits."""
        new = list(keys)
        if not new:
            return
        blob = "\n".join(new)
        if blob.count("\n") != len(new) - 1:
            raise TelemetryError("an idempotency key holds a newline; keys are ids, hex and hashes")
        self._catch_up()  # everything before our row is in memory, so our row id is where it stands
        cursor = self.db.execute("INSERT INTO seen_batches (keys, source, project, format) VALUES (?, ?, ?, ?)",
                                 (blob.encode(), source, project, _KEYS))
        self.pending.append((source, project, new))
        self.row_id = cursor.lastrowid or 0

    def add_quarantine(self, rows: Iterable[dict[str, Any]]) -> None:
        """New quarantine rows (`id`, `source`, `project`, `item_key`, `kind`, `name`, `reason`, `received_at`,
        `raw_ref`, `media_type`, `in_warehouse`)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO quarantine (id, source, project, item_key, kind, name, reason, received_at, raw_ref, "
            "media_type, in_warehouse) VALUES (:id, :source, :project, :item_key, :kind, :name, :reason, :received_at, "
            ":raw_ref, :media_type, :in_warehouse)", list(rows))

    def release(self, released: Iterable[tuple[str, str, str, str]]) -> None:
        """Mark quarantine rows classified: (id, released_at, event_id, ontology_id)."""
        self.db.executemany("UPDATE quarantine SET state = 'released', released_at = ?, event_id = ?, ontology_id = ? "
                            "WHERE id = ? AND state = 'waiting'",
                            ((at, event_id, iri, qid) for qid, at, event_id, iri in released))

    def update_reasons(self, reasons: Iterable[tuple[str, str, str]]) -> None:
        """Replace the reason (and kind) of items a replay could still not classify: (id, kind, reason)."""
        self.db.executemany("UPDATE quarantine SET kind = ?, reason = ? WHERE id = ?",
                            ((kind, reason, qid) for qid, kind, reason in reasons))

    def set_in_warehouse(self, ids: Iterable[str]) -> None:
        self.db.executemany("UPDATE quarantine SET in_warehouse = 1 WHERE id = ?", ((i,) for i in ids))

    def bump(self, source: str, project: str, **delta: int) -> None:
        """Add `delta` (count field → change) to one (source, project) row."""
        if unknown := set(delta) - set(COUNT_FIELDS):
            raise TelemetryError(f"unknown count field(s) {sorted(unknown)}; counts are {', '.join(COUNT_FIELDS)}")
        if not any(delta.values()):
            return
        values = [int(delta.get(f, 0)) for f in COUNT_FIELDS]
        self.db.execute(
            f"INSERT INTO counts (source, project, {', '.join(COUNT_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (source, project) DO UPDATE SET "
            + ", ".join(f"{f} = {f} + excluded.{f}" for f in COUNT_FIELDS), (source, project, *values))


class TelemetryStore:
    """The books of one data dir (thread-safe: one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # NORMAL in WAL mode: a commit survives the process (a crash, a restart) without an fsync per body; an OS
        # crash may roll back the last few, as it may the warehouse's own unsynced parts.
        self._db = SQLiteFile(self.path, synchronous="NORMAL", schema=_SCHEMA)
        self._index = _SeenIndex()
        with self._db.write() as db:
            row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            if row[0] is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise TelemetryError(f"{self.path} has telemetry schema v{row[0]}, newer than this fractalops "
                                     f"(v{SCHEMA_VERSION}); upgrade fractalops before running the intake")
            elif row[0] < SCHEMA_VERSION:
                columns = {c[1] for c in db.execute("PRAGMA table_info(seen_batches)")}
                for column, declared in _V2_COLUMNS.items():
                    if column not in columns:
                        db.execute(f"ALTER TABLE seen_batches ADD COLUMN {column} {declared}")
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> TelemetryStore:
        return cls(store_path(data_dir))

    @contextmanager
    def batch(self) -> Iterator[StoreBatch]:
        """A write transaction (BEGIN IMMEDIATE): committed when the block ends, rolled back when it raises."""
        with self._db.write() as db:
            tx = StoreBatch(db, self._index)
            yield tx
        if tx.pending:  # committed: the keys are seen from now on (a rollback never gets here)
            with self._index.lock:
                for source, project, keys in tx.pending:
                    self._index.add(source, project, keys)
                self._index.loaded_id = max(self._index.loaded_id, tx.row_id)

    def stats(self, project: str | None = None) -> dict[str, Counts]:
        """Counts per source (every source listed, zeros included), summed over projects unless one is named."""
        out: dict[str, Counts] = {str(s): Counts(received=0, stored=0, quarantined=0, duplicates=0, refused=0)
                                  for s in Source}
        where, args = (" WHERE project = ?", (project,)) if project is not None else ("", ())
        with self._db.read() as db:
            rows = db.execute(f"SELECT source, {', '.join(f'SUM({f})' for f in COUNT_FIELDS)} FROM counts{where} "
                              f"GROUP BY source", args).fetchall()
        for source, *values in rows:
            if source in out:
                out[source] = Counts(**dict(zip(COUNT_FIELDS, (int(v or 0) for v in values), strict=True)))
        return out

    def quarantine_page(self, *, after: int = 0, limit: int = 100, state: str | None = WAITING,
                        source: str | None = None, project: str | None = None, kind: str | None = None
                        ) -> tuple[list[QuarantineRow], int | None]:
        """Quarantine rows after the cursor `after` (oldest first), and the next cursor (None on the last page)."""
        clauses, args = ["seq > ?"], [after]
        for column, value in (("state", state), ("source", source), ("project", project), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        with self._db.read() as db:
            rows = [_row(r) for r in db.execute(f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?",
                                                (*args, limit + 1))]
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, rows[-1].seq if more and rows else None

    def quarantine_by_ref(self, raw_ref: str) -> QuarantineRow | None:
        """The (first) quarantine row whose raw payload is `raw_ref`."""
        with self._db.read() as db:
            row = db.execute(f"{_SELECT} WHERE raw_ref = ? ORDER BY seq LIMIT 1", (raw_ref,)).fetchone()
        return _row(row) if row else None

    def unknown_names(self, project: str | None = None) -> list[tuple[str, str, str, int]]:
        """(project, source, name, waiting count) of every unknown name waiting in the quarantine."""
        where, args = ("AND project = ?", (project,)) if project else ("", ())
        with self._db.read() as db:
            return [tuple(r) for r in db.execute(  # type: ignore[misc]
                f"SELECT project, source, name, COUNT(*) FROM quarantine WHERE state = 'waiting' AND kind = 'unknown' "
                f"AND name != '' {where} GROUP BY project, source, name ORDER BY project, source, name", args)]

    def not_in_warehouse(self, limit: int = 1000) -> list[QuarantineRow]:
        """Quarantine rows whose warehouse copy failed to insert (retried by the next intake)."""
        with self._db.read() as db:
            return [_row(r) for r in db.execute(f"{_SELECT} WHERE in_warehouse = 0 ORDER BY seq LIMIT ?", (limit,))]
