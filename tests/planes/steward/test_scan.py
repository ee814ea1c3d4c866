from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fractalops.errors import SemanticsError
from fractalops.planes.semantics import FO, TermMap, open_semantics, validate
from fractalops.planes.steward import scan_project, write_sample_project


def test_sample_project_report(tmp_path: Path) -> None:
    report = scan_project(write_sample_project(tmp_path / "proj", datasets=8, unmapped_term=True))
    assert report.project == "shop"
    names = [d.name for d in report.datasets]
    assert names == sorted(names)
    assert {"orders_0", "customers_1", "revenue_view_0", "revenue_rollup", "events_0"} <= set(names)
    events = report.dataset("events_0")
    assert events.kind == "csv" and events.platform == "file" and events.source == "data/events_0.csv"
    assert [(f.name, f.type) for f in events.fields] == [
        ("event_id", "integer"), ("user_email", "string"), ("amount", "double"), ("happened_at", "timestamp"),
        ("is_test", "boolean")]
    orders = report.dataset("orders_0")
    assert orders.kind == "table" and orders.platform == "postgres" and orders.line == 3
    assert orders.owners == ("owner0@example.com",) and orders.terms == (str(FO.Order),)
    assert orders.description == "All orders, one row per order."
    assert report.dataset("customers_1").terms == (str(FO.Customer),)  # local "Kunde" → exactMatch fo:Customer
    email = next(f for f in orders.fields if f.name == "email")
    assert email.terms == (str(FO.EmailAddress),)  # local "Mail" → broadMatch
    view = report.dataset("revenue_view_0")
    assert view.upstreams == ("orders_0", "customers_1")
    assert {f.name: f.type for f in view.fields} == {"id": "BIGINT", "email": "VARCHAR(200)", "total": "unknown"}
    assert {t.term for t in report.local_terms} == {"Kunde", "Mail"}
    assert [(u.term, u.where) for u in report.unmapped_terms] == [("Widget", "events_0")]


def test_report_rdf_is_shacl_valid_and_impact_paths(tmp_path: Path) -> None:
    report = scan_project(write_sample_project(tmp_path / "proj", datasets=8))
    graph = report.to_graph()
    result = validate(graph)
    assert result.conforms, result.text
    impact = report.impact_paths(graph)
    assert impact["orders_0"] == [["orders_0", "revenue_rollup"], ["orders_0", "revenue_view_0", "revenue_rollup"]]
    assert impact["revenue_view_0"] == [["revenue_view_0", "revenue_rollup"]]
    assert "revenue_rollup" not in impact


def test_report_id_is_deterministic(tmp_path: Path) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=6)
    first, second = scan_project(proj), scan_project(proj)
    assert first.report_id == second.report_id
    (proj / "data" / "events_0.csv").write_text("a,b\n1,2\n")
    assert scan_project(proj).report_id != first.report_id


def test_parquet_and_external_upstreams(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", None]}), proj / "people.parquet")
    (proj / "v.sql").write_text("CREATE VIEW people_v AS SELECT p.id FROM people p JOIN warehouse.dim_date d ON 1=1;")
    report = scan_project(proj)
    people = report.dataset("people")
    assert people.kind == "parquet" and [(f.name, f.type, f.nullable) for f in people.fields] == [
        ("id", "int64", True), ("name", "string", True)]
    assert report.dataset("people_v").upstreams == ("people", "warehouse.dim_date")
    assert report.dataset("warehouse.dim_date").kind == "external"
    assert any("warehouse.dim_date" in n for n in report.notes)
    assert report.project == "p"
    assert validate(report.to_graph()).conforms


def test_approved_mapping_in_the_semantic_graph_is_used(tmp_path: Path) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=4, unmapped_term=True)
    sg = open_semantics(tmp_path / "data")
    assert [u.term for u in scan_project(proj, semantics=sg).unmapped_terms] == ["Widget"]
    tm = TermMap("shop", sg)
    tm.apply_mapping(tm.propose_mapping("Widget", "fo:Product"))
    report = scan_project(proj, semantics=sg)
    assert report.unmapped_terms == ()
    assert report.dataset("events_0").terms == (str(FO.Product),)


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("bad.csv", "", "no header row"),
        ("bad.csv", "a,,b\n1,2,3\n", "have no name"),
        ("bad.csv", "a,a\n1,2\n", "duplicate header"),
        ("bad.csv", "a,b\n1,2,3\n", "3 values for 2 header columns"),
        ("fractalops-steward.yaml", "owners: [1, 2\n", "malformed YAML"),
        ("fractalops-steward.yaml", "ownrs: {}\n", "unknown key"),
    ],
)
def test_corrupt_inputs_are_clear_errors(tmp_path: Path, name: str, content: str, what: str) -> None:
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    target = proj / "data" / name if name.endswith(".csv") else proj / name
    target.write_text(content)
    with pytest.raises(SemanticsError, match=what):
        scan_project(proj)


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "x.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SemanticsError, match=r"corrupt Parquet file x\.parquet"):
        scan_project(proj)
