"""`fractalops adapters kinds`: the asset kinds the server has a process adapter for.

Adapters run only inside a squad run, behind the gate: to launch an asset on a task, bind it for a run
(`fractalops run INTENT --bind forge=ASSET --workspace REPO --change PATH=FILE`); its diff becomes a proposal.
"""

from __future__ import annotations

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Process adapters: the asset kinds the server can launch (launch one with `fractalops run --bind`)."""


@app.command("kinds")
def kinds(as_json: JsonFlag = False) -> None:
    """The asset kinds that have a process adapter on the server."""
    names = server().get("/armory")["adapter_kinds"]
    if as_json:
        emit_json({"kinds": names})
        return
    out.table(["kind"], [(name,) for name in names])
