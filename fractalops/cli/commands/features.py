"""`fractalops features show AGENT`: the FeaturePlane features an agent's steps read, through the server.

Operators and reviewers (`GET /features/{agent}`). Each feature is `fresh`, `stale` (older than the server's
freshness bound) or `missing` (not in the online store), and the reason is printed: nothing is filled in.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _value(value: Any, status: str) -> str:
    if status == "missing":
        return "-"
    return "null" if value is None else str(value)


@app.command("show")
def show(
    agent: Annotated[str, typer.Argument(metavar="AGENT", help="A squad or pack agent (forge, ledger, ...).")],
    asset: Annotated[str | None, typer.Option(help="Asset id (default: the asset the agent's work runs on).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print AGENT's features, the asset's, and the warehouse's, each with its freshness."""
    document = server().get(f"/features/{agent}", asset=asset)
    if as_json:
        emit_json(document)
        return
    out.table(["feature", "value", "status"],
              [(row["name"], _value(row["value"], row["status"]), row["status"]) for row in document["features"]],
              title=f"features of agent {document['agent']} and asset {document['asset']}, "
                    f"as of {document['as_of'] or 'never'}")
    if document["reason"]:
        out.echo(document["reason"])
