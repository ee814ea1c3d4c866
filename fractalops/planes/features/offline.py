"""The Parquet exports Feast's file offline store reads: one file per view, a history of changed rows.

A snapshot appends a row for an entity only when its values changed since that entity's latest row, so the files
hold each entity's history of changes (what point-in-time reads need) and stay small. Rows older than `HISTORY` are
pruned, except each entity's latest. Files are replaced atomically (temp file, `os.replace`). Imports pyarrow, so it
is loaded only where Feast is (the materialization worker).
"""

from __future__ import annotations

import math
import os
import tempfile
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from fractalops.planes.features.definitions import FEATURES, HISTORY, VIEWS, ViewSpec
from fractalops.planes.features.repo import FeatureRepo

__all__ = ["OfflineExport"]

_ARROW = {"float": pa.float64(), "int": pa.int64(), "string": pa.string()}


def _schema(view: ViewSpec) -> pa.Schema:
    fields = [pa.field(view.join_key, pa.string())] if view.join_key else []
    fields.append(pa.field("event_timestamp", pa.timestamp("us", tz="UTC")))
    fields += [pa.field(f.name, _ARROW[f.dtype]) for f in FEATURES if f.scope == view.scope]
    return pa.schema(fields)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


class OfflineExport:
    """The exports of one repository, loaded once per materialization."""

    def __init__(self, repo: FeatureRepo) -> None:
        self.repo = repo
        self._rows: dict[str, list[dict[str, Any]]] = {}
        for view in VIEWS:
            path = repo.parquet(view.name)
            self._rows[view.name] = pq.read_table(path).to_pylist() if path.exists() else []

    def known(self) -> dict[str, frozenset[str]]:
        """Entity keys with a row already, per scope."""
        return {v.scope: frozenset(r[v.join_key] for r in self._rows[v.name]) for v in VIEWS if v.join_key}

    def views_changed_since(self, since: datetime | None) -> list[str]:
        """Views holding rows stamped after `since` (every view with rows when None): what the online store lacks
        if its last materialization was as of `since` (a run that failed after writing these rows included)."""
        return [v.name for v in VIEWS
                if any(since is None or r["event_timestamp"] > since for r in self._rows[v.name])]

    def frame_since(self, view: str, since: datetime | None) -> Any:
        """A pandas DataFrame of `view`'s rows stamped after `since` (all when None), oldest first."""
        spec = next(v for v in VIEWS if v.name == view)
        rows = [r for r in self._rows[view] if since is None or r["event_timestamp"] > since]
        return pa.Table.from_pylist(rows, schema=_schema(spec)).to_pandas()

    def _latest(self, view: ViewSpec) -> dict[str, dict[str, Any]]:
        latest: dict[str, dict[str, Any]] = {}
        for row in self._rows[view.name]:  # kept in timestamp order
            latest[row[view.join_key] if view.join_key else ""] = row
        return latest

    def append(self, rows: dict[str, list[dict[str, Any]]], as_of: datetime) -> dict[str, int]:
        """Append the rows that changed (stamped `as_of`), prune, write; returns how many rows changed per view."""
        changed: dict[str, int] = {}
        for view in VIEWS:
            names = [f.name for f in FEATURES if f.scope == view.scope]
            latest = self._latest(view)
            fresh = []
            for row in rows.get(view.scope, []):
                before = latest.get(row[view.join_key] if view.join_key else "")
                if before is None or not all(_same(before.get(n), row.get(n)) for n in names):
                    fresh.append({**row, "event_timestamp": as_of})
            changed[view.name] = len(fresh)
            if fresh or not self.repo.parquet(view.name).exists():  # Feast needs every view's file, even empty
                latest_ids = {id(r) for r in latest.values()}
                kept = [r for r in self._rows[view.name]
                        if r["event_timestamp"] >= as_of - HISTORY or id(r) in latest_ids]
                self._rows[view.name] = [*kept, *fresh]
                self._write(view, self._rows[view.name])
        return changed

    def _write(self, view: ViewSpec, rows: list[dict[str, Any]]) -> None:
        path = self.repo.parquet(view.name)
        table = pa.Table.from_pylist(rows, schema=_schema(view))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
