"""The server's Armory as data: its assets, default bindings and the asset kinds it can launch (`GET /armory`).

Readable by every key (`armory` in `server.access.POLICY`): it is what a run may bind, and it holds secret refs,
never secret values.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.adapters.protocol import adapter_kinds
from fractalops.armory import Armory
from fractalops.errors import ConfigError
from fractalops.runtime import squad_resources
from fractalops.server.route_io import failure
from fractalops.server.routing import guarded_route

__all__ = ["routes", "armory_document"]


def armory_document(armory: Armory) -> dict[str, Any]:
    """Every asset (kind, role, ceiling, who may bind it, secret refs; an MCP server's transport, url, tool overrides,
    classes and prefix; a model's tool sources) and every agent's default binding."""
    bindings = {agent: armory.bind(agent).asset_id for agent in sorted(armory.bindings)}
    bound: dict[str, list[str]] = {}
    for agent, asset_id in bindings.items():
        bound.setdefault(asset_id, []).append(agent)
    assets = [{
        "asset_id": a.asset_id, "role": a.role, "kind": a.kind, "ceiling": a.ceiling, "workdir": a.workdir,
        "timeout_s": a.timeout_s, "output_cap_bytes": a.output_cap_bytes, "command": list(a.command),
        "env": dict(a.env), "secrets": dict(a.secrets), "env_allow": list(a.env_allow),
        "allowed_roles": list(a.allowed_roles), "bound_agents": bound.get(a.asset_id, []),
        "tools": a.tools if isinstance(a.tools, list) else dict(a.tools),
        **({"transport": a.transport, "url": a.url, "approval_class": {k: str(v) for k, v in a.approval_class.items()},
            "tool_prefix": a.tool_prefix} if a.kind == "mcp_server" else {}),
        **({"model": a.model, "base_url": a.base_url, "max_steps": a.max_steps,
            "max_output_tokens": a.max_output_tokens} if a.kind == "chat_model" else {}),
    } for a in armory.assets]
    return {"ok": True, "path": str(armory.source), "assets": assets, "bindings": bindings,
            "adapter_kinds": list(adapter_kinds())}


def armory(request: Request) -> JSONResponse:
    try:
        return JSONResponse(armory_document(squad_resources().armory()))
    except ConfigError as exc:
        return failure(500, ConfigError(f"the server's Armory is invalid: {exc}"))


routes = [guarded_route("/armory", armory, "armory")]
"""Mounted by `server.app`."""
