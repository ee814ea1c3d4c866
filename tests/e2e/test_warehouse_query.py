"""`POST /warehouse/query` on a real `langgraph dev`: operators read the warehouse tables, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.warehouse.migrations import TABLES

pytestmark = pytest.mark.server


def _post(server, sql: str, key: str = "key-alice") -> httpx.Response:
    return httpx.post(f"{server.url}/warehouse/query", json={"sql": sql}, headers={"x-api-key": key}, timeout=60)


def test_file_is_refused_with_400_naming_it(server, tmp_path: Path) -> None:
    secret = server.data_dir / "secrets" / "probe.json"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text('{"token": "s3cr3t"}')
    answer = _post(server, f"SELECT * FROM file('{secret}', 'RawBLOB')")
    assert answer.status_code == 400
    assert answer.json()["refused"] == "table function file" and "s3cr3t" not in answer.text
    assert "table function file is not allowed" in answer.json()["error"]

    outside = tmp_path / "outside.txt"
    answer = _post(server, f"INSERT INTO FUNCTION file('{outside}', 'RawBLOB') SELECT 'x' "
                           f"SETTINGS engine_file_truncate_on_insert = 1")
    assert (answer.status_code, answer.json()["refused"]) == (400, "INSERT")
    assert not outside.exists()
    for sql, construct in (("SELECT file('/etc/hostname')", "function file"),
                           ("SELECT * FROM url('http://127.0.0.1:9/', 'RawBLOB')", "table function url"),
                           ("SELECT 1; DROP TABLE events", "multiple statements"),
                           ("SELECT * FROM system.users", "table system.users")):
        answer = _post(server, sql)
        assert (answer.status_code, answer.json()["refused"]) == (400, construct), sql


def test_a_valid_select_answers_rows(server) -> None:
    answer = _post(server, "SELECT count() AS n FROM events WHERE project = 'no-such-project'")
    assert answer.status_code == 200 and answer.json() == {"rows": [{"n": 0}]}
    tables = _post(server, "SELECT name FROM system.tables ORDER BY name").json()["rows"]
    assert {*TABLES, "schema_migrations"} == {r["name"] for r in tables}


def test_only_operators_may_query(server) -> None:
    assert _post(server, "SELECT 1 AS x", key="key-bob").status_code == 403
    assert _post(server, "SELECT 1 AS x", key="key-alice").json() == {"rows": [{"x": 1}]}


def test_the_cli_refuses_through_the_server_that_owns_the_warehouse(server, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(server.data_dir))
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    assert _post(server, "SELECT 1 AS x").status_code == 200  # the server has opened (owns) the warehouse
    out = CliRunner().invoke(app, ["warehouse", "query", "SELECT * FROM file('/etc/passwd', 'RawBLOB')", "--json"])
    assert out.exit_code == 1 and json.loads(out.stdout)["refused"] == "table function file"
    sql = "SELECT 'via the server' AS how, count() AS n FROM events"
    out = CliRunner().invoke(app, ["warehouse", "query", sql, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == _post(server, sql).json()["rows"]
