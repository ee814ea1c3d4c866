"""`fractalops connectors`: reconcile what the Armory declares with what the secret backend holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fractalops.armory.assets import load_armory
from fractalops.armory.secrets import open_secret_backend
from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError

__all__ = ["NAME", "app", "reconcile_ssot"]

NAME = "connectors"
app = typer.Typer(help="Connectors between the Armory and its systems of record.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Connectors between the Armory and its systems of record."""


def reconcile_ssot(armory_file: Path | None = None) -> dict[str, object]:
    """`present` / `missing` / `unused` secret refs (sorted strings) plus which assets declare each ref."""
    armory = load_armory(armory_file)
    backend = open_secret_backend()
    declared: dict[str, list[str]] = {}
    for asset in armory.assets:
        for ref in asset.secret_refs():
            declared.setdefault(str(ref), []).append(asset.asset_id)
    held = {str(ref) for ref in backend.list_refs()}
    return {
        "armory": str(armory.source),
        "backend": backend.name,
        "present": sorted(set(declared) & held),
        "missing": sorted(set(declared) - held),
        "unused": sorted(held - set(declared)),
        "declared_by": {ref: sorted(ids) for ref, ids in sorted(declared.items())},
    }


@app.command("reconcile-ssot")
def reconcile(
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")] = False,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Armory file to reconcile.")] = None,
) -> None:
    """Compare the Armory's secret refs with the backend; exit 1 on drift (missing or unused), 2 on error."""
    try:
        report = reconcile_ssot(file)
    except FractalOpsError as exc:
        fail(exc, as_json, 2)
    drift = bool(report["missing"] or report["unused"])
    if as_json:
        typer.echo(json.dumps({**report, "ok": not drift}))
    else:
        table = Table(title=f"secret refs: {report['armory']} vs the {report['backend']} backend")
        table.add_column("ref", overflow="fold")
        table.add_column("state")
        table.add_column("declared by", overflow="fold")
        declared_by: dict[str, list[str]] = report["declared_by"]  # type: ignore[assignment]
        for state in ("present", "missing", "unused"):
            for ref in report[state]:  # type: ignore[attr-defined]
                table.add_row(ref, state, ", ".join(declared_by.get(ref, [])))
        console = Console()
        console.print(table)
        for ref in report["missing"]:  # type: ignore[attr-defined]
            console.print(f"fix: fractalops secrets put {ref}  (value on stdin)", soft_wrap=True)
        for ref in report["unused"]:  # type: ignore[attr-defined]
            console.print(f"unused: declare {ref} in the Armory or `fractalops secrets delete {ref}`", soft_wrap=True)
    if drift:
        raise typer.Exit(1)
