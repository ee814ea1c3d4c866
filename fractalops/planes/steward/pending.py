"""Steward rows that could not reach the warehouse yet: spooled to files, ingested by the warehouse's owner.

With embedded chdb only one process (the server) may write the warehouse, so a CLI run while the server is up
spools its rows here and the server's `steward` graph ingests them — nothing is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from fractalops.planes._atomic import atomic_write_text

__all__ = ["pending_dir", "spool_rows", "ingest_pending"]


class _Sink(Protocol):
    def record_steward_report(self, report: dict[str, Any]) -> str: ...
    def insert_events(self, rows: list[dict[str, Any]]) -> int: ...


def pending_dir(data_dir: Path) -> Path:
    return data_dir / "steward" / "pending"


def spool_rows(data_dir: Path, name: str, summary: dict[str, Any], events: list[dict[str, Any]]) -> Path:
    path = pending_dir(data_dir) / f"{name}.json"
    atomic_write_text(path, json.dumps({"summary": summary, "events": events}, default=str, indent=1))
    return path


def ingest_pending(data_dir: Path, warehouse: _Sink) -> list[str]:
    """Write every spooled report into the warehouse, removing each file only after it landed."""
    done = []
    for path in sorted(pending_dir(data_dir).glob("*.json")):
        spooled = json.loads(path.read_text())
        warehouse.record_steward_report(spooled["summary"])
        warehouse.insert_events(spooled["events"])
        path.unlink()
        done.append(path.name)
    return done
