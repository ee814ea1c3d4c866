"""`portal_live_events`: the live outbox every squad node appends to, and its `harness-projection`.

Both are observations, not mutations. Events carry an idempotency key derived from thread, step and node, so a
replayed step (a resumed or retried node) never duplicates an event. The projection is the compact per-thread view
Portal and the CLI read: status, current agent, pending approvals, live signal line, and the compiled HUD.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

from fractalops.planes._sqlite import SQLiteFile

__all__ = ["LiveEvent", "LiveOutbox", "ProjectionRow", "StepData", "StepRow", "OUTBOX_TABLE", "PROJECTION_NAME",
           "STEP_KIND"]

OUTBOX_TABLE = "portal_live_events"
PROJECTION_NAME = "harness-projection"
STEP_KIND = "step"
"""The kind of the one event every squad step ends with (its live signal line, and `StepData`)."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {OUTBOX_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS live_events_thread ON {OUTBOX_TABLE}(thread_id, id);
CREATE TABLE IF NOT EXISTS harness_projection (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    current_agent TEXT NOT NULL,
    pending_approvals INTEGER NOT NULL,
    live_signal TEXT NOT NULL,
    hud TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    last_event_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class LiveEvent(TypedDict):
    id: int
    thread_id: str
    agent: str
    kind: str
    text: str
    data: dict[str, Any]
    at: str


class StepData(TypedDict, total=False):
    """The `data` of a `step` event: what the step ran on and how it went (the FeaturePlane aggregates these)."""

    asset: str
    """The Armory asset the agent ran on (`native` when it has no binding)."""
    failure: str
    """The error family (an `errors.py` class name) of the step's failure; absent when it did not fail."""
    adapter_timeouts: int
    """Adapter launches in this step killed at their timeout; absent when none."""
    proposals: list[str]
    """Proposals this step created; absent when none."""
    features: dict[str, Any]
    """What the step's context read from the FeaturePlane: `as_of` (the materialization's), `values` (qualified
    name -> value) and `stale` (names over the freshness bound); absent when nothing could be read (the HUD
    diagnostics name why)."""


class StepRow(TypedDict):
    thread_id: str
    agent: str
    at: str
    data: StepData


class ProjectionRow(TypedDict):
    thread_id: str
    owner: str
    status: str
    current_agent: str
    pending_approvals: int
    live_signal: str
    hud: dict[str, Any]
    last_event_id: int
    updated_at: str


class LiveOutbox:
    """SQLite outbox + projection under the data dir (`<data dir>/live.sqlite`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Observations, not mutations: NORMAL survives a process crash (WAL), only a power cut may lose the tail.
        self._file = SQLiteFile(path, synchronous="NORMAL", schema=_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> LiveOutbox:
        return cls(data_dir / "live.sqlite")

    def _db(self):  # noqa: ANN202 - reads on this thread's connection
        return self._file.read()

    def record(self, *, thread_id: str, agent: str, events: list[tuple[str, str, str, dict[str, Any]]],
               projection: dict[str, Any]) -> None:
        """One step in one transaction: its events `(key, kind, text, data)` (replays ignored) and the projection."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._file.write() as db:
            db.executemany(
                f"INSERT OR IGNORE INTO {OUTBOX_TABLE} (thread_id, agent, kind, text, data, idempotency_key, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(thread_id, agent, kind, text, json.dumps(data, sort_keys=True), key, at) for key, kind, text, data in events],
            )
            self._upsert_projection(db, thread_id=thread_id, at=at, **projection)

    def events(self, *, thread_id: str | None = None, after: int = 0, limit: int = 500) -> list[LiveEvent]:
        query = f"SELECT id, thread_id, agent, kind, text, data, at FROM {OUTBOX_TABLE} WHERE id > ?"
        args: list[Any] = [after]
        if thread_id:
            query, args = query + " AND thread_id = ?", [*args, thread_id]
        with self._db() as db:
            rows = db.execute(query + " ORDER BY id LIMIT ?", [*args, limit]).fetchall()
        return [
            LiveEvent(id=r[0], thread_id=r[1], agent=r[2], kind=r[3], text=r[4], data=json.loads(r[5]), at=r[6])
            for r in rows
        ]

    def steps(self, *, since: str = "", proposing: bool = False) -> list[StepRow]:
        """`step` events at or after `since` (ISO 8601 UTC), oldest first; `proposing` adds, of any age, every step
        that created a proposal (a proposal still open may be older than `since`)."""
        query = (f"SELECT thread_id, agent, data, at FROM {OUTBOX_TABLE} WHERE kind = ? AND (at >= ?"
                 + (" OR json_extract(data, '$.proposals') IS NOT NULL)" if proposing else ")") + " ORDER BY id")
        with self._db() as db:
            rows = db.execute(query, (STEP_KIND, since)).fetchall()
        return [StepRow(thread_id=r[0], agent=r[1], data=json.loads(r[2]), at=r[3]) for r in rows]

    @staticmethod
    def _upsert_projection(db: Any, *, thread_id: str, owner: str, status: str, current_agent: str,
                           pending_approvals: int, live_signal: str, hud: dict[str, Any], diagnostics: dict[str, Any],
                           at: str) -> None:
        last = db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {OUTBOX_TABLE} WHERE thread_id = ?", (thread_id,)).fetchone()[0]
        db.execute(
            "INSERT INTO harness_projection VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(thread_id) DO UPDATE SET"
            " status=excluded.status, current_agent=excluded.current_agent,"
            " pending_approvals=excluded.pending_approvals, live_signal=excluded.live_signal, hud=excluded.hud,"
            " diagnostics=excluded.diagnostics, last_event_id=excluded.last_event_id, updated_at=excluded.updated_at",
            (thread_id, owner, status, current_agent, pending_approvals, live_signal, json.dumps(hud),
             json.dumps(diagnostics), last, at),
        )

    def projection(self, thread_id: str) -> ProjectionRow | None:
        rows = self._projection_rows("WHERE thread_id = ?", [thread_id])
        return rows[0] if rows else None

    def projections(self, *, owner: str | None = None) -> list[ProjectionRow]:
        return self._projection_rows("WHERE owner = ?", [owner]) if owner else self._projection_rows("", [])

    def diagnostics(self, thread_id: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute("SELECT diagnostics FROM harness_projection WHERE thread_id = ?", (thread_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def _projection_rows(self, where: str, args: list[Any]) -> list[ProjectionRow]:
        with self._db() as db:
            rows = db.execute(
                "SELECT thread_id, owner, status, current_agent, pending_approvals, live_signal, hud, last_event_id,"
                f" updated_at FROM harness_projection {where} ORDER BY updated_at DESC",
                args,
            ).fetchall()
        return [
            ProjectionRow(
                thread_id=r[0], owner=r[1], status=r[2], current_agent=r[3], pending_approvals=r[4],
                live_signal=r[5], hud=json.loads(r[6]), last_event_id=r[7], updated_at=r[8],
            )
            for r in rows
        ]
