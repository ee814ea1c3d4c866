"""`fractalops connectors`: reconcile what the server's Armory declares with what its secret backend holds."""

from __future__ import annotations

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Connectors between the Armory and its systems of record."""


@app.command("reconcile-ssot")
def reconcile(as_json: JsonFlag = False) -> None:
    """Compare the Armory's secret refs with the backend; exit 1 on drift (missing or unused), 2 on error."""
    try:
        report = server().get("/connectors/reconcile-ssot")
    except CliError as exc:
        exc.code = 2
        raise
    drift = bool(report["missing"] or report["unused"])
    if as_json:
        emit_json({**report, "ok": not drift})
    else:
        declared_by: dict[str, list[str]] = report["declared_by"]
        out.table(["ref", "state", "declared by"],
                  [(ref, state, ", ".join(declared_by.get(ref, [])))
                   for state in ("present", "missing", "unused") for ref in report[state]],
                  title=f"secret refs: {report['armory']} vs the {report['backend']} backend")
        for ref in report["missing"]:
            out.echo(f"fix: fractalops secrets put {ref}  (value on stdin)")
        for ref in report["unused"]:
            out.echo(f"unused: declare {ref} in the Armory or `fractalops secrets delete {ref}`")
    if drift:
        raise typer.Exit(1)
