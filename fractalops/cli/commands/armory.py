"""`fractalops armory`: list and check the runtime assets of the Armory file (`FRACTALOPS_ARMORY`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fractalops.armory.assets import Armory, armory_path, load_armory
from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError

__all__ = ["NAME", "app"]

NAME = "armory"
app = typer.Typer(help="Runtime assets agents bind to (the Armory file).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]
FileOption = Annotated[
    Path | None, typer.Option("--file", "-f", help="Armory file (default: $FRACTALOPS_ARMORY or the packaged one).")
]


def _asset_rows(armory: Armory) -> list[dict[str, Any]]:
    bound: dict[str, list[str]] = {}
    for agent in sorted(armory.bindings):
        bound.setdefault(armory.bind(agent).asset_id, []).append(agent)
    return [
        {
            "asset_id": asset.asset_id,
            "role": asset.role,
            "kind": asset.kind,
            "ceiling": asset.ceiling,
            "workdir": asset.workdir,
            "timeout_s": asset.timeout_s,
            "output_cap_bytes": asset.output_cap_bytes,
            "command": list(asset.command),
            "env": dict(asset.env),
            "secrets": dict(asset.secrets),
            "env_allow": list(asset.env_allow),
            "bound_agents": bound.get(asset.asset_id, []),
        }
        for asset in armory.assets
    ]


def _load_or_exit(path: Path | None, as_json: bool) -> Armory:
    try:
        return load_armory(path)
    except FractalOpsError as exc:
        fail(exc, as_json, path=str(armory_path(path)))


@app.command("list")
def list_assets(as_json: JsonFlag = False, file: FileOption = None) -> None:
    """List the assets with their kind, role, ceiling and the agents bound to them by default."""
    armory = _load_or_exit(file, as_json)
    rows = _asset_rows(armory)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(title=f"Armory {armory.source}")
    for column in ("asset_id", "role", "kind", "ceiling"):
        table.add_column(column, no_wrap=True)
    table.add_column("secret env", overflow="fold")
    table.add_column("bound agents", overflow="fold")
    for row in rows:
        table.add_row(row["asset_id"], row["role"], row["kind"], row["ceiling"],
                      ", ".join(row["secrets"]), ", ".join(row["bound_agents"]))
    Console().print(table)


@app.command("check")
def check(as_json: JsonFlag = False, file: FileOption = None) -> None:
    """Validate the Armory file; exit 1 with the error (file and entry named) when it is invalid."""
    armory = _load_or_exit(file, as_json)
    bindings = {agent: armory.bind(agent).asset_id for agent in sorted(armory.bindings)}
    if as_json:
        typer.echo(json.dumps({"ok": True, "path": str(armory.source), "assets": len(armory.assets),
                               "bindings": bindings}))
        return
    typer.echo(f"ok: {armory.source}: {len(armory.assets)} assets; bindings "
               + (", ".join(f"{a} -> {s}" for a, s in bindings.items()) or "(none)"))
