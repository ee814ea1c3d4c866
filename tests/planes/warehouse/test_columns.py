"""`EventColumns` checks every row exactly as `Event` does, and stores exactly what `Event` would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from fractalops.planes.warehouse import EVENT_COLUMNS, Event, EventColumns
from fractalops.planes.warehouse.warehouse import _columns

GOOD = {"event_id": "e1", "ts": datetime(2026, 1, 1, tzinfo=UTC), "ontology_id": "fo:PageView", "project": "shop",
        "source": "posthog", "trace_id": "t", "session_id": "s", "thread_id": "", "attrs": {"b": 1, "a": [1, None]}}


def _as_event(row: dict) -> list:
    return [column[0] for column in _columns([Event.model_validate(row)], EVENT_COLUMNS)]


def _as_columns(row: dict) -> list:
    batch = EventColumns()
    batch.append(**row)
    return [column[0] for column in batch.data]


texts = st.text(min_size=0, max_size=12)


@given(event_id=st.text(min_size=1, max_size=12).filter(str.strip), project=st.text(min_size=1, max_size=8),
       trace=texts, session=texts,
       ts=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2299, 12, 30),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=5)), None])),
       ontology=st.sampled_from(["fo:PageView", "https://fractalops.dev/ontology#Span", "skos:Concept", "Order",
                                 "fo:", "fo:bad name"]),
       attrs=st.dictionaries(st.text(max_size=5), st.one_of(st.integers(-2**60, 2**60), st.text(max_size=5),
                                                              st.none(), st.floats(allow_nan=False)), max_size=4))
def test_same_rows_and_same_refusals_as_event(event_id, project, trace, session, ts, ontology, attrs) -> None:
    row = {**GOOD, "event_id": event_id, "project": project, "trace_id": trace, "session_id": session, "ts": ts,
           "ontology_id": ontology, "attrs": attrs}
    try:
        expected = _as_event(row)
    except ValidationError:
        with pytest.raises(ValueError):
            _as_columns(row)
        return
    assert _as_columns(row) == expected


@pytest.mark.parametrize("change, field", [
    ({"ts": datetime(2300, 6, 1, tzinfo=UTC)}, "ts"), ({"ts": "2026-01-01"}, "ts"),
    ({"ontology_id": "local:Thing"}, "ontology_id"), ({"project": " "}, "project"), ({"source": 3}, "source"),
    ({"attrs": {"x": object()}}, "attrs"), ({"attrs": "[1]"}, "attrs"), ({"event_id": ""}, "event_id"),
])
def test_a_bad_row_names_its_field_and_adds_nothing(change: dict, field: str) -> None:
    batch = EventColumns()
    with pytest.raises(ValueError, match=field):
        batch.append(**{**GOOD, **change})
    assert len(batch) == 0 and all(column == [] for column in batch.data)


def test_one_id_once_per_project_per_insert() -> None:
    batch = EventColumns()
    batch.append(**GOOD)
    batch.append(**{**GOOD, "project": "blog"})
    with pytest.raises(ValueError, match="already in this insert"):
        batch.append(**GOOD)
    assert len(batch) == 2


def test_columns_insert_like_events(tmp_path) -> None:
    from fractalops.planes.warehouse import close_warehouse, open_warehouse

    close_warehouse()
    with open_warehouse(tmp_path) as warehouse:
        batch = EventColumns()
        batch.append(**GOOD)
        warehouse.insert_events([{**GOOD, "event_id": "e2"}])
        assert warehouse.insert_event_columns(batch) == 1
        rows = warehouse.query("SELECT event_id, ts, ontology_id, attrs FROM events ORDER BY event_id")
    assert [(r["event_id"], r["ontology_id"], r["attrs"]) for r in rows] == [
        (event_id, "https://fractalops.dev/ontology#PageView", '{"a":[1,null],"b":1}') for event_id in ("e1", "e2")]
    assert rows[0]["ts"] == rows[1]["ts"]
