"""`GET /armory/{asset_id}/tools`: an MCP server's tools, each with its read/mutate policy and where that came from.

The server connects to the asset's MCP server (a stdio server is started, with its secrets resolved here, and stopped
again), lists its tools through `langchain-mcp-adapters` and answers with the Armory's reading of each
(`fractalops.adapters.mcp_catalog`). Operators and reviewers may ask (`armory_tools` in `server.access.POLICY`): it
starts a process, and it is what a reviewer needs to judge a `tool_call`. Answers: 404 unknown asset, 422 not an
`mcp_server`, 409 the Armory and the server disagree (an override naming a tool the server lacks) or a secret is
missing, 502 the MCP server failed or timed out.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.adapters.mcp_catalog import list_server_tools
from fractalops.errors import AccessBlockedError, ConfigError, McpServerError, UnknownNameError
from fractalops.runtime import squad_resources
from fractalops.server.route_io import failure
from fractalops.server.routing import guarded_route

__all__ = ["routes", "server_tools"]


def server_tools(asset_id: str) -> tuple[int, dict[str, Any] | Exception]:
    """(status, document or error) for the tools of `asset_id` in the server's Armory."""
    resources = squad_resources()
    try:
        armory = resources.armory()
        asset = armory.asset(asset_id)
    except UnknownNameError as exc:
        return 404, exc
    except ConfigError as exc:
        return 500, ConfigError(f"the server's Armory is invalid: {exc}")
    if asset.kind != "mcp_server":
        servers = ", ".join(a.asset_id for a in armory.mcp_servers()) or "none in this Armory"
        return 422, ConfigError(f"asset {asset_id!r} is a {asset.kind} asset; tools are listed for mcp_server assets "
                                f"({servers})")
    try:
        specs = list_server_tools(asset, secrets_backend=resources.secrets(), where=f"armory file {armory.source}")
    except (ConfigError, AccessBlockedError) as exc:
        return 409, exc
    except McpServerError as exc:
        return 502, exc
    return 200, {"ok": True, "asset_id": asset_id, "transport": asset.transport, "path": str(armory.source),
                 "tools": [spec.to_dict() for spec in specs]}


def armory_tools(request: Request) -> JSONResponse:
    status, answer = server_tools(request.path_params["asset_id"])
    return JSONResponse(answer) if isinstance(answer, dict) else failure(status, answer)


routes = [guarded_route("/armory/{asset_id}/tools", armory_tools, "armory_tools")]
"""Mounted by `server.app` (a sync route: Starlette runs it in its thread pool, off the event loop)."""
