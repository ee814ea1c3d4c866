"""Opening the warehouse: explicit `open_warehouse()` and the process-level cached `get_warehouse()`.

Backend choice: `FRACTALOPS_CLICKHOUSE_URL` (or `url=`) → a ClickHouse server over HTTP; otherwise the embedded
chdb engine at `FRACTALOPS_WAREHOUSE_DIR` (default `<data dir>/warehouse`).

Single writer: chdb hosts one path per process and one process per path, so in a deployment the LangGraph server
process is the only process that opens the embedded warehouse; CLI commands that open it fail with a
`WarehouseOwnedError` naming the server's pid while the server runs. A process may close its warehouse and open a
different path afterwards (verified with chdb 4.4); `get_warehouse()` does this by itself when the configured
location changes, which is what tests with a fresh data dir per test rely on.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fractalops.planes.warehouse._engine import (
    ChdbInserts,
    lease_chdb_path,
    open_chdb_client,
    open_server_client,
    redact_url,
)
from fractalops.planes.warehouse.warehouse import Warehouse
from fractalops.settings import data_dir as settings_data_dir

__all__ = ["open_warehouse", "get_warehouse", "close_warehouse", "warehouse_dir", "clickhouse_url"]


def clickhouse_url() -> str | None:
    """`FRACTALOPS_CLICKHOUSE_URL` if set (selects the server backend)."""
    return os.environ.get("FRACTALOPS_CLICKHOUSE_URL") or None


def warehouse_dir(data_dir: Path | None = None) -> Path:
    """The embedded warehouse directory: `FRACTALOPS_WAREHOUSE_DIR`, else `<data dir>/warehouse`."""
    if data_dir is None and os.environ.get("FRACTALOPS_WAREHOUSE_DIR"):
        return Path(os.environ["FRACTALOPS_WAREHOUSE_DIR"]).expanduser().resolve()
    return (data_dir.expanduser().resolve() if data_dir else settings_data_dir()) / "warehouse"


def open_warehouse(data_dir: Path | None = None, url: str | None = None, *, database: str | None = None,
                   migrate: bool = True) -> Warehouse:
    """Open a new warehouse handle; the caller closes it.

    `url` (or `FRACTALOPS_CLICKHOUSE_URL` when neither argument is given) selects a ClickHouse server; otherwise
    the embedded chdb warehouse under `data_dir` (default: `warehouse_dir()`). `database` isolates tables inside
    one engine or server (created if missing; default: chdb `default` / the URL's database). `migrate` applies
    pending schema migrations. Raises `WarehouseOwnedError` when another process owns the embedded path or this
    process has a different embedded path open, `WarehouseError` when the backend cannot be reached.
    """
    if url is None and data_dir is None:
        url = clickhouse_url()
    if url:
        client = open_server_client(url, database)
        try:
            reader = open_server_client(url, database, access="reader")
        except BaseException:
            client.close()
            raise
        warehouse = Warehouse(client, reader, backend="server", location=redact_url(url),
                              database=database or client.database or "default",
                              open_operator_client=lambda: open_server_client(url, database, access="operator"))
    else:
        path = data_dir.expanduser().resolve() / "warehouse" if data_dir else warehouse_dir()
        release = lease_chdb_path(path)
        try:
            client = open_chdb_client(path, database)
            reader = None
            try:
                reader = open_chdb_client(path, database, access="reader")
                inserts = ChdbInserts(path)
            except BaseException:
                for opened in (reader, client):
                    if opened is not None:
                        opened.close()
                raise
        except BaseException:
            release()
            raise
        warehouse = Warehouse(client, reader, backend="chdb", location=str(path), database=database or "default",
                              on_close=release, inserts=inserts,
                              open_operator_client=lambda: open_chdb_client(path, database, access="operator"))
    if migrate:
        try:
            warehouse.migrate()
        except BaseException:
            warehouse.close()
            raise
    return warehouse


_cache_lock = threading.Lock()
_cached: tuple[str, Warehouse] | None = None


def _configured_key() -> str:
    url = clickhouse_url()
    return f"server:{url}" if url else f"chdb:{warehouse_dir()}"


def get_warehouse() -> Warehouse:
    """The process's shared, migrated warehouse for the current configuration.

    Cached per process. When the configured location changes (another `FRACTALOPS_DATA_DIR`,
    `FRACTALOPS_WAREHOUSE_DIR` or `FRACTALOPS_CLICKHOUSE_URL`) the cached handle is closed and the new location
    opened; a handle that was closed is reopened. Don't close the returned object yourself unless you mean to
    drop the process's warehouse: use `close_warehouse()`.
    """
    global _cached
    key = _configured_key()
    with _cache_lock:
        if _cached is not None:
            cached_key, warehouse = _cached
            if cached_key == key and not warehouse.closed:
                return warehouse
            warehouse.close()
            _cached = None
        warehouse = open_warehouse()
        _cached = (key, warehouse)
        return warehouse


def close_warehouse() -> None:
    """Close the cached `get_warehouse()` handle, if any (releases the embedded path for other processes)."""
    global _cached
    with _cache_lock:
        if _cached is not None:
            _cached[1].close()
            _cached = None
