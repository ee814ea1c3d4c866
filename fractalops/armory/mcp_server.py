"""`mcp_server` assets: an MCP server whose tools a chat-model asset may use, and how each of its tools is governed.

An Armory entry::

    - asset_id: tickets.mcp
      kind: mcp_server
      transport: stdio                      # or streamable_http, with `url:` instead of `command:`
      command: ["node", "/srv/tickets/server.js"]
      env: {TICKETS_DB: /srv/tickets.db}
      secrets: {TICKETS_TOKEN: openbao://kv/fractalops/tickets#token}
      tools: {create_ticket: mutate, lookup: read}    # optional: overrides the server's own annotations
      approval_class: {create_ticket: elevated}       # optional: raises a tool's `tool_call` class, never lowers it
      tool_prefix: tickets_                           # optional: the model then sees `tickets_lookup`
      timeout_s: 60                                   # connect and per-call limit (default 60 for this kind)

`command` is an argv list (`{python}` stands for the server's own interpreter); the process gets only the host
variables named in `env_allow`, `env`, and `secrets` resolved at the boundary. A chat-model asset lists it in its own
`tools: [tickets.mcp]`. Each tool is `read` or `mutate`: the Armory's `tools:`
override, else the server's MCP annotation (`readOnlyHint: true` → read), else mutate. A read tool runs inside the
agent loop; a mutate tool's call becomes a `tool_call` proposal that relay executes at most once after approval.

What can be checked without starting the server is checked when the Armory loads (transport and its fields, override
values, classes, two assets naming the same tool); the rest (an override naming a tool the server does not offer, two
servers offering the same tool name) when the server is first connected (`fractalops.adapters.mcp_catalog`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from fractalops.armory.classes import ApprovalClass, class_rank
from fractalops.errors import ConfigError

__all__ = [
    "MCP_SERVER",
    "MCP_TRANSPORTS",
    "ToolPolicy",
    "TOOL_POLICIES",
    "McpTransport",
    "check_mcp_fields",
    "check_tool_references",
    "exposed_name",
    "declared_class",
]

MCP_SERVER = "mcp_server"
"""The asset kind."""
McpTransport = Literal["stdio", "streamable_http"]
MCP_TRANSPORTS: tuple[str, ...] = ("stdio", "streamable_http")
ToolPolicy = Literal["read", "mutate"]
TOOL_POLICIES: tuple[str, ...] = ("read", "mutate")
DEFAULT_TIMEOUT_S = 60.0
"""An MCP server's connect and per-call limit when the entry names none (a hung server must not hold a run for the
900 s a CLI build may take)."""
_MCP_ONLY = ("transport", "url", "approval_class", "tool_prefix")
_TOOL_LISTS = ("chat_model",)
"""Kinds whose `tools:` is a list of MCP asset ids (the model's tools); an `mcp_server`'s is a name → policy map."""
_UNKNOWN_ASSET_CLASS = ApprovalClass.ELEVATED
"""The class of a `tool_call` whose asset the Armory no longer declares: not judged, so raised (as an unknown risk)."""


def exposed_name(asset: Any, tool: str) -> str:
    """The name the model sees for `tool` of `asset`: the server's own name, after the asset's `tool_prefix`."""
    return f"{getattr(asset, 'tool_prefix', '') or ''}{tool}"


def _check_transport(asset: Any) -> None:
    if asset.transport is None:
        raise ValueError("an mcp_server asset needs `transport: stdio` (with `command`) or "
                         "`transport: streamable_http` (with `url`)")
    if asset.transport == "stdio":
        if not asset.command:
            raise ValueError("a stdio mcp_server needs a `command` (argv list, e.g. [\"node\", \"/srv/server.js\"])")
        if asset.url:
            raise ValueError("a stdio mcp_server takes a `command`, not a `url` (use transport: streamable_http)")
        return
    if not asset.url.startswith(("http://", "https://")):
        raise ValueError(f"a streamable_http mcp_server needs an http(s) `url`, got {asset.url!r}")
    given = [name for name in ("command", "env", "secrets") if getattr(asset, name)]
    if given:
        raise ValueError(f"a streamable_http mcp_server is reached at its `url`; {', '.join(given)} only apply "
                         "to transport stdio (the process the Armory starts)")


def _check_tools(asset: Any) -> None:
    if not isinstance(asset.tools, Mapping):
        raise ValueError("an mcp_server's `tools` maps a tool name to read or mutate, e.g. {lookup: read}")
    for name, policy in asset.tools.items():
        if not name:
            raise ValueError("tools: a tool name may not be empty")
        if policy not in TOOL_POLICIES:
            raise ValueError(f"tools.{name}: {policy!r} is not a tool policy; use read or mutate")
    for name, approval_class in asset.approval_class.items():
        if class_rank(approval_class) <= class_rank(ApprovalClass.STANDARD):
            raise ValueError(f"approval_class.{name}: {approval_class} would not raise a tool_call above its default "
                             "standard; approval_class only raises (use elevated or restricted, or drop the entry)")
        if asset.tools.get(name) == "read":
            raise ValueError(f"approval_class.{name}: {name} is overridden as read, so it runs without a proposal "
                             "and no class applies; make it mutate or drop the approval_class entry")


def check_mcp_fields(asset: Any) -> None:
    """Raise `ValueError` (reported by the Armory with the file and entry) for fields that do not fit `asset.kind`."""
    if asset.kind == MCP_SERVER:
        _check_transport(asset)
        _check_tools(asset)
        if asset.tool_prefix and not asset.tool_prefix[0].isalpha():
            raise ValueError(f"tool_prefix {asset.tool_prefix!r} must start with a letter")
        return
    given = [name for name in _MCP_ONLY if name in asset.model_fields_set]
    if given:
        raise ValueError(f"{', '.join(given)} only apply to kind mcp_server, not {asset.kind}")
    if asset.tools and (asset.kind not in _TOOL_LISTS or not isinstance(asset.tools, list)):
        what = "a list of mcp_server asset ids" if asset.kind in _TOOL_LISTS else "not taken by this kind"
        raise ValueError(f"tools: {what} (only chat_model assets list MCP servers, only mcp_server assets map "
                         f"tool policies), got {type(asset.tools).__name__} on a {asset.kind} asset")


def _declared_names(asset: Any) -> set[str]:
    return {exposed_name(asset, name) for name in [*asset.tools, *asset.approval_class]}


def check_tool_references(source: Path, assets: Iterable[Any]) -> None:
    """Armory-wide checks: a `tools:` list names existing `mcp_server` assets, and no two MCP assets declare the same
    (prefixed) tool name. `ConfigError` naming the file and both entries."""
    assets = list(assets)
    by_id = {a.asset_id: a for a in assets}
    servers = [a.asset_id for a in assets if a.kind == MCP_SERVER]
    for asset in assets:
        if asset.kind == MCP_SERVER or not isinstance(asset.tools, list):
            continue
        for asset_id in asset.tools:
            target = by_id.get(asset_id)
            if target is None or target.kind != MCP_SERVER:
                what = "is not declared" if target is None else f"is a {target.kind} asset, not an mcp_server"
                raise ConfigError(f"armory file {source}: asset {asset.asset_id!r} lists tools from {asset_id!r}, "
                                  f"which {what}; mcp_server assets: {', '.join(servers) or '(none)'}")
    owner: dict[str, str] = {}
    for asset in assets:
        if asset.kind != MCP_SERVER:
            continue
        for name in sorted(_declared_names(asset)):
            if name in owner:
                raise ConfigError(f"armory file {source}: assets {owner[name]!r} and {asset.asset_id!r} both offer "
                                  f"a tool named {name!r}; set `tool_prefix` on one of them so the model can tell "
                                  "them apart")
            owner[name] = asset.asset_id


def declared_class(assets: Iterable[Any], kind: str, payload: Mapping[str, Any]) -> str | None:
    """The class the Armory declares for a proposal (a `tool_call`'s `approval_class` entry), or None.

    For the constitution's `declared_class` input, which only ever raises. A `tool_call` whose asset is not (or no
    longer) an `mcp_server` of this Armory is not judged: it gets elevated.
    """
    if kind != "tool_call":
        return None
    asset = next((a for a in assets if a.asset_id == payload.get("asset_id")), None)
    if asset is None or asset.kind != MCP_SERVER:
        return str(_UNKNOWN_ASSET_CLASS)
    found = asset.approval_class.get(str(payload.get("tool", "")))
    return str(found) if found else None
