"""The persisted schema is a frozen fixture: a change must come as a new migration and an updated fixture.

Regenerate after adding a migration: UPDATE_WAREHOUSE_SCHEMA_FIXTURE=1 python -m pytest tests/planes/warehouse/test_schema.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fractalops.planes.warehouse import MIGRATIONS, TABLES, Warehouse

FIXTURE = Path(__file__).parent / "fixtures" / f"schema_v{MIGRATIONS[-1].version}.json"


def describe(warehouse: Warehouse) -> dict:
    out: dict = {}
    for table in ("schema_migrations", *TABLES):
        where = {"t": table}
        meta = warehouse.query("SELECT engine, sorting_key FROM system.tables "
                               "WHERE database = currentDatabase() AND name = {t:String}", where)[0]
        columns = warehouse.query("SELECT name, type, default_expression FROM system.columns "
                                  "WHERE database = currentDatabase() AND table = {t:String} ORDER BY position", where)
        indices = warehouse.query("SELECT name, type_full, expr FROM system.data_skipping_indices "
                                  "WHERE database = currentDatabase() AND table = {t:String} ORDER BY name", where)
        out[table] = {
            "engine": meta["engine"],
            "sorting_key": meta["sorting_key"],
            "columns": [[c["name"], c["type"], c["default_expression"]] for c in columns],
            "indices": [[i["name"], i["type_full"], i["expr"]] for i in indices],
        }
    return out


def test_schema_matches_the_frozen_fixture(warehouse: Warehouse) -> None:
    actual = describe(warehouse)
    if os.environ.get("UPDATE_WAREHOUSE_SCHEMA_FIXTURE"):
        FIXTURE.write_text(json.dumps(actual, indent=1) + "\n")
    assert FIXTURE.exists(), f"missing {FIXTURE}; regenerate it (see module docstring)"
    assert actual == json.loads(FIXTURE.read_text())
