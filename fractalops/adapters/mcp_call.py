"""Executing one approved `tool_call`: what relay runs, so that the MCP server sees the call once at most.

`call_tool_once` connects to the asset's server, checks the tool is still offered and that the arguments match its
input schema (else `McpCallRefusedError`: nothing was sent), then calls `before_call()` — relay's durable "started"
marker — and only then sends the call, once, without retrying. A failure before the marker is a plain
`McpServerError` (nothing was sent); after it, `McpServerError(outcome_unknown=True)`: the server may have acted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp import types as mcp_types
from mcp.shared.exceptions import McpError

from fractalops.adapters.mcp_session import McpEndpoint, McpSession
from fractalops.errors import McpCallRefusedError

__all__ = ["ToolCallResult", "call_tool_once"]


@dataclass(frozen=True)
class ToolCallResult:
    """What the server answered to one executed call (secret values redacted)."""

    asset_id: str
    """The `mcp_server` asset called."""
    tool: str
    """The tool's own name."""
    arguments: dict[str, Any]
    """The arguments sent (the approved ones, edits included)."""
    is_error: bool
    """The server reported the call as failed (`isError`): it ran, and said it did not succeed."""
    content: list[dict[str, Any]] = field(default_factory=list)
    """The result's content blocks, as MCP JSON."""
    structured_content: dict[str, Any] | None = None
    """The result's structured content, when the tool declares an output schema."""
    server: dict[str, str] = field(default_factory=dict)
    """The server's `name` and `version`, as it announced them."""
    duration_ms: float = 0.0
    """How long the call took."""

    def evidence(self, proposal_id: str, content_hash: str) -> dict[str, Any]:
        """The evidence document of this execution (stored in the artifact store, referenced from the proposal)."""
        return {"type": "mcp_tool_result", "proposal_id": proposal_id, "content_hash": content_hash,
                "asset_id": self.asset_id, "tool": self.tool, "arguments": self.arguments, "is_error": self.is_error,
                "content": self.content, "structured_content": self.structured_content, "server": self.server,
                "duration_ms": self.duration_ms}


async def _offered(session: McpSession) -> dict[str, Any]:
    tools: dict[str, Any] = {}
    cursor: str | None = None
    for _page in range(1000):
        listed = await session.list_tools(cursor=cursor)
        tools.update({tool.name: tool for tool in listed.tools})
        cursor = listed.nextCursor
        if not cursor:
            break
    return tools


def _check(asset_id: str, tool: str, arguments: dict[str, Any], offered: dict[str, Any]) -> None:
    if tool not in offered:
        raise McpCallRefusedError(f"MCP server {asset_id!r} no longer offers tool {tool!r} (it offers "
                                  f"{', '.join(sorted(offered)) or 'none'}); the approved call was not sent",
                                  asset_id=asset_id)
    schema = offered[tool].inputSchema or {}
    if not schema:
        return
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.validators.validator_for(schema)(schema).iter_errors(arguments))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise McpCallRefusedError(f"the arguments approved for {tool!r} of {asset_id!r} do not match its input schema "
                                  f"at {at}: {error.message}; the call was not sent", asset_id=asset_id)


def call_tool_once(asset: Any, tool: str, arguments: dict[str, Any], *, before_call: Callable[[], None],
                   secrets_backend: Any = None) -> ToolCallResult:
    """Send one call of `tool` with `arguments` to `asset`'s server, after `before_call()` has returned."""
    with McpSession(McpEndpoint.for_asset(asset, secrets_backend)) as session:
        _check(asset.asset_id, tool, arguments, session.run(_offered(session)))
        before_call()
        started = time.monotonic()
        try:
            result = session.call(tool, arguments)
        except McpError as exc:  # a JSON-RPC error answer: the server got the call and refused it
            result = mcp_types.CallToolResult(content=[mcp_types.TextContent(type="text", text=str(exc))], isError=True)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        info = session.server_info
        redactor = session.endpoint.redactor
    return ToolCallResult(
        asset_id=asset.asset_id, tool=tool, arguments=arguments, is_error=bool(result.isError),
        content=redactor.redact_obj([block.model_dump(mode="json", exclude_none=True) for block in result.content]),
        structured_content=redactor.redact_obj(result.structuredContent),
        server={"name": info.name, "version": info.version} if info else {}, duration_ms=duration_ms,
    )
