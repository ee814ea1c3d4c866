"""Client construction for both backends and the process's one embedded (chdb) engine path.

chdb hosts one engine path per process (a different path while a client is open is refused by chdb itself) and
one process per path (its `status` file lock, with an unhelpful message). We check both first so the caller gets
a `WarehouseOwnedError` that says who owns what and what to do.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import chdb
import clickhouse_connect
from clickhouse_connect.driver.binding import quote_identifier
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, ProgrammingError
from clickhouse_connect.driver.insert import InsertContext
from clickhouse_connect.driver.transform import NativeTransform

from fractalops.errors import WarehouseError, WarehouseOwnedError
from fractalops.planes.warehouse._lock import OwnerLock

__all__ = ["Access", "ChdbInserts", "lease_chdb_path", "open_chdb_client", "open_server_client", "open_chdb_path",
           "redact_url"]

_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass
class _Engine:
    path: str
    lock: OwnerLock
    leases: int = 0


_state = threading.Lock()
_engine: _Engine | None = None


def open_chdb_path() -> str | None:
    """The embedded warehouse path this process has open, if any."""
    with _state:
        return _engine.path if _engine else None


def lease_chdb_path(path: Path) -> Callable[[], None]:
    """Reserve this process's chdb engine for `path` (taking the owner lock); returns the release function."""
    global _engine
    if "?" in str(path):
        raise WarehouseError(
            f"embedded warehouse path {path} contains '?', which chdb reads as the start of engine options; "
            f"choose a data dir without '?' (FRACTALOPS_DATA_DIR or FRACTALOPS_WAREHOUSE_DIR)"
        )
    real = os.path.realpath(path)
    with _state:
        if _engine is not None and _engine.path != real:
            raise WarehouseOwnedError(
                f"cannot open the embedded warehouse at {real}: this process already has {_engine.path} open and "
                f"chdb hosts one path per process. Close that warehouse first (Warehouse.close() or "
                f"close_warehouse()), or share one path via FRACTALOPS_WAREHOUSE_DIR.",
                path=real,
                owner_pid=os.getpid(),
            )
        if _engine is None:
            lock = OwnerLock(Path(real))
            lock.acquire()
            _engine = _Engine(real, lock)
        _engine.leases += 1
        engine = _engine
    released = False

    def release() -> None:
        global _engine
        nonlocal released
        with _state:
            if released:
                return
            released = True
            engine.leases -= 1
            if engine.leases == 0:
                engine.lock.release()
                if _engine is engine:
                    _engine = None

    return release


def _check_database(database: str) -> None:
    if not _DATABASE_NAME.match(database):
        raise WarehouseError(f"invalid warehouse database name {database!r}: use letters, digits and '_' only")


def _connect(what: str, **kwargs: object) -> Client:
    try:
        return clickhouse_connect.get_client(tz_mode="aware", **kwargs)  # type: ignore[arg-type]
    except ClickHouseError as exc:
        text = str(exc)
        if "already initialized with path" in text:
            raise WarehouseOwnedError(
                f"cannot open {what}: chdb in this process was already started on another path ({text}). "
                f"Close every warehouse client first.",
            ) from exc
        raise WarehouseError(f"cannot open {what}: {text}") from exc
    except OSError as exc:
        raise WarehouseError(f"cannot reach {what}: {exc}") from exc


def _with_database(what: str, database: str | None, **kwargs: object) -> Client:
    if not database:
        return _connect(what, **kwargs)
    _check_database(database)
    bootstrap = _connect(what, **kwargs)
    try:
        bootstrap.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        return _connect(what, database=database, **kwargs)
    except ClickHouseError as exc:
        raise WarehouseError(f"cannot create database {database!r} in {what}: {exc}") from exc
    finally:
        bootstrap.close()


Access = Literal["writer", "reader", "operator"]
"""`writer`: writes and DDL. `reader`: the plane's own reads (readonly=2). `operator`: operator SQL (readonly=1)."""

# readonly=2: no writes or DDL, but per-query settings (final=1) stay allowed. readonly=1 also refuses every
# setting change and the table functions (file, url, s3, remote, …: they need CREATE TEMPORARY TABLE); final=1
# comes first so that it is the session's own value (a per-query final=1 is then no change, and allowed).
# Verified with chdb 4.4 (ClickHouse 26.9): it still runs, under readonly=1, the scalar file() and SELECT … INTO OUTFILE (local
# mode ignores user_files_path and writes the file itself), and the harmless table functions numbers(),
# values(), view(), merge(): only the read-only check (read_only.py) refuses those.
_READONLY_SETTINGS: dict[Access, dict[str, int]] = {
    "reader": {"readonly": 2},
    "operator": {"final": 1, "readonly": 1},
}


def _readonly(what: str, database: str | None, access: Access, **kwargs: object) -> Client:
    # A separate client because a per-query readonly on the writer's chdb handle can stick to its session when a
    # query fails.
    return _connect(what, database=database or None, settings=_READONLY_SETTINGS[access], **kwargs)


def open_chdb_client(path: Path, database: str | None, *, access: Access = "writer") -> Client:
    """A clickhouse-connect client on the embedded engine at `path` (call `lease_chdb_path` first).

    The writer creates `database` if missing; open it before the read-only clients.
    """
    path.mkdir(parents=True, exist_ok=True)
    # Same engine as dsn="chdb:///<path>" (verified), but a path kwarg survives '#' and '%' in directory names.
    what, where = f"the embedded warehouse at {path}", {"interface": "chdb", "path": os.path.realpath(path)}
    if access == "writer":
        return _with_database(what, database, **where)
    return _readonly(what, database, access, **where)


_ONE_THREAD = "max_threads = 1, max_insert_threads = 1"


class ChdbInserts:
    """The embedded engine's inserts through chdb's own streaming insert (`Connection.send_insert`), on a handle of
    their own.

    clickhouse-connect still checks and encodes each block (Native, from the warehouse's cached `InsertContext`);
    the bytes then go to the engine in memory. clickhouse-connect's chdb backend writes each insert to a temporary
    file and reads it back with `INSERT ... FROM INFILE` instead: measured, 0.5-0.9 ms of a 5-6 ms insert of 1,000
    events. Not thread-safe: the warehouse calls it under its lock. Close it with the warehouse (an open handle
    keeps the engine's path in use)."""

    def __init__(self, path: Path) -> None:
        self._conn = chdb.connect(os.path.realpath(path))
        # Closed at interpreter exit too, like clickhouse-connect's own handles: a handle still open when chdb shuts
        # its engine down makes it complain ("ShutdownTablesThreadPool is not initialized").
        self._close = weakref.finalize(self, self._conn.close)

    def insert(self, database: str, table: str, context: InsertContext, data: list[list[object]], *,
               unique_keys: bool = False) -> None:
        """Insert `data` (as `context` is oriented) into `database`.`table`; `ClickHouseError` for a value the block
        cannot hold, `RuntimeError` (chdb's) for what the engine refuses. Nothing is committed then.

        One engine thread: a block of a few thousand rows gains nothing from more, and each handoff between threads
        costs a wake-up (measured 6.2 -> 5.3 ms per 1,000 events; the same at 20,000). `unique_keys`: the block holds
        each sorting key once (`EventColumns` refuses a repeat), so the engine need not look for rows to replace in
        it (`optimize_on_insert = 0`; 92 -> 78 ms per 20,000 events)."""
        columns = ", ".join(quote_identifier(name) for name in context.column_names)
        settings = _ONE_THREAD + (", optimize_on_insert = 0" if unique_keys else "")
        statement = (f"INSERT INTO {quote_identifier(database)}.{quote_identifier(table)} ({columns}) "
                     f"SETTINGS {settings}")
        http_statement = f"INSERT INTO {context.table} ({columns}) FORMAT Native\n".encode()
        context.data = data
        try:
            with self._conn.send_insert(statement, "Native") as stream:
                for index, chunk in enumerate(NativeTransform.build_insert(context)):
                    if context.insert_exception is not None:  # a column failed to encode: this chunk is garbage
                        failure, context.insert_exception = context.insert_exception, None
                        raise failure
                    if index == 0:  # the first block starts with the statement of clickhouse-connect's HTTP form
                        if not chunk.startswith(http_statement):
                            raise ProgrammingError(f"clickhouse-connect's first block does not start with "
                                                   f"{http_statement[:80]!r}: its Native framing changed")
                        chunk = chunk[len(http_statement):]
                    stream.append(chunk)
                stream.finish()
        finally:
            context.data = None

    def close(self) -> None:
        self._close()


def open_server_client(url: str, database: str | None, *, access: Access = "writer") -> Client:
    """A clickhouse-connect HTTP client for `url` (`http://user:pass@host:8123/db`); see `open_chdb_client`."""
    if not url.startswith(("http://", "https://", "clickhouse://", "clickhouse+http://")):
        raise WarehouseError(
            f"FRACTALOPS_CLICKHOUSE_URL {redact_url(url)!r} is not an http(s) ClickHouse URL; "
            f"expected e.g. http://user:pass@host:8123/db"
        )
    # No server-side session: concurrent queries from the server's threads would collide on one session id.
    what = f"ClickHouse at {redact_url(url)}"
    if access == "writer":
        return _with_database(what, database, dsn=url, autogenerate_session_id=False)
    return _readonly(what, database, access, dsn=url, autogenerate_session_id=False)


def redact_url(url: str) -> str:
    """The URL with any password replaced, for messages."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)
