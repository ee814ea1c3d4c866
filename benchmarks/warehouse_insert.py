"""Warehouse insert throughput: validated `Warehouse.insert_events` vs a raw clickhouse-connect insert.

Both run in this process against the same embedded chdb path and table schema; the baseline inserts prebuilt
columns (no validation), so the ratio is the cost of pydantic validation + canonical attrs JSON + quarantine
routing. Usage: python benchmarks/warehouse_insert.py [ROWS]  (default 200000).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import clickhouse_connect

from fractalops.planes.warehouse import open_warehouse

COLUMNS = ["event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs"]


def main(rows: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    dicts = [
        {"event_id": f"w-{i}", "ts": start + timedelta(milliseconds=i), "ontology_id": "fo:PageView",
         "project": f"p{i % 8}", "source": "posthog", "trace_id": f"t{i}", "session_id": f"s{i % 100}",
         "thread_id": "", "attrs": {"path": f"/p/{i % 50}", "i": i}}
        for i in range(rows)
    ]
    columns = [
        [f"b-{i}" for i in range(rows)],
        [i for i in range(rows)],  # DateTime64(3) as epoch ms: the fastest form clickhouse-connect takes
        ["https://fractalops.dev/ontology#PageView"] * rows,
        [f"p{i % 8}" for i in range(rows)],
        ["posthog"] * rows,
        [f"t{i}" for i in range(rows)],
        [f"s{i % 100}" for i in range(rows)],
        [""] * rows,
        [json.dumps({"i": i, "path": f"/p/{i % 50}"}, separators=(",", ":")) for i in range(rows)],
    ]
    with tempfile.TemporaryDirectory() as tmp, open_warehouse(Path(tmp), database="bench") as warehouse:
        raw = clickhouse_connect.get_client(dsn=f"chdb://{warehouse.location}", database="bench")
        t0 = time.perf_counter()
        raw.insert("events", columns, column_names=COLUMNS, column_oriented=True)
        baseline_s = time.perf_counter() - t0
        raw.close()
        t0 = time.perf_counter()
        inserted = warehouse.insert_events(dicts)
        measured_s = time.perf_counter() - t0
        total = warehouse.table_counts()["events"]
    assert inserted == rows and total == 2 * rows, (inserted, total)
    baseline_rate, measured_rate = rows / baseline_s, rows / measured_s
    print(f"rows: {rows}")
    print(f"baseline raw clickhouse-connect insert (prebuilt columns): {baseline_rate:,.0f} rows/s ({baseline_s:.2f}s)")
    print(f"Warehouse.insert_events (validated dicts):                {measured_rate:,.0f} rows/s ({measured_s:.2f}s)")
    print(f"ratio validated/raw: {measured_rate / baseline_rate:.3f}")
    print(json.dumps({"benchmark": "warehouse_insert", "rows": rows, "baseline_rows_per_s": round(baseline_rate),
                      "warehouse_rows_per_s": round(measured_rate),
                      "ratio": round(measured_rate / baseline_rate, 4)}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
