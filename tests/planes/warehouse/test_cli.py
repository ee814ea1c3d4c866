"""`fractalops warehouse migrate | query | tables` (in-process; each invocation opens and closes the path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.warehouse import MIGRATIONS, TABLES, open_warehouse

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
    assert document["ok"] is False and document["error_type"] == "WarehouseError" and "SELEC" in document["error"]
