"""The `steward` graph on the server, and `fractalops steward run` (which runs that graph on a thread)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.steward import write_sample_project

pytestmark = pytest.mark.server


def test_steward_graph_and_cli_write_all_three_outputs(server, tmp_path, monkeypatch):
    project = write_sample_project(tmp_path / "shop", datasets=3)
    values = server.client().runs.wait(None, "steward", input={"project_dir": str(project)})
    result = values["result"]
    assert result["datasets"] >= 3 and result["triples"] > 0
    assert result["rdf"].endswith(".ttl") and result["datahub"].endswith(".json")
    assert result["warehouse"]["ok"] is True and result["warehouse"]["events"] > 0
    mcps = json.loads(open(result["datahub"]).read())
    assert {m["aspectName"] for m in mcps} >= {"datasetProperties", "schemaMetadata", "upstreamLineage"}

    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(server.data_dir))
    out = CliRunner().invoke(app, ["steward", "run", str(project), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert {"rdf", "datahub", "warehouse"} <= set(doc)
    assert doc["warehouse"]["ok"] is True  # the CLI's run is the server's steward graph, on a thread of its own
    assert server.client().threads.get(doc["thread_id"])["status"] == "idle"
    assert not list((server.data_dir / "steward" / "pending").glob("*.json")), "spooled rows were ingested"


def test_unmapped_term_mapping_is_approved_from_the_cli(server, tmp_path, monkeypatch):
    project = write_sample_project(tmp_path / "shop2", datasets=1, unmapped_term=True, project="shop2")
    client = server.client()
    thread = client.threads.create()["thread_id"]
    run = client.runs.create(thread, "steward", input={"project_dir": str(project)})
    client.runs.join(thread, run["run_id"])
    action = client.threads.get_state(thread)["interrupts"][0]["value"]["action_requests"][0]
    assert action["name"] == "ontology_mapping" and action["args"]["local_term"] == "Widget"

    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    out = CliRunner().invoke(app, ["approve", thread, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["waiting"] is False
    record = client.http.get(f"/proposals/{action['args']['proposal_id']}")
    assert record["status"] == "evidenced" and record["executed"]["commit"].startswith("semantics:terms/shop2#Widget=")


def test_warehouse_cli_reads_through_the_server_that_owns_it(server, tmp_path, monkeypatch):
    project = write_sample_project(tmp_path / "shop3", datasets=1, project="shop3")
    server.client().runs.wait(None, "steward", input={"project_dir": str(project)})
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(server.data_dir))
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    out = CliRunner().invoke(app, ["warehouse", "tables", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["tables"]["steward_reports"] >= 1
    out = CliRunner().invoke(app, ["warehouse", "query", "SELECT project FROM steward_reports WHERE project = 'shop3'",
                                   "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == [{"project": "shop3"}]
    out = CliRunner().invoke(app, ["warehouse", "query", "DROP TABLE events", "--json"])
    assert out.exit_code == 1 and "DROP TABLE" in out.stdout
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-bob")
    out = CliRunner().invoke(app, ["warehouse", "tables", "--json"])
    assert out.exit_code == 1 and "operator" in out.stdout
