"""One chdb path per process: sequential re-open of other paths, refusal of concurrent ones, get_warehouse()."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.errors import WarehouseError, WarehouseOwnedError
from fractalops.planes.warehouse import close_warehouse, get_warehouse, open_warehouse, warehouse_dir
from fractalops.planes.warehouse._engine import open_chdb_path


def _one_event(project: str) -> dict:
    return {"event_id": "e1", "ontology_id": "fo:Event", "project": project, "source": "test"}


def test_close_then_open_a_different_path(tmp_path: Path) -> None:
    a = open_warehouse(tmp_path / "a")
    a.insert_events([_one_event("a")])
    a.close()
    assert open_chdb_path() is None
    b = open_warehouse(tmp_path / "b")
    assert b.table_counts()["events"] == 0
    b.close()
    again = open_warehouse(tmp_path / "a")
    assert again.query("SELECT project FROM events") == [{"project": "a"}]
    again.close()


def test_a_second_path_while_one_is_open_is_refused(tmp_path: Path) -> None:
    a = open_warehouse(tmp_path / "a")
    try:
        with pytest.raises(WarehouseOwnedError, match="one path per process"):
            open_warehouse(tmp_path / "b")
        same = open_warehouse(tmp_path / "a", database="other")  # same path: shares the engine
        same.close()
        assert not a.closed and a.table_counts()["events"] == 0
    finally:
        a.close()
    assert open_chdb_path() is None


def test_get_warehouse_is_cached_and_follows_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRACTALOPS_WAREHOUSE_DIR", raising=False)
    monkeypatch.delenv("FRACTALOPS_CLICKHOUSE_URL", raising=False)
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "one"))
    first = get_warehouse()
    assert get_warehouse() is first
    assert first.location == str(tmp_path / "one" / "warehouse")
    first.insert_events([_one_event("one")])
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "two"))
    second = get_warehouse()
    assert first.closed and second is not first
    assert second.location == str(tmp_path / "two" / "warehouse") and second.table_counts()["events"] == 0
    second.close()
    third = get_warehouse()
    assert third is not second and not third.closed
    close_warehouse()
    assert third.closed and open_chdb_path() is None


def test_warehouse_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRACTALOPS_CLICKHOUSE_URL", raising=False)
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRACTALOPS_WAREHOUSE_DIR", str(tmp_path / "shared"))
    assert warehouse_dir() == tmp_path / "shared"
    wh = get_warehouse()
    assert wh.location == str(tmp_path / "shared")
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path / "other-data"))
    assert get_warehouse() is wh  # the shared path did not change
    close_warehouse()


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://warehouse.example/db", "not an http"),
        ("http://default:s3cret@127.0.0.1:1/db", r"cannot open ClickHouse at http://default:\*\*\*@127\.0\.0\.1:1/db"),
    ],
)
def test_server_url_errors_are_warehouse_errors_without_the_password(url: str, match: str) -> None:
    with pytest.raises(WarehouseError, match=match) as info:
        open_warehouse(url=url)
    assert "s3cret" not in str(info.value)


def test_env_url_selects_the_server_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRACTALOPS_CLICKHOUSE_URL", "http://127.0.0.1:1/db")
    with pytest.raises(WarehouseError, match="ClickHouse at http://127.0.0.1:1/db"):
        get_warehouse()
    assert open_chdb_path() is None and not (tmp_path / "warehouse").exists()


def test_odd_characters_in_the_data_dir(tmp_path: Path) -> None:
    odd = tmp_path / "we ird#dir%20"
    with open_warehouse(odd) as wh:
        assert wh.insert_events([_one_event("odd")]) == 1
    assert (odd / "warehouse" / "metadata").is_dir()
    with open_warehouse(odd) as wh:
        assert wh.table_counts()["events"] == 1


def test_question_mark_in_the_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="contains '\\?'"):
        open_warehouse(tmp_path / "a?b")
    assert open_chdb_path() is None and not (tmp_path / "a?b").exists()
