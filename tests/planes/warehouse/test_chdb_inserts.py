"""The embedded engine's inserts go through chdb's streaming insert, in memory: every block lands, a value the block
cannot hold or a table the engine refuses fails the whole insert clearly, and the next insert works. (Closing the
warehouse closes the insert handle too: `test_connect.test_close_then_open_a_different_path`.)"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fractalops.errors import WarehouseError
from fractalops.planes.warehouse import EventColumns, Warehouse
from fractalops.planes.warehouse.columns import EVENT_COLUMNS

TS = datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)


@pytest.fixture
def embedded(warehouse: Warehouse) -> Iterator[Warehouse]:
    if warehouse.backend != "chdb":
        pytest.skip("chdb's streaming insert is the embedded engine's path; a server takes clickhouse-connect's")
    yield warehouse


def _batch(count: int, *, start: int = 0, detail: str = "x") -> EventColumns:
    batch = EventColumns()
    for i in range(start, start + count):
        batch.append(event_id=f"e-{i}", ts=TS, ontology_id="fo:PageView", project="shop", source="posthog",
                     attrs={"i": i, "detail": detail})
    return batch


def _count(warehouse: Warehouse) -> int:
    return warehouse.query("SELECT count() AS n FROM events")[0]["n"]


def test_a_batch_of_many_blocks_lands_whole_without_a_temporary_file(embedded: Warehouse,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def no_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("the insert wrote a temporary file")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_file)
    batch = _batch(6000, detail="y" * 2000)  # ~12 MB: clickhouse-connect cuts blocks of ~2 MB
    assert embedded.insert_event_columns(batch) == 6000
    assert _count(embedded) == 6000
    rows = embedded.query("SELECT min(event_id) AS lo, max(ts) AS hi, uniqExact(event_id) AS n FROM events")
    assert rows == [{"lo": "e-0", "hi": TS, "n": 6000}]


def test_a_value_the_block_cannot_hold_fails_the_whole_insert_then_the_next_one_works(embedded: Warehouse) -> None:
    data = _batch(3).data
    data[EVENT_COLUMNS.index("ts")][1] = "not a time"  # past EventColumns' checks: only the encoder sees it
    with pytest.raises(WarehouseError, match="insert into .*events failed"):
        embedded._insert("events", EVENT_COLUMNS, data, column_oriented=True)
    assert _count(embedded) == 0
    assert embedded.insert_event_columns(_batch(2, start=10)) == 2
    assert _count(embedded) == 2


def test_what_the_engine_refuses_is_a_warehouse_error_naming_the_table(embedded: Warehouse) -> None:
    embedded.insert_event_columns(_batch(1))
    embedded._command("DROP TABLE events")
    with pytest.raises(WarehouseError, match="insert into .*events failed.*warehouse migrate"):
        embedded.insert_event_columns(_batch(1, start=1))

