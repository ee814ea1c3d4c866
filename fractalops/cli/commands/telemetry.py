"""`fractalops telemetry`: the intake's counts, its quarantine, mapping unknown names, and replaying what waited.

All through the server that owns the intake (operator keys): `stats` (`/telemetry/stats`), `quarantine` and
`quarantine show RAW_REF` (`/telemetry/quarantine[/raw]`), `replay-quarantine` (`/telemetry/replay-quarantine`), and
`map`, which runs the `telemetry_mapping` graph on a thread of its own: every unknown name becomes an
`ontology_mapping` proposal waiting at the gate (`fractalops approve THREAD`).
"""

from __future__ import annotations

import base64
import sys
from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, call, emit_json, sdk, server

__all__ = ["app", "GRAPH", "COUNT_FIELDS"]

GRAPH = "telemetry_mapping"
COUNT_FIELDS = ("received", "stored", "quarantined", "duplicates", "refused")
app = typer.Typer(no_args_is_help=True)
quarantine_app = typer.Typer()
app.add_typer(quarantine_app, name="quarantine")

ProjectOption = Annotated[str | None, typer.Option("--project", metavar="PROJECT", help="Only this project.")]
SourceOption = Annotated[str | None, typer.Option("--source", metavar="SOURCE",
                                                  help="Only posthog, otel_traces or otel_logs.")]


@app.callback()
def _group() -> None:
    """Telemetry intake: counts, quarantine, mappings for unknown names, replay."""


@app.command("stats")
def stats(project: ProjectOption = None, as_json: JsonFlag = False) -> None:
    """Per source: received = stored + quarantined, duplicates (re-sent, not stored again), refused bodies."""
    document = server().get("/telemetry/stats", project=project)
    if as_json:
        emit_json(document)
        return
    out.table(["source", *COUNT_FIELDS], [[source, *(counts[f] for f in COUNT_FIELDS)]
                                          for source, counts in document.items()],
              title=f"telemetry intake{f' (project {project})' if project else ''}")


@quarantine_app.callback(invoke_without_command=True)
def quarantine(
    ctx: typer.Context,
    source: SourceOption = None,
    project: ProjectOption = None,
    all_items: Annotated[bool, typer.Option("--all", help="Also items a replay already classified.")] = False,
    cursor: Annotated[str | None, typer.Option("--cursor", metavar="CURSOR", help="Continue after this page.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Items per page.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Quarantined events, spans and log records waiting (oldest first); `show RAW_REF` prints one's raw payload."""
    if ctx.invoked_subcommand is not None:
        return
    document = server().get("/telemetry/quarantine", source=source, project=project, cursor=cursor, limit=limit,
                            state="all" if all_items else None)
    if as_json:
        emit_json(document)
        return
    out.table(["received_at", "source", "raw_ref", "reason"],
              [(i["received_at"], i["source"], i["raw_ref"], i["reason"]) for i in document["items"]])
    more = f"; more: --cursor {document['next']}" if document["next"] else ""
    out.echo(f"{len(document['items'])} item(s){more}")


@quarantine_app.command("show")
def show(
    raw_ref: Annotated[str, typer.Argument(metavar="RAW_REF", help="An item's raw_ref (sha256:<hex>).")],
    exact: Annotated[bool, typer.Option("--bytes", help="Write the raw bytes exactly as received (protobuf too).")]
    = False,
    as_json: JsonFlag = False,
) -> None:
    """Print a quarantined item's raw payload (protobuf as OTLP JSON, unless --bytes)."""
    document = server().get("/telemetry/quarantine/raw", ref=raw_ref)
    if as_json:
        emit_json(document)
        return
    if exact:
        sys.stdout.flush()
        sys.stdout.buffer.write(base64.b64decode(document["base64"]))
        sys.stdout.buffer.flush()
        return
    out.raw(document["text"] if document["text"].endswith("\n") else document["text"] + "\n")


@app.command("replay-quarantine")
def replay_quarantine(project: ProjectOption = None, source: SourceOption = None, as_json: JsonFlag = False) -> None:
    """Reclassify what waits in the quarantine (after a mapping for its names was approved and applied)."""
    document = server().post("/telemetry/replay-quarantine", {"project": project, "source": source})
    if as_json:
        emit_json(document)
        return
    out.echo(f"{document['examined']} waiting item(s): {document['classified']} classified into the warehouse, "
             f"{document['still_quarantined']} still quarantined")
    stats_rows = document["stats"]
    out.table(["source", *COUNT_FIELDS], [[s, *(c[f] for f in COUNT_FIELDS)] for s, c in stats_rows.items()])


def _pairs(values: list[str]) -> dict[str, str]:
    mappings: dict[str, str] = {}
    for value in values:
        name, sep, term = value.rpartition("=")
        if not sep or not name or not term:
            raise CliError(f"{value!r} is not NAME=TERM (e.g. 'checkout_done=fo:Purchase')", error_type="UsageError")
        mappings[name] = term
    return mappings


@app.command("map")
def map_names(
    pairs: Annotated[list[str] | None, typer.Argument(metavar="[NAME=TERM]...", help=(
        "Local names and the global terms to map them to (fo:Purchase); none: every unknown name waiting, with "
        "the closest global term as a suggestion a reviewer may edit."))] = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Propose ontology mappings for unknown telemetry names; each waits at the gate for a reviewer."""
    mappings = _pairs(list(pairs or []))
    if mappings and not project:
        raise CliError("name the project the names belong to: --project PROJECT", error_type="UsageError")
    from fractalops.cli.commands.squad import join, pending_actions

    client = sdk()
    thread_id = call(client.threads.create)["thread_id"]
    created = call(client.runs.create, thread_id, GRAPH, input={"project": project, "mappings": mappings or None})
    join(client, thread_id, created["run_id"])
    state = call(client.threads.get_state, thread_id)
    result: dict[str, Any] = (state.get("values") or {}).get("result") or {"proposals": [], "skipped": []}
    pending = pending_actions(state)
    if as_json:
        emit_json({"ok": True, "thread_id": thread_id, **result, "waiting": bool(pending)})
        return
    out.table(["proposal", "project", "name", "global term", "waiting items"],
              [(p["proposal_id"], p["project"], p["local_term"], p["global_iri"], p["waiting"])
               for p in result["proposals"]], title=f"mapping proposals on thread {thread_id}")
    for skip in result["skipped"]:
        out.echo(f"skipped {skip['local_term']!r} ({skip['project']}): {skip['why']}", style="dim")
    if pending:
        out.echo(f"approve with `fractalops approve {thread_id}` (or edit the term in Studio), then run "
                 "`fractalops telemetry replay-quarantine`")
