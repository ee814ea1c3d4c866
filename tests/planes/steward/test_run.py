from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fractalops.errors import SemanticsError
from fractalops.planes.catalog import validate_mcps
from fractalops.planes.semantics import load_turtle, open_semantics
from fractalops.planes.steward import LIFECYCLE_EVENTS, run_steward, write_sample_project
from fractalops.planes.warehouse import Warehouse, close_warehouse, open_warehouse

EVENT_KEYS = {"event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    close_warehouse()  # chdb hosts one engine path per process
    handle = open_warehouse(tmp_path_factory.mktemp("steward-wh"))
    yield handle
    handle.close()


def test_run_steward_end_to_end(tmp_path: Path, warehouse: Warehouse) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=8, unmapped_term=True)
    data = tmp_path / "data"
    result = run_steward(proj, data, warehouse=warehouse, thread_id="thread-9")
    report = result.report
    # RDF file: valid Turtle that passes SHACL on its own
    assert result.rdf_path == data / "semantics" / "steward" / "shop.ttl"
    graph = load_turtle(result.rdf_path)
    assert len(graph) == result.triples > 200
    # merged into the semantic graph, with impact paths over SPARQL property paths
    sg = open_semantics(data)
    orders = report.dataset_iri("orders_0")
    assert sg.has_identity(orders)
    assert [p[-1].rsplit("/", 1)[-1] for p in sg.impact_paths("shop/orders_0")] == ["revenue_rollup", "revenue_rollup"]
    assert sg.impact_paths(orders) == sg.impact_paths("shop/orders_0")
    assert sg.validate().conforms
    # DataHub JSON
    assert result.datahub_path == data / "catalog" / "datahub" / f"shop-{report.report_id}.json"
    mcps = json.loads(result.datahub_path.read_text())
    validate_mcps(mcps)
    assert len(mcps) == result.mcps
    # warehouse: summary + lifecycle events landed, none quarantined
    assert result.warehouse_report_id == report.report_id
    assert warehouse.query("SELECT count() AS n FROM steward_reports FINAL")[0]["n"] >= 1
    rows = warehouse.query("SELECT count() AS n FROM events FINAL WHERE thread_id = 'thread-9'")
    assert rows[0]["n"] == result.events
    assert warehouse.query("SELECT count() AS n FROM quarantine")[0]["n"] == 0


def test_warehouse_rows_shape(tmp_path: Path) -> None:
    result = run_steward(write_sample_project(tmp_path / "proj", datasets=8), tmp_path / "data")
    summary, events = result.summary, result.event_rows
    assert summary["report_id"] == result.report.report_id and summary["project"] == "shop"
    assert summary["datasets"] == 9 and summary["triples"] == result.triples
    assert summary["lineage_edges"] == 6 and summary["impact_paths"] == 6
    assert summary["datahub_path"] == str(result.datahub_path) and len(summary["rdf_sha256"]) == 64
    assert all(set(e) == EVENT_KEYS for e in events)
    assert all(e["source"] == "steward" and e["project"] == "shop" for e in events)
    assert all(e["ontology_id"].startswith(("https://fractalops.dev/ontology#", "http://www.w3.org/ns/prov#"))
               for e in events)
    kinds = [e["attrs"]["event"] for e in events]
    assert kinds[0] == "report_started" and kinds[-1] == "report_completed"
    assert set(kinds) == set(LIFECYCLE_EVENTS)
    assert kinds.count("dataset_discovered") == 9 and kinds.count("lineage_recorded") == 6
    assert len({e["event_id"] for e in events}) == len(events)
    term = next(e for e in events if e["attrs"]["event"] == "term_recorded")
    assert term["ontology_id"] == term["attrs"]["term"]  # the mapped global term itself


def test_corrupt_ddl_writes_nothing(tmp_path: Path) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    data = tmp_path / "data"
    run_steward(proj, data)
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    with (proj / "sql" / "schema.sql").open("a") as fh:
        fh.write("\nCREATE TABLE broken (\n  id INT,\n  name\n);\n")
    lines = (proj / "sql" / "schema.sql").read_text().count("\n")
    with pytest.raises(SemanticsError, match=rf"sql/schema.sql at line {lines - 1}: column 'name'"):
        run_steward(proj, data)
    after = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert after == before


def test_rerun_replaces_the_project_graph(tmp_path: Path) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=8)
    data = tmp_path / "data"
    first = run_steward(proj, data)
    (proj / "data" / "events_0.csv").unlink()
    second = run_steward(proj, data)
    assert second.report.report_id != first.report.report_id
    sg = open_semantics(data)
    assert not sg.has_identity(first.report.dataset_iri("events_0"))
    assert sg.has_identity(second.report.dataset_iri("orders_0"))
