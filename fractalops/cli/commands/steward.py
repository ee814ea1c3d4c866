"""`fractalops steward`: run the RDF steward on a project directory (RDF + DataHub JSON + warehouse rows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fractalops import settings
from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError
from fractalops.planes.steward.pending import spool_rows
from fractalops.planes.steward.run import StewardRunResult, run_steward

__all__ = ["NAME", "app"]

NAME = "steward"
app = typer.Typer(help="RDF steward: datasets, owners, schemas, domain terms and impact paths.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]


def _warehouse_step(result: StewardRunResult, data_dir: Path, skip: bool) -> dict[str, Any]:
    """Write the rows through `get_warehouse()`; when it cannot be opened, spool them to a file (never lost)."""
    pending = data_dir / "steward" / "pending" / f"{result.report.project}-{result.report.report_id}.json"
    if not skip:
        try:
            from fractalops.planes.warehouse import get_warehouse
        except ImportError:
            message = "warehouse plane not installed"
        else:
            try:
                wh = get_warehouse()
                report_id = wh.record_steward_report(result.summary)
                inserted = wh.insert_events(result.event_rows)
                return {"ok": True, "report_id": report_id, "events": inserted}
            except FractalOpsError as exc:
                message = f"cannot write to the warehouse: {exc}"
    else:
        message = "skipped (--no-warehouse)"
    spool_rows(data_dir, pending.stem, result.summary, result.event_rows)
    return {"ok": False, "message": f"{message}; rows kept in {pending} for the server to ingest",
            "pending": str(pending), "events": len(result.event_rows)}


def _via_server(project_dir: Path) -> dict[str, Any] | None:
    """The server owns the warehouse: run the `steward` graph there (it ingests the spooled rows too)."""
    from fractalops.cli.commands._client import sdk

    try:
        values = sdk().runs.wait(None, "steward", input={"project_dir": str(project_dir.resolve())})
    except Exception:  # noqa: BLE001 - no reachable server: the spool file stays for the next server run
        return None
    return (values or {}).get("result", {}).get("warehouse") if isinstance(values, dict) else None


@app.command("run")
def run(
    project_dir: Annotated[Path, typer.Argument(help="Project directory to scan.")],
    as_json: JsonFlag = False,
    no_warehouse: Annotated[bool, typer.Option("--no-warehouse", help="Do not open the warehouse.")] = False,
) -> None:
    """Scan PROJECT_DIR and write its RDF, DataHub JSON and warehouse rows."""
    data_dir = settings.data_dir()
    try:
        result = run_steward(project_dir, data_dir)
    except FractalOpsError as exc:
        fail(exc, as_json)
    warehouse = _warehouse_step(result, data_dir, no_warehouse)
    if not warehouse["ok"] and not no_warehouse and (served := _via_server(project_dir)):
        warehouse = {**served, "via": "server steward graph"}
    doc = {"ok": True, **result.to_json(), "warehouse": warehouse}
    if as_json:
        typer.echo(json.dumps(doc))
        return
    console = Console()
    table = Table(title=f"steward report {result.report.report_id} ({result.report.project})")
    table.add_column("output")
    table.add_column("where")
    table.add_row("rdf", f"{doc['rdf']} ({result.triples} triples)")
    table.add_row("datahub", f"{doc['datahub']} ({result.mcps} MCPs)")
    table.add_row("warehouse", f"report {warehouse['report_id']}, {warehouse['events']} events" if warehouse["ok"]
                  else warehouse["message"])
    console.print(table)
    for t in result.report.unmapped_terms:
        console.print(f"[yellow]unmapped term[/] {t.term!r} on {t.where}: {t.reason}")
    for note in result.report.notes:
        console.print(f"[dim]note[/] {note}")
