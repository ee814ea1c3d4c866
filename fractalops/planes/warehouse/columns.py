"""`EventColumns`: many events as columns, each row checked on append exactly as `Event` checks it.

For bulk writers (the telemetry intake) where building one pydantic model per row costs more than the warehouse insert
itself: the same rules (global ontology id expanded to its IRI, non-empty project and source, `ts` in 1970..2299 UTC,
attrs a JSON object stored as sorted compact JSON, string fields stripped), applied with cached checks of the values
that repeat (ontology ids, projects, sources). `tests/planes/warehouse/test_columns.py` holds it to `Event`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from fractalops.planes.warehouse.models import attrs_json, expand_ontology_id

__all__ = ["EventColumns", "EVENT_COLUMNS", "MAX_EPOCH_MS", "is_stripped"]

EVENT_COLUMNS = ("event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs")
"""The `events` table's columns, in insert order."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TS_MAX = datetime(2299, 12, 31, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_TEXT = 4096
MAX_EPOCH_MS = (_TS_MAX - _EPOCH) // _MS
"""The warehouse's last `ts`, 2299-12-31T00:00:00Z, as epoch milliseconds."""
_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""What pydantic's `str_strip_whitespace` strips (Unicode White_Space): Python's `str.strip()` also strips
U+001C..U+001F, which `Event` keeps."""


def _name(value: Any, field: str, known: set[str]) -> str:
    if value in known:
        return value
    if not isinstance(value, str):
        raise ValueError(f"{field}: Input should be a valid string")
    text = value.strip(_WHITESPACE)
    if not 1 <= len(text) <= _MAX_TEXT:
        raise ValueError(f"{field}: String should have between 1 and {_MAX_TEXT} characters")
    if text == value:
        known.add(value)
    return text


def is_stripped(text: str) -> bool:
    """No whitespace around `text` that `Event` would strip (what a decoder checks before it builds a ready row)."""
    return not text or (text[0] not in _WHITESPACE and text[-1] not in _WHITESPACE)


def _repeated(event_id: str, project: str) -> str:
    """Why a row is refused whose id this insert already holds (`append` raises it, `extend_ready` returns it)."""
    return f"event_id: {event_id!r} of project {project!r} is already in this insert"


def _text(value: Any, field: str) -> str:
    if type(value) is not str and not isinstance(value, str):
        raise ValueError(f"{field}: Input should be a valid string")
    return value if is_stripped(value) else value.strip(_WHITESPACE)


class EventColumns:
    """Events for one insert, as columns (`Warehouse.insert_event_columns`)."""

    def __init__(self) -> None:
        self.data: list[list[Any]] = [[] for _ in EVENT_COLUMNS]
        """One list per column of `EVENT_COLUMNS`; `ts` as epoch milliseconds."""
        self._keys: set[tuple[str, str]] = set()
        self._names: set[str] = set()
        self._iris: dict[str, str] = {}

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
            raise ValueError(_repeated(event_id, project))
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

    def extend(self, project: str, source: str, rows: Sequence[tuple[Mapping[str, Any], str]]) -> list[tuple[int, str]]:
        """Check and add many events of one project and source: each row is (its `append` fields — event_id, ts,
        trace_id, session_id, thread_id, attrs —, its ontology id). Returns (index, reason) of the rows refused, as
        `append` words it; the others are added, exactly as `append` adds them.

        Why a second entry point: a bulk writer's rows are nearly always already clean (stripped strings, aware UTC
        times, dict attrs), and checking those inline, with the project, source and ontology ids checked once per
        batch, costs a third of `append` per row. Anything not plainly clean goes through `append` itself, so both
        give the same rows and the same errors."""
        try:
            checked = (_name(project, "project", self._names), _name(source, "source", self._names))
        except ValueError:
            checked = None
        if checked != (project, source):  # not clean as given: `append` strips (or refuses) them, row by row
            return self._extend_slowly(project, source, rows)
        refused: list[tuple[int, str]] = []
        ids, times, iris, projects, sources, traces, sessions, threads, attrs_column = self.data
        keys, expanded, dumps, sort, ws = self._keys, self._iris, orjson.dumps, orjson.OPT_SORT_KEYS, _WHITESPACE
        for index, (fields, ontology_id) in enumerate(rows):
            get = fields.get
            event_id, ts, attrs = get("event_id"), get("ts"), get("attrs")
            trace_id, session_id, thread_id = get("trace_id", ""), get("session_id", ""), get("thread_id", "")
            iri = expanded.get(ontology_id) if type(ontology_id) is str else None
            key = (project, event_id)
            # `_clean` inlined (this loop is the per-row cost of a body): strings without surrounding whitespace
            if (iri is None or type(event_id) is not str or not event_id or event_id[0] in ws or event_id[-1] in ws
                    or type(trace_id) is not str or (trace_id and (trace_id[0] in ws or trace_id[-1] in ws))
                    or type(session_id) is not str or (session_id and (session_id[0] in ws or session_id[-1] in ws))
                    or type(thread_id) is not str or (thread_id and (thread_id[0] in ws or thread_id[-1] in ws))
                    or type(ts) is not datetime or ts.tzinfo is not UTC or not _EPOCH <= ts <= _TS_MAX
                    or type(attrs) is not dict or key in keys):
                self._append_one(index, fields, ontology_id, project, source, refused)
                continue
            try:
                text = dumps(attrs, option=sort).decode()
            except TypeError:
                self._append_one(index, fields, ontology_id, project, source, refused)
                continue
            keys.add(key)
            ids.append(event_id)
            times.append((ts - _EPOCH) // _MS)
            iris.append(iri)
            projects.append(project)
            sources.append(source)
            traces.append(trace_id)
            sessions.append(session_id)
            threads.append(thread_id)
            attrs_column.append(text)
        return refused

    def extend_ready(self, project: str, source: str, event_ids: Sequence[str], times: Sequence[int],
                     iris: Sequence[str], trace_ids: Sequence[str], session_ids: Sequence[str],
                     attrs: Sequence[str]) -> list[tuple[int, str]]:
        """Add rows a decoder built as column values and checked itself as `append` checks them (event, trace and
        session ids stripped strings, times epoch milliseconds in range, expanded global IRIs, attrs JSON objects;
        `telemetry.ReadyItems`). Checked here: what is cheap over whole columns (their lengths, the
        times' range, each distinct IRI once, project and source), and per row the one rule that depends on the rest
        of the insert, an event id once per project: (index, reason) of the rows refused for that, as `append`
        words it. A column that breaks its contract raises `ValueError` (a decoder's bug, not a client's)."""
        size = len(event_ids)
        if any(len(column) != size for column in (times, iris, trace_ids, session_ids, attrs)):
            raise ValueError("ready columns differ in length")
        if not size:
            return []
        project, source = _name(project, "project", self._names), _name(source, "source", self._names)
        if min(times) < 0 or max(times) > MAX_EPOCH_MS:
            raise ValueError("ts: a ready time is outside the warehouse range 1970-01-01 .. 2299-12-31")
        for iri in set(iris) - set(self._iris.values()):
            if expand_ontology_id(iri) != iri:
                raise ValueError(f"ontology_id: ready IRI {iri!r} is not expanded")
            self._iris[iri] = iri
        kept, refused = self._take_ids(project, event_ids)
        ids, times_column, iris_column, projects, sources, traces, sessions, threads, attrs_column = self.data
        if refused:
            event_ids, times, iris, trace_ids, session_ids, attrs = (
                [column[i] for i in kept] for column in (event_ids, times, iris, trace_ids, session_ids, attrs))
        ids.extend(event_ids)
        times_column.extend(times)
        iris_column.extend(iris)
        projects.extend([project] * len(kept))
        sources.extend([source] * len(kept))
        traces.extend(trace_ids)
        sessions.extend(session_ids)
        threads.extend([""] * len(kept))
        attrs_column.extend(attrs)
        return refused

    def _take_ids(self, project: str, event_ids: Sequence[str]) -> tuple[Sequence[int], list[tuple[int, str]]]:
        """Reserve each id once per project in this insert: (indexes kept, (index, reason) of those refused)."""
        keys = self._keys
        fresh = {(project, event_id) for event_id in event_ids}
        if len(fresh) == len(event_ids) and keys.isdisjoint(fresh):  # the usual insert: every id once
            keys |= fresh
            return range(len(event_ids)), []
        kept: list[int] = []
        refused: list[tuple[int, str]] = []
        for index, event_id in enumerate(event_ids):
            key = (project, event_id)
            if key in keys:
                refused.append((index, _repeated(event_id, project)))
            else:
                keys.add(key)
                kept.append(index)
        return kept, refused

    def _append_one(self, index: int, fields: Mapping[str, Any], ontology_id: str, project: str, source: str,
                    refused: list[tuple[int, str]]) -> None:
        try:
            iri = self.append(**fields, ontology_id=ontology_id, project=project, source=source)
        except (ValueError, TypeError) as exc:
            refused.append((index, str(exc)))
        else:
            self._iris[ontology_id] = iri

    def _extend_slowly(self, project: str, source: str,
                       rows: Sequence[tuple[Mapping[str, Any], str]]) -> list[tuple[int, str]]:
        refused: list[tuple[int, str]] = []
        for index, (fields, ontology_id) in enumerate(rows):
            try:
                self.append(**fields, ontology_id=ontology_id, project=project, source=source)
            except (ValueError, TypeError) as exc:
                refused.append((index, str(exc)))
        return refused
