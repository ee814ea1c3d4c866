"""`fractalops warehouse migrate | query | tables` (in-process; each invocation opens and closes the path)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.warehouse import MIGRATIONS, TABLES, open_warehouse

from .conftest import PYTHON, subprocess_env

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FRACTALOPS_WAREHOUSE_DIR", raising=False)
    monkeypatch.delenv("FRACTALOPS_CLICKHOUSE_URL", raising=False)
    return tmp_path


def _json(args: list[str]) -> dict | list:
    result = runner.invoke(app, ["warehouse", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_tables_before_and_after_migrate(data_dir: Path) -> None:
    before = _json(["tables"])
    assert before["schema_version"] == 0 and set(before["tables"].values()) == {None}
    migrated = _json(["migrate"])
    assert migrated["applied"] == [m.version for m in MIGRATIONS] and migrated["backend"] == "chdb"
    assert _json(["migrate"])["applied"] == []
    after = _json(["tables"])
    assert after["tables"] == {"schema_migrations": len(MIGRATIONS), **{t: 0 for t in TABLES}}
    assert after["location"] == str(data_dir / "warehouse")


def test_query_json_and_table_output(data_dir: Path) -> None:
    with open_warehouse() as wh:
        wh.insert_events([{"event_id": "e1", "ontology_id": "fo:PageView", "project": "shop", "source": "posthog",
                           "ts": "2026-01-01T00:00:00Z"}])
    rows = _json(["query", "SELECT event_id, ts, ontology_id FROM events"])
    assert rows == [{"event_id": "e1", "ts": "2026-01-01T00:00:00+00:00",
                     "ontology_id": "https://fractalops.dev/ontology#PageView"}]
    human = runner.invoke(app, ["warehouse", "query", "SELECT event_id FROM events"])
    assert human.exit_code == 0 and "e1" in human.stdout and "1 row(s)" in human.stdout
    assert "events" in runner.invoke(app, ["warehouse", "tables"]).stdout


def test_bad_sql_is_one_json_error_document(data_dir: Path) -> None:
    result = runner.invoke(app, ["warehouse", "query", "SELEC 1", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    # a refusal now (QueryRefusedError, a WarehouseError): the read-only check stops it before it reaches chdb
    assert document["ok"] is False and document["error_type"] == "QueryRefusedError" and "SELEC" in document["error"]


@pytest.mark.parametrize(("sql", "refused"), [
    ("SELECT * FROM file('/etc/passwd', 'RawBLOB')", "table function file"),
    ("INSERT INTO events (event_id) VALUES ('x')", "INSERT"),
    ("SELECT 1; DROP TABLE events", "multiple statements"),
    ("SELECT * FROM system.users", "table system.users"),
])
def test_query_refuses_anything_but_a_select_over_the_warehouse(data_dir: Path, sql: str, refused: str) -> None:
    _json(["migrate"])
    result = runner.invoke(app, ["warehouse", "query", sql, "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error_type"] == "QueryRefusedError" and document["refused"] == refused
    human = runner.invoke(app, ["warehouse", "query", sql])
    assert human.exit_code == 1 and f"{refused} is not allowed" in " ".join(human.stderr.split())
    assert _json(["tables"])["tables"]["events"] == 0


HOLDER = """
import sys
from pathlib import Path
from fractalops.planes.warehouse import open_warehouse
wh = open_warehouse(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
wh.close()
"""


@pytest.fixture
def owned_by_a_server(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """Another process owns the embedded warehouse; FRACTALOPS_SERVER_URL is a stand-in that records requests."""
    requests: list[dict] = []

    class Portal(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            requests.append({"path": self.path, **body})
            answer = json.dumps({"error": "refused by the server's own check", "refused": "table elsewhere"})
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: object) -> None:
            pass

    holder = subprocess.Popen([PYTHON, "-c", HOLDER, str(data_dir)], env=subprocess_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("FRACTALOPS_SERVER_URL", f"http://127.0.0.1:{httpd.server_address[1]}")
        monkeypatch.setenv("FRACTALOPS_API_KEY", "key-test")
        yield requests
    finally:
        httpd.shutdown()
        thread.join()
        holder.communicate("\n", timeout=60)


def test_query_is_checked_before_it_is_sent_to_the_server(owned_by_a_server: list[dict]) -> None:
    result = runner.invoke(app, ["warehouse", "query", "SELECT file('/etc/passwd')", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["refused"] == "function file"
    assert owned_by_a_server == []  # never sent


def test_a_refusal_by_the_server_keeps_its_construct(owned_by_a_server: list[dict]) -> None:
    result = runner.invoke(app, ["warehouse", "query", "SELECT count() FROM events", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error_type"] == "QueryRefusedError" and document["refused"] == "table elsewhere"
    assert "refused by the server's own check" in document["error"]
    assert owned_by_a_server == [{"path": "/warehouse/query", "sql": "SELECT count() FROM events"}]
