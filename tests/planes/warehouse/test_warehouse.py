"""Round trips, idempotency, quarantine and the proof-fact lifecycle over every backend."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from fractalops.errors import WarehouseError
from fractalops.planes.warehouse import MIGRATIONS, TABLES, Warehouse, WarehouseProtocol

TS = datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)


def _event(i: int, **over: object) -> dict:
    row = {"event_id": f"e-{i}", "ts": TS, "ontology_id": "fo:PageView", "project": "shop", "source": "posthog",
           "trace_id": f"trace-{i}", "session_id": "s-1", "thread_id": "th-1", "attrs": {"path": f"/p/{i}"}}
    row.update(over)
    return row


def _proof(**over: str) -> dict:
    args = {"thread_id": "th-1", "proposal_id": "prop-1", "content_hash": "sha256:abc", "commit": "c0ffee",
            "graph_iri": "https://fractalops.dev/id/proposal/prop-1", "chronicle_ref": "chronicle:entry/1"}
    args.update(over)
    return args


def test_migrate_is_idempotent(warehouse: Warehouse) -> None:
    assert warehouse.schema_version() == MIGRATIONS[-1].version
    assert warehouse.migrate() == []
    assert warehouse.migrate() == []
    rows = warehouse.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == [m.version for m in MIGRATIONS]
    counts = warehouse.table_counts()
    assert counts == {"schema_migrations": len(MIGRATIONS), **{t: 0 for t in TABLES}}


def test_migrate_refuses_an_edited_migration(warehouse: Warehouse) -> None:
    warehouse._insert("schema_migrations", ("version", "name", "checksum"), [[1, MIGRATIONS[0].name, "tampered"]])
    with pytest.raises(WarehouseError, match="migration 1 .* was edited"):
        warehouse.migrate()


def test_migrate_refuses_a_newer_schema(warehouse: Warehouse) -> None:
    warehouse._insert("schema_migrations", ("version", "name", "checksum"), [[999, "from the future", "x"]])
    with pytest.raises(WarehouseError, match=r"schema versions \[999\]"):
        warehouse.migrate()


def test_event_round_trip(warehouse: Warehouse) -> None:
    assert warehouse.insert_events([_event(1), _event(2, source="otel", ontology_id="prov:Activity")]) == 2
    rows = warehouse.query("SELECT * FROM events WHERE project = {p:String} ORDER BY event_id", {"p": "shop"})
    assert [r["event_id"] for r in rows] == ["e-1", "e-2"]
    first = rows[0]
    assert first["ts"] == TS
    assert first["ontology_id"] == "https://fractalops.dev/ontology#PageView"
    assert (first["trace_id"], first["session_id"], first["thread_id"]) == ("trace-1", "s-1", "th-1")
    assert json.loads(first["attrs"]) == {"path": "/p/1"}
    assert rows[1]["ontology_id"] == "http://www.w3.org/ns/prov#Activity"


def test_reinserting_an_event_does_not_double_count(warehouse: Warehouse) -> None:
    warehouse.insert_events([_event(1), _event(2)])
    warehouse.insert_events([_event(1), _event(2)])
    assert warehouse.insert_events([_event(3), _event(3)]) == 1
    assert warehouse.query("SELECT count() AS n FROM events")[0]["n"] == 3
    assert warehouse.table_counts()["events"] == 3


def test_invalid_events_are_quarantined_with_reason(warehouse: Warehouse) -> None:
    rows = [_event(1), _event(2, ontology_id="local:checkout"), _event(3, project=""), "not a row", _event(4)]
    assert warehouse.insert_events(rows) == 2
    assert warehouse.table_counts()["events"] == 2
    quarantined = warehouse.query("SELECT source, target, reason, payload FROM quarantine ORDER BY reason")
    assert len(quarantined) == 3
    assert all(q["target"] == "events" for q in quarantined)
    reasons = " | ".join(q["reason"] for q in quarantined)
    assert "ontology_id" in reasons and "local:checkout" in reasons
    assert "project" in reasons and "row must be a mapping" in reasons
    payloads = [q["payload"] for q in quarantined]
    assert any(json.loads(p).get("ontology_id") == "local:checkout" for p in payloads if p.startswith("{"))
    assert "not a row" in payloads


def test_facts_round_trip_and_quarantine(warehouse: Warehouse) -> None:
    good = {"kind": "change_applied", "subject": "prop-1", "project": "shop", "thread_id": "th-1",
            "ontology_id": "fo:Change", "attrs": {"files": 2}, "ts": TS}
    assert warehouse.insert_facts([good, dict(good), {**good, "ontology_id": "Change"}]) == 1
    facts = warehouse.query("SELECT kind, subject, ontology_id, attrs FROM facts")
    assert facts == [{"kind": "change_applied", "subject": "prop-1",
                      "ontology_id": "https://fractalops.dev/ontology#Change", "attrs": '{"files":2}'}]
    assert warehouse.query("SELECT target FROM quarantine") == [{"target": "facts"}]


def test_proof_fact_lifecycle(warehouse: Warehouse) -> None:
    fact_id = warehouse.record_proof_fact(**_proof(), attrs={"approver": "alice"})
    assert warehouse.record_proof_fact(**_proof(), attrs={"approver": "alice"}) == fact_id
    other = warehouse.record_proof_fact(**_proof(proposal_id="prop-2", commit="beef"))
    fact = warehouse.get_proof_fact(fact_id)
    assert fact is not None
    assert {k: fact[k] for k in _proof()} == _proof()
    assert fact["attrs"] == {"approver": "alice"}
    assert datetime.fromisoformat(fact["ts"]).tzinfo is not None
    assert {f["fact_id"] for f in warehouse.proof_facts_for_thread("th-1")} == {fact_id, other}
    assert warehouse.proof_facts_for_thread("nobody") == []
    assert warehouse.delete_proof_fact(fact_id) is True
    assert warehouse.get_proof_fact(fact_id) is None
    assert warehouse.delete_proof_fact(fact_id) is False
    assert [f["fact_id"] for f in warehouse.proof_facts_for_thread("th-1")] == [other]


def _witness(**over: object) -> dict:
    args = {"log": "main", "size": 3, "root": "ab" * 32, "key_id": "cd" * 32, "timestamp": 1_772_600_000_123,
            "signature": "ef" * 64}
    args.update(over)
    return args


def test_chronicle_witness_round_trip(warehouse: Warehouse) -> None:
    first = warehouse.record_chronicle_witness(**_witness())
    assert warehouse.record_chronicle_witness(**_witness()) == first, "the same checkpoint is one witness"
    warehouse.record_chronicle_witness(**_witness(size=7, root="12" * 32, timestamp=1_772_600_000_456))
    warehouse.record_chronicle_witness(**_witness(log="ops", size=1))
    assert warehouse.chronicle_witnesses("main") == [_witness(), _witness(size=7, root="12" * 32,
                                                                          timestamp=1_772_600_000_456)]
    assert len(warehouse.chronicle_witnesses()) == 3
    assert warehouse.newest_chronicle_witness("main", "cd" * 32) == 7
    assert warehouse.newest_chronicle_witness("main", "00" * 32) is None
    assert warehouse.table_counts()["chronicle_witnesses"] == 3


@pytest.mark.parametrize(("field", "value"), [("root", "AB" * 32), ("key_id", "x"), ("signature", "ef" * 32),
                                              ("size", -1), ("log", "Main/../x")])
def test_malformed_chronicle_witness_is_refused(warehouse: Warehouse, field: str, value: object) -> None:
    with pytest.raises(WarehouseError, match=field):
        warehouse.record_chronicle_witness(**_witness(**{field: value}))
    assert warehouse.chronicle_witnesses() == []


def test_a_v2_warehouse_migrates_forward_to_witnesses(warehouse: Warehouse) -> None:
    warehouse._command("DROP TABLE chronicle_witnesses")
    warehouse._command("DELETE FROM schema_migrations WHERE version = 3")
    assert warehouse.migrate() == [3]
    assert warehouse.chronicle_witnesses() == [] and warehouse.migrate() == []


def test_proof_fact_with_missing_part_is_refused(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="chronicle_ref"):
        warehouse.record_proof_fact(**_proof(chronicle_ref=""))
    assert warehouse.table_counts()["proof_facts"] == 0


def test_steward_report_round_trip(warehouse: Warehouse) -> None:
    report = {"project": "shop", "ts": TS, "counts": {"datasets": 4, "schema_fields": 17, "owners": 2},
              "rdf_sha256": "a" * 64, "datahub_path": "/data/catalog/datahub/shop-r1.json", "report_id": "r1",
              "rdf": "/data/semantics/steward/shop.ttl"}
    assert warehouse.record_steward_report(report) == "r1"
    assert warehouse.record_steward_report(report) == "r1"
    rows = warehouse.query("SELECT report_id, datasets, schema_fields, owners, rdf_sha256, attrs FROM steward_reports")
    assert len(rows) == 1
    assert (rows[0]["datasets"], rows[0]["schema_fields"], rows[0]["owners"]) == (4, 17, 2)
    assert json.loads(rows[0]["attrs"]) == {"rdf": "/data/semantics/steward/shop.ttl"}


def test_invalid_steward_report_is_quarantined_and_raised(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="quarantined as") as info:
        warehouse.record_steward_report({"datasets": 3})
    qid = str(info.value).rsplit(" ", 1)[-1]
    rows = warehouse.query("SELECT source, target, reason FROM quarantine WHERE id = {id:String}", {"id": qid})
    assert rows and rows[0]["target"] == "steward_reports" and "project" in rows[0]["reason"]


def test_explicit_quarantine(warehouse: Warehouse) -> None:
    qid = warehouse.quarantine("otel", "unknown span kind", b'{"kind": "weird"}')
    rows = warehouse.query("SELECT source, reason, payload FROM quarantine WHERE id = {id:String}", {"id": qid})
    assert rows == [{"source": "otel", "reason": "unknown span kind", "payload": '{"kind": "weird"}'}]


def test_query_errors_and_closed_handle_raise_warehouse_errors(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="query failed"):
        warehouse.query("SELEC 1")
    with pytest.raises(WarehouseError, match="query failed"):
        warehouse.query("SELECT * FROM no_such_table")
    warehouse.close()
    warehouse.close()
    with pytest.raises(WarehouseError, match="is closed"):
        warehouse.insert_events([_event(1)])


def test_hundred_thousand_events_insert(warehouse: Warehouse) -> None:
    rows = [_event(i, attrs={"i": i}) for i in range(100_000)]
    rows[777] = _event(777, ontology_id="page_view")
    assert warehouse.insert_events(rows) == 99_999
    assert warehouse.table_counts()["events"] == 99_999
    assert warehouse.table_counts()["quarantine"] == 1
    assert warehouse.query("SELECT sum(JSONExtractUInt(attrs, 'i')) AS s FROM events")[0]["s"] == (
        sum(range(100_000)) - 777
    )


def test_concurrent_writers_in_one_process(warehouse: Warehouse) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for batch in range(10):
                warehouse.insert_events([_event(worker * 1000 + batch * 10 + i) for i in range(10)])
                warehouse.record_proof_fact(**_proof(thread_id=f"th-{worker}", proposal_id=f"p-{batch}"))
                warehouse.query("SELECT count() FROM events")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert warehouse.table_counts()["events"] == 400
    assert warehouse.table_counts()["proof_facts"] == 40


def test_steward_rows_land_without_quarantine(warehouse: Warehouse, tmp_path) -> None:
    sample = pytest.importorskip("fractalops.planes.steward.sample")
    run = pytest.importorskip("fractalops.planes.steward.run")
    project = sample.write_sample_project(tmp_path / "project", datasets=6)
    result = run.run_steward(project, tmp_path / "data", warehouse)
    assert result.warehouse_report_id
    counts = warehouse.table_counts()
    assert counts["steward_reports"] == 1 and counts["quarantine"] == 0
    assert counts["events"] == result.events > 0


@pytest.mark.parametrize(
    "sql",
    ["DROP TABLE events", "INSERT INTO events (event_id) VALUES ('x')", "DELETE FROM proof_facts WHERE 1",
     "SELECT 1 SETTINGS readonly = 0"],
)
def test_query_is_read_only_and_leaves_the_writer_usable(warehouse: Warehouse, sql: str) -> None:
    with pytest.raises(WarehouseError, match="readonly|READONLY"):
        warehouse.query(sql)
    assert warehouse.insert_events([_event(1)]) == 1
    assert warehouse.table_counts()["events"] == 1


def test_rows_that_would_break_the_batch_are_quarantined_alone(warehouse: Warehouse) -> None:
    rows = [_event(1), _event(2, ts=datetime(3001, 1, 1, tzinfo=UTC)), {1: "int key", "source": "odd"},
            _event(3, ts="1969-12-31T23:59:59Z")]
    assert warehouse.insert_events(rows) == 1
    reasons = [q["reason"] for q in warehouse.query("SELECT reason FROM quarantine ORDER BY reason")]
    assert len(reasons) == 3 and sum("outside the warehouse range" in r for r in reasons) == 2
    with pytest.raises(WarehouseError, match="datasets"):
        warehouse.record_steward_report({"project": "p", "datasets": 2**32})


def test_warehouse_satisfies_the_protocol(warehouse: Warehouse) -> None:
    assert isinstance(warehouse, WarehouseProtocol)


def test_a_table_dropped_under_a_reused_insert_context_fails_clearly_then_works_after_migrate(
        warehouse: Warehouse) -> None:
    """Inserts reuse one insert context per table; a failed insert drops it, so the next one describes again."""
    first = warehouse.record_proof_fact(**_proof())
    warehouse._command("DROP TABLE proof_facts")
    with pytest.raises(WarehouseError, match="proof_facts"):
        warehouse.record_proof_fact(**_proof(proposal_id="prop-2"))
    warehouse._command("DELETE FROM schema_migrations WHERE 1 = 1")
    warehouse._command(f"DROP TABLE IF EXISTS {', '.join(t for t in TABLES if t != 'proof_facts')}")
    warehouse.migrate()
    again = warehouse.record_proof_fact(**_proof(proposal_id="prop-3"))
    assert warehouse.get_proof_fact(again) is not None and warehouse.get_proof_fact(first) is None
