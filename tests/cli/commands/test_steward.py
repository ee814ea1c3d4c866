"""`fractalops steward run DIR` on the server: a normal thread that ends done (or waiting), never a ghost."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.planes.steward import write_sample_project

pytestmark = pytest.mark.server


def _row(cli, thread_id: str) -> dict:
    rows = {r["thread_id"]: r for r in cli("threads", "--json").json()}
    return rows[thread_id]


def test_a_steward_run_leaves_a_finished_thread(server, cli, tmp_path: Path) -> None:
    project = write_sample_project(tmp_path / "proj", datasets=4, project="cliproj")
    result = cli("steward", "run", str(project), "--json", key="key-alice", url=server.url)
    assert result.code == 0, result.stderr
    doc = result.json()
    assert doc["ok"] is True and doc["waiting"] is False and doc["pending"] == []
    assert Path(doc["rdf"]).is_file() and Path(doc["datahub"]).is_file()
    assert doc["warehouse"]["ok"] is True and doc["warehouse"]["report_id"] == doc["report_id"]
    assert doc["warehouse"]["events"] == doc["events"]
    assert _row(cli, doc["thread_id"])["status"] == "done"
    shown = cli("show", doc["thread_id"], "--json")
    assert shown.code == 0 and shown.json()["pending"] == []
    assert server.client().threads.get(doc["thread_id"])["status"] == "idle"


def test_an_unmapped_term_waits_for_a_reviewer_on_the_thread(server, cli, tmp_path: Path) -> None:
    project = write_sample_project(tmp_path / "proj", datasets=1, unmapped_term=True, project="cliwidget")
    human = cli("steward", "run", str(project), key="key-alice", url=server.url)
    assert human.code == 0, human.stderr
    assert "unmapped term 'Widget'" in human.stdout and "1 mapping proposal(s) wait for a reviewer" in human.stdout
    thread_id = human.stdout.split(" on thread ")[1].split(":")[0]
    assert _row(cli, thread_id)["status"] == "awaiting_approval"
    approved = cli("approve", thread_id, "--json")
    assert approved.code == 0 and approved.json()["waiting"] is False
    assert _row(cli, thread_id)["status"] == "done"


def test_a_corrupt_project_fails_with_the_reason(server, cli, tmp_path: Path) -> None:
    project = write_sample_project(tmp_path / "proj", datasets=4, project="clicorrupt")
    (project / "sql" / "schema.sql").write_text("CREATE TABLE t (\n a INT,\n b\n);\n")
    result = cli("steward", "run", str(project), "--json", key="key-alice", url=server.url)
    assert result.code == 1
    doc = result.json()
    assert doc["ok"] is False and "sql/schema.sql at line 3" in doc["error"] and doc["thread_id"]


def test_a_directory_the_server_does_not_have(server, cli, tmp_path: Path) -> None:
    result = cli("steward", "run", str(tmp_path / "no-such-project"), key="key-alice", url=server.url)
    assert result.code == 1 and "no-such-project" in result.stderr and "is not a directory on the server" in result.stderr
