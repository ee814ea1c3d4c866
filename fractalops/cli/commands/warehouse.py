"""`fractalops warehouse`: migrate the warehouse schema, run SQL, show table row counts.

With the embedded chdb backend only one process may open the warehouse path; while the LangGraph server runs it
owns the path and these commands fail with a message naming it (stop the server, or set
FRACTALOPS_CLICKHOUSE_URL to use a ClickHouse server that many processes can share).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, NoReturn
from uuid import UUID

import httpx
import typer
from rich.console import Console
from rich.table import Table

from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError, QueryRefusedError, WarehouseError, WarehouseOwnedError
from fractalops.planes.warehouse import MIGRATIONS, ReadScope, Warehouse, check_read_only, open_warehouse

__all__ = ["NAME", "app"]

NAME = "warehouse"
app = typer.Typer(help="The ClickHouse warehouse: events, facts, steward reports, proof facts.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return repr(value)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date | UUID | Decimal):
        return str(_json_default(value))
    return json.dumps(value, default=_json_default)


def _emit(document: Any) -> None:
    typer.echo(json.dumps(document, default=_json_default, sort_keys=False))


class _OwnedByServer(Exception):
    """The embedded warehouse belongs to another process: try reading through the server's portal."""

    def __init__(self, owned: WarehouseOwnedError) -> None:
        super().__init__(str(owned))
        self.owned = owned


@contextmanager
def _opened(as_json: bool, *, server_ok: bool = False) -> Iterator[Warehouse]:
    try:
        warehouse = open_warehouse(migrate=False)
    except WarehouseOwnedError as exc:
        if server_ok:
            raise _OwnedByServer(exc) from None
        fail(exc, as_json)
    except FractalOpsError as exc:
        fail(exc, as_json)
    try:
        yield warehouse
    except FractalOpsError as exc:
        fail(exc, as_json)
    finally:
        warehouse.close()


def _tables_document(warehouse: Warehouse) -> dict[str, Any]:
    return {"ok": True, "backend": warehouse.backend, "location": warehouse.location, "database": warehouse.database,
            "schema_version": warehouse.schema_version(), "tables": warehouse.table_counts()}


def _via_server(owned: _OwnedByServer, path: str, as_json: bool, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read through the server that owns the warehouse; if none answers, report who owns it (and why we asked)."""
    from fractalops.cli.commands._client import sdk
    from fractalops.settings import server_url

    client = sdk()
    try:
        return client.http.post(path, json=body) if body is not None else client.http.get(path)
    except httpx.HTTPStatusError as exc:
        if exc.response.headers.get("content-type", "").startswith("application/json"):
            answer = exc.response.json()
            message = answer.get("error") or exc.response.text
            if answer.get("refused"):
                _refused(QueryRefusedError(answer["refused"], f"the server at {server_url()} refused: {message}"),
                         as_json)
            fail(WarehouseError(f"the server at {server_url()} refused: {message}"), as_json)
        owned.owned.args = (f"{owned.owned}; the server at {server_url()} answered {exc.response.status_code}",)
        fail(owned.owned, as_json)
    except Exception as exc:  # noqa: BLE001 - no server of ours answered for the owner
        owned.owned.args = (f"{owned.owned}; reading through the server at {server_url()} failed too: "
                            f"{str(exc)[:200] or type(exc).__name__}",)
        fail(owned.owned, as_json)


@app.command("migrate")
def migrate(as_json: JsonFlag = False) -> None:
    """Apply pending schema migrations (idempotent)."""
    with _opened(as_json) as warehouse:
        applied = warehouse.migrate()
        version = warehouse.schema_version()
        document = {"ok": True, "backend": warehouse.backend, "location": warehouse.location,
                    "database": warehouse.database, "applied": applied, "schema_version": version,
                    "latest_version": MIGRATIONS[-1].version}
    if as_json:
        _emit(document)
        return
    done = ", ".join(str(v) for v in applied) if applied else "nothing (already up to date)"
    Console().print(f"applied {done}; schema version {version} at {document['location']} ({document['database']})")


def _refused(exc: QueryRefusedError, as_json: bool) -> NoReturn:
    fail(exc, as_json, refused=exc.construct)


# The server that owns the embedded warehouse opens it in database `default`; it checks again with its own scope.
_SERVER_SCOPE = ReadScope.of_warehouse("default")


@app.command("query")
def query(sql: Annotated[str, typer.Argument(help="One SELECT over the warehouse tables; reads see deduplicated "
                                                  "rows (FINAL).")],
          as_json: JsonFlag = False) -> None:
    """Run a read-only SELECT against the warehouse tables and print the rows (writes go through the typed API).

    Anything but a single SELECT (or WITH … SELECT) over the warehouse's own tables is refused before it runs,
    naming the construct refused. While a server owns the embedded warehouse, the query runs there (operator keys
    only), after the same check here and there.
    """
    try:
        with _opened(as_json, server_ok=True) as warehouse:
            try:
                rows = warehouse.read_only_query(sql)
            except QueryRefusedError as exc:
                _refused(exc, as_json)
    except _OwnedByServer as owned:
        try:
            check_read_only(sql, _SERVER_SCOPE)  # never send SQL the check refuses, whatever the server does
        except QueryRefusedError as exc:
            _refused(exc, as_json)
        rows = _via_server(owned, "/warehouse/query", as_json, {"sql": sql})["rows"]
    if as_json:
        _emit(rows)
        return
    table = Table(show_lines=False)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console = Console()
    console.print(table)
    console.print(f"{len(rows)} row(s)")


@app.command("tables")
def tables(as_json: JsonFlag = False) -> None:
    """Row counts (deduplicated) of the warehouse tables; null/'missing' before `migrate`."""
    try:
        with _opened(as_json, server_ok=True) as warehouse:
            document = _tables_document(warehouse)
    except _OwnedByServer as owned:
        document = _via_server(owned, "/warehouse/tables", as_json)
    counts = document["tables"]
    if as_json:
        _emit(document)
        return
    table = Table(title=f"warehouse {document['location']} ({document['database']}), "
                        f"schema v{document['schema_version']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, "missing (run `fractalops warehouse migrate`)" if count is None else str(count))
    Console().print(table)
