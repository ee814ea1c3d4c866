"""`fractalops armory`: the server's runtime assets (`GET /armory`), or an Armory file checked offline (`--file`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

FileOption = Annotated[Path | None, typer.Option(
    "--file", "-f", metavar="FILE", help="Check this Armory file here, offline, instead of asking the server.")]


def _offline(path: Path) -> dict[str, Any]:
    """Validate an Armory file the user names, without a server (the armory package is imported only here)."""
    from fractalops.armory import load_armory
    from fractalops.errors import FractalOpsError

    try:
        armory = load_armory(path)
    except FractalOpsError as exc:
        raise CliError(str(exc), error_type=type(exc).__name__, path=str(path.resolve())) from None
    return {"ok": True, "path": str(armory.source), "assets": len(armory.assets),
            "bindings": {agent: armory.bind(agent).asset_id for agent in sorted(armory.bindings)}}


@app.command("list")
def list_assets(as_json: JsonFlag = False) -> None:
    """The server's assets with their kind, role, ceiling, who may bind them and the agents bound by default."""
    document = server().get("/armory")
    if as_json:
        emit_json(document["assets"])
        return
    out.table(["asset_id", "role", "kind", "ceiling", "allowed roles", "secret env", "bound agents"],
              [(a["asset_id"], a["role"], a["kind"], a["ceiling"], ", ".join(a["allowed_roles"]),
                ", ".join(a["secrets"]), ", ".join(a["bound_agents"])) for a in document["assets"]],
              title=f"Armory {document['path']}")


@app.command("check")
def check(as_json: JsonFlag = False, file: FileOption = None) -> None:
    """Check the server's Armory (or FILE, offline); exit 1 with the error (file and entry named) when invalid."""
    if file is not None:
        document = _offline(file)
    else:
        served = server().get("/armory")
        document = {"ok": True, "path": served["path"], "assets": len(served["assets"]), "bindings": served["bindings"]}
    if as_json:
        emit_json(document)
        return
    out.echo(f"ok: {document['path']}: {document['assets']} assets; bindings "
             + (", ".join(f"{a} -> {s}" for a, s in document["bindings"].items()) or "(none)"))
