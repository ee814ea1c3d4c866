from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.steward import write_sample_project

runner = CliRunner()


def test_steward_run_json_with_warehouse(tmp_path: Path) -> None:
    # A separate process: chdb hosts one engine path per process, and the CLI opens its own.
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    env = {**os.environ, "FRACTALOPS_DATA_DIR": str(tmp_path / "data")}
    env.pop("FRACTALOPS_CLICKHOUSE_URL", None)
    out = subprocess.run([sys.executable, "-m", "fractalops.cli.main", "steward", "run", str(proj), "--json"],
                         env=env, capture_output=True, text=True, timeout=240, check=True)
    doc = json.loads(out.stdout)
    assert doc["ok"] is True
    assert Path(doc["rdf"]).is_file() and Path(doc["datahub"]).is_file()
    assert doc["warehouse"]["ok"] is True and doc["warehouse"]["report_id"] == doc["report_id"]
    assert doc["warehouse"]["events"] == doc["events"]


def test_steward_run_without_warehouse_spools_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "data"))
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    result = runner.invoke(app, ["steward", "run", str(proj), "--json", "--no-warehouse"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["warehouse"]["ok"] is False and "--no-warehouse" in doc["warehouse"]["message"]
    pending = json.loads(Path(doc["warehouse"]["pending"]).read_text())
    assert pending["summary"]["report_id"] == doc["report_id"] and len(pending["events"]) == doc["events"]


def test_steward_run_corrupt_project_fails_with_json_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "data"))
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    (proj / "sql" / "schema.sql").write_text("CREATE TABLE t (\n a INT,\n b\n);\n")
    result = runner.invoke(app, ["steward", "run", str(proj), "--json", "--no-warehouse"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and "sql/schema.sql at line 3" in doc["error"]


def test_semantics_describe_impact_and_terms_check(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "data"))
    proj = write_sample_project(tmp_path / "proj", datasets=8)
    assert runner.invoke(app, ["steward", "run", str(proj), "--no-warehouse"]).exit_code == 0
    iri = "https://fractalops.dev/id/project/shop/dataset/orders_0"
    described = runner.invoke(app, ["semantics", "describe", iri, "--json"])
    assert described.exit_code == 0
    assert [iri, "https://fractalops.dev/ontology#name", "orders_0"] in json.loads(described.stdout)["triples"]
    missing = runner.invoke(app, ["semantics", "describe", iri + "_nope", "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)["ok"] is False
    impact = runner.invoke(app, ["semantics", "impact", "shop/revenue_view_0", "--json"])
    assert json.loads(impact.stdout)["paths"] == [[
        "https://fractalops.dev/id/project/shop/dataset/revenue_view_0",
        "https://fractalops.dev/id/project/shop/dataset/revenue_rollup"]]
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text("project: shop\nterms:\n  Kunde: {exactMatch: fo:Customer}\n")
    ok = runner.invoke(app, ["semantics", "terms", "check", str(vocab), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    vocab.write_text("project: shop\nterms:\n  Kunde: {exactMatch: fo:Customer}\n  Thing: {}\n")
    bad = runner.invoke(app, ["semantics", "terms", "check", str(vocab), "--json"])
    assert bad.exit_code == 1
    assert [t["term"] for t in json.loads(bad.stdout)["terms"] if not t["ok"]] == ["Thing"]


def test_steward_run_when_another_process_owns_the_warehouse(tmp_path: Path) -> None:
    from fractalops.planes.warehouse import close_warehouse, open_warehouse

    data = tmp_path / "data"
    proj = write_sample_project(tmp_path / "proj", datasets=4)
    close_warehouse()
    owner = open_warehouse(data)  # this test process plays the server that owns the embedded warehouse
    try:
        env = {**os.environ, "FRACTALOPS_DATA_DIR": str(data)}
        env.pop("FRACTALOPS_CLICKHOUSE_URL", None)
        out = subprocess.run([sys.executable, "-m", "fractalops.cli.main", "steward", "run", str(proj), "--json"],
                             env=env, capture_output=True, text=True, timeout=240, check=True)
    finally:
        owner.close()
    doc = json.loads(out.stdout)
    assert doc["ok"] is True and Path(doc["rdf"]).is_file()
    assert doc["warehouse"]["ok"] is False and "cannot write to the warehouse" in doc["warehouse"]["message"]
    pending = json.loads(Path(doc["warehouse"]["pending"]).read_text())
    assert len(pending["events"]) == doc["events"]
