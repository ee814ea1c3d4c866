"""`EventColumns`: many events as columns, each row checked on append exactly as `Event` checks it.

For bulk writers (the telemetry intake) where building one pydantic model per row costs more than the warehouse insert
itself: the same rules (global ontology id expanded to its IRI, non-empty project and source, `ts` in 1970..2299 UTC,
attrs a JSON object stored as sorted compact JSON, string fields stripped), applied with cached checks of the values
that repeat (ontology ids, projects, sources). `tests/planes/warehouse/test_columns.py` holds it to `Event`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fractalops.planes.warehouse.models import attrs_json, expand_ontology_id

__all__ = ["EventColumns", "EVENT_COLUMNS"]

EVENT_COLUMNS = ("event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs")
"""The `events` table's columns, in insert order."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TS_MAX = datetime(2299, 12, 31, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_TEXT = 4096


def _name(value: Any, field: str, known: set[str]) -> str:
    if value in known:
        return value
    if not isinstance(value, str):
        raise ValueError(f"{field}: Input should be a valid string")
    text = value.strip()
    if not 1 <= len(text) <= _MAX_TEXT:
        raise ValueError(f"{field}: String should have between 1 and {_MAX_TEXT} characters")
    if text == value:
        known.add(value)
    return text


def _text(value: Any, field: str) -> str:
    if type(value) is not str and not isinstance(value, str):
        raise ValueError(f"{field}: Input should be a valid string")
    return value.strip() if value and (value[0].isspace() or value[-1].isspace()) else value


class EventColumns:
    """Events for one insert, as columns (`Warehouse.insert_event_columns`)."""

    def __init__(self) -> None:
        self.data: list[list[Any]] = [[] for _ in EVENT_COLUMNS]
        """One list per column of `EVENT_COLUMNS`; `ts` as epoch milliseconds."""
        self._keys: set[tuple[str, str]] = set()
        self._names: set[str] = set()

    def __len__(self) -> int:
        return len(self.data[0])

    def append(self, event_id: str, ts: datetime, ontology_id: str, project: str, source: str, trace_id: str = "",
               session_id: str = "", thread_id: str = "", attrs: Any = None) -> str:
        """Check one event and add it; returns its ontology IRI. `ValueError` names the field that is wrong (nothing
        is added then)."""
        event_id = _text(event_id, "event_id")
        if not event_id:
            raise ValueError("event_id: an event needs its id (Event derives one from the content; a bulk writer "
                             "names it)")
        if type(ts) is not datetime:
            if not isinstance(ts, datetime):
                raise ValueError("ts: Input should be a valid datetime")
        if ts.tzinfo is not UTC:
            ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        if not _EPOCH <= ts <= _TS_MAX:
            raise ValueError(f"ts: Value error, ts {ts.isoformat()} is outside the warehouse range "
                             "1970-01-01 .. 2299-12-31")
        try:
            iri = expand_ontology_id(ontology_id)
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValueError(f"ontology_id: {exc}") from None
        names = self._names
        if project not in names:
            project = _name(project, "project", names)
        if source not in names:
            source = _name(source, "source", names)
        key = (project, event_id)
        if key in self._keys:
            raise ValueError(f"event_id: {event_id!r} of project {project!r} is already in this insert")
        trace_id, session_id = _text(trace_id, "trace_id"), _text(session_id, "session_id")
        thread_id, text = _text(thread_id, "thread_id"), attrs_json(attrs)
        self._keys.add(key)
        ids, times, iris, projects, sources, traces, sessions, threads, attrs_column = self.data
        ids.append(event_id)
        times.append((ts - _EPOCH) // _MS)
        iris.append(iri)
        projects.append(project)
        sources.append(source)
        traces.append(trace_id)
        sessions.append(session_id)
        threads.append(thread_id)
        attrs_column.append(text)
        return iri
