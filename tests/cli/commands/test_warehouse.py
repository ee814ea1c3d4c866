"""`fractalops warehouse tables | query` through the server that owns (and migrated) the warehouse."""

from __future__ import annotations

import pytest

from fractalops.planes.warehouse import MIGRATIONS, TABLES

pytestmark = pytest.mark.server


def test_tables_show_the_migrated_warehouse(server, cli) -> None:
    result = cli("warehouse", "tables", "--json", key="key-alice", url=server.url)
    assert result.code == 0
    document = result.json()
    assert document["schema_version"] == MIGRATIONS[-1].version and document["backend"] == "chdb"
    assert set(document["tables"]) == {"schema_migrations", *TABLES}
    assert document["location"] == str(server.data_dir / "warehouse")
    assert "schema_migrations" in cli("warehouse", "tables").stdout


def test_query_json_and_table_output(server, cli) -> None:
    rows = cli("warehouse", "query", "SELECT 1 AS one, 'x y' AS two", "--json", key="key-alice", url=server.url)
    assert rows.code == 0 and rows.json() == [{"one": 1, "two": "x y"}]
    human = cli("warehouse", "query", "SELECT 1 AS one, 'x y' AS two")
    assert human.stdout.splitlines() == ["one  two", "1    x y", "1 row(s)"]


def test_bad_sql_is_one_json_error_document(server, cli) -> None:
    result = cli("warehouse", "query", "SELEC 1", "--json", key="key-alice", url=server.url)
    assert result.code == 1
    document = result.json()
    assert document["ok"] is False and document["error_type"] == "QueryRefusedError" and "SELEC" in document["error"]


@pytest.mark.parametrize("key", ["key-bob", "key-bot", "key-carol"])
def test_only_operators_read_the_warehouse(server, cli, key: str) -> None:
    result = cli("warehouse", "tables", "--json", key=key, url=server.url)
    assert result.code == 1 and result.json()["error_type"] == "Forbidden" and "operator" in result.json()["error"]
