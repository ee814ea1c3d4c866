"""`fractalops armory`: the server's runtime assets (`GET /armory`), an MCP server's tools (`GET /armory/<id>/tools`),
or an Armory file checked offline (`--file`)."""

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


def _details(asset: dict[str, Any]) -> str:
    """What a model or MCP asset reaches: the model id, its endpoint and tool sources, or the MCP transport and
    endpoint."""
    if asset["kind"] == "mcp_server":
        where = asset.get("url") or " ".join(asset["command"])
        prefix = f"; names prefixed {asset['tool_prefix']}" if asset.get("tool_prefix") else ""
        overrides = f"; overrides {', '.join(f'{k}={v}' for k, v in asset['tools'].items())}" if asset.get("tools") else ""
        return f"{asset.get('transport')}: {where}{prefix}{overrides}"
    if asset["kind"] == "chat_model":
        at = f" at {asset['base_url']}" if asset.get("base_url") else ""
        tools = f"; tools from {', '.join(asset['tools'])}" if asset.get("tools") else ""
        return f"{asset.get('model', '')}{at}{tools}"
    return ""


@app.command("list")
def list_assets(as_json: JsonFlag = False) -> None:
    """The server's assets with their kind, role, ceiling, who may bind them and the agents bound by default (chat
    models with their model and tool sources, MCP servers with their transport)."""
    document = server().get("/armory")
    if as_json:
        emit_json(document["assets"])
        return
    out.table(["asset_id", "role", "kind", "ceiling", "allowed roles", "secret env", "bound agents", "details"],
              [(a["asset_id"], a["role"] or "-", a["kind"], a["ceiling"], ", ".join(a["allowed_roles"]),
                ", ".join(a["secrets"]), ", ".join(a["bound_agents"]), _details(a)) for a in document["assets"]],
              title=f"Armory {document['path']}")


@app.command("tools")
def tools(asset_id: Annotated[str, typer.Argument(help="An mcp_server asset of the server's Armory.")],
          as_json: JsonFlag = False) -> None:
    """An MCP server's tools as the Armory governs them: read (runs in the agent loop) or mutate (a tool_call
    proposal), where that came from (override, annotation, default) and a mutate tool's approval class. The server
    connects to the MCP server to list them."""
    from urllib.parse import quote

    document = server().get(f"/armory/{quote(asset_id, safe='')}/tools")
    if as_json:
        emit_json(document)
        return
    out.table(["tool", "policy", "from", "approval class", "description"],
              [(t["exposed_name"] if t["exposed_name"] == t["name"] else f"{t['exposed_name']} ({t['name']})",
                t["policy"], t["source"], t["approval_class"] or "-", t["description"].split("\n", 1)[0])
               for t in document["tools"]],
              title=f"{document['asset_id']} ({document['transport']}) in {document['path']}")


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
