"""`fractalops steward run DIR`: the `steward` graph on a thread of its own, on the server that owns the planes.

The run is a normal thread (created, run, joined), so `fractalops threads` lists it as done afterwards, or as
waiting when an unmapped local term became an `ontology_mapping` proposal for a reviewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, call, emit_json, sdk
from fractalops.cli.commands.squad import join, pending_actions

__all__ = ["app", "GRAPH"]

GRAPH = "steward"
app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """RDF steward: datasets, owners, schemas, domain terms and impact paths."""


def _print(result: dict[str, Any], thread_id: str, pending: list[dict[str, Any]]) -> None:
    warehouse = result.get("warehouse") or {}
    out.table(["output", "where"], [
        ("rdf", f"{result['rdf']} ({result['triples']} triples)"),
        ("datahub", f"{result['datahub']} ({result['mcps']} MCPs)"),
        ("warehouse", f"report {warehouse.get('report_id')}, {warehouse.get('events')} events"),
    ], title=f"steward report {result['report_id']} ({result['project']}) on thread {thread_id}")
    for term in result.get("unmapped_terms") or []:
        out.echo(f"unmapped term {term['term']!r} on {term['where']}: {term['reason']}", style="yellow")
    for note in result.get("notes") or []:
        out.echo(f"note {note}", style="dim")
    if pending:
        out.echo(f"{len(pending)} mapping proposal(s) wait for a reviewer: fractalops show {thread_id}, then "
                 f"fractalops approve {thread_id} | reject {thread_id} --message ...")


@app.command("run")
def run(
    project_dir: Annotated[Path, typer.Argument(metavar="DIR", help="Project directory to scan (a path on the "
                                                "server; this machine's path when the server is local).")],
    as_json: JsonFlag = False,
) -> None:
    """Scan DIR on the server: its RDF, DataHub JSON and warehouse rows, as a steward thread you can find later."""
    client = sdk()
    thread_id = call(client.threads.create)["thread_id"]
    created = call(client.runs.create, thread_id, GRAPH, input={"project_dir": str(project_dir.resolve())})
    join(client, thread_id, created["run_id"])
    state = call(client.threads.get_state, thread_id)
    values = state.get("values") or {}
    result = values.get("result")
    if not result:
        hud = call(client.http.get, f"/threads/{thread_id}/hud")
        raise CliError(f"the steward run on thread {thread_id} produced no report: "
                       f"{hud.get('completion_proof') or hud.get('live_signal') or 'see fractalops show ' + thread_id}",
                       error_type="StewardError", thread_id=thread_id)
    pending = pending_actions(state)
    if as_json:
        emit_json({"ok": True, "thread_id": thread_id, **result, "waiting": bool(pending),
                   "pending": [{"name": a["name"], **a["args"]} for a in pending]})
        return
    _print(result, thread_id, pending)
