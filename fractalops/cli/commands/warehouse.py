"""`fractalops warehouse`: row counts and read-only SQL, through the server that owns the warehouse.

The server is the warehouse's single writer (embedded chdb allows one process per path) and migrates it when it
opens it; operators read it through `/warehouse/tables` and `/warehouse/query`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _refused_sql(exc: CliError) -> CliError:
    # The server's answer to bad SQL (400) is the warehouse's own message: report it as a warehouse error.
    if exc.extra.get("status") == 400 and exc.error_type in (None, "HTTPStatusError"):
        return CliError(exc.message, error_type="WarehouseError", **exc.extra)
    return exc


@app.command("query")
def query(sql: Annotated[str, typer.Argument(metavar="SQL", help="Read-only SQL; reads see deduplicated rows (FINAL).")],
          as_json: JsonFlag = False) -> None:
    """Run read-only SQL against the warehouse and print the rows (operator keys only)."""
    try:
        rows = server().post("/warehouse/query", {"sql": sql})["rows"]
    except CliError as exc:
        raise _refused_sql(exc) from None
    if as_json:
        emit_json(rows)
        return
    columns = list(rows[0]) if rows else []
    out.table(columns, [[_cell(v) for v in row.values()] for row in rows])
    out.echo(f"{len(rows)} row(s)")


@app.command("tables")
def tables(as_json: JsonFlag = False) -> None:
    """Row counts (deduplicated) of the warehouse tables and its schema version."""
    document = server().get("/warehouse/tables")
    if as_json:
        emit_json(document)
        return
    out.table(["table", "rows"], [(name, "missing" if count is None else count)
                                  for name, count in document["tables"].items()],
              title=f"warehouse {document['location']} ({document['database']}), schema v{document['schema_version']}")
