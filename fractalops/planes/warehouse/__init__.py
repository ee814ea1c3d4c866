"""ClickHouse warehouse plane: events, facts, steward reports, proof facts (the proof path's warehouse part) and
Chronicle checkpoint witnesses.

    from fractalops.planes.warehouse import get_warehouse
    wh = get_warehouse()                      # process-wide, migrated, cached
    wh.insert_events([{...}])                 # invalid rows are quarantined with their reason
    wh.insert_event_columns(batch)            # bulk writers: rows checked as they are appended (EventColumns)
    fact_id = wh.record_proof_fact(thread_id=..., proposal_id=..., content_hash=..., commit=...,
                                   graph_iri=..., chronicle_ref=...)

Backends: embedded chdb (default, `chdb:///<data dir>/warehouse` through clickhouse-connect's chdb backend) or a
ClickHouse server when `FRACTALOPS_CLICKHOUSE_URL` is set (clickhouse-connect 1.x needs ClickHouse >= 22; the
`final` setting and lightweight DELETE used here need >= 23.3; none is installable on the development machine,
Debian ships 18.16, so the server backend is untested here). With chdb, ONE process owns a path: the LangGraph
server process is the single writer and other processes (the CLI) get a `WarehouseOwnedError` naming it.
Idempotency: ReplacingMergeTree keyed on identity + FINAL on read (`Warehouse.query` sets `final=1`).
Operator SQL (CLI, `/warehouse/query`) runs only through `Warehouse.read_only_query`: see `read_only.py`.
"""

from fractalops.planes.warehouse.columns import EVENT_COLUMNS, EventColumns
from fractalops.planes.warehouse.connect import (
    clickhouse_url,
    close_warehouse,
    get_warehouse,
    open_warehouse,
    warehouse_dir,
)
from fractalops.planes.warehouse.migrations import MIGRATIONS, TABLES, Migration
from fractalops.planes.warehouse.models import (
    GLOBAL_NAMESPACES,
    ChronicleWitnessRow,
    Event,
    Fact,
    ProofFact,
    StewardReportRow,
    expand_ontology_id,
)
from fractalops.planes.warehouse.protocol import WarehouseProtocol
from fractalops.planes.warehouse.read_only import ReadScope, check_read_only
from fractalops.planes.warehouse.warehouse import Backend, Warehouse

__all__ = [
    "open_warehouse",
    "get_warehouse",
    "close_warehouse",
    "warehouse_dir",
    "clickhouse_url",
    "Warehouse",
    "WarehouseProtocol",
    "Backend",
    "Event",
    "EventColumns",
    "EVENT_COLUMNS",
    "Fact",
    "ProofFact",
    "ChronicleWitnessRow",
    "StewardReportRow",
    "GLOBAL_NAMESPACES",
    "expand_ontology_id",
    "Migration",
    "MIGRATIONS",
    "TABLES",
    "ReadScope",
    "check_read_only",
]
