"""What an `mcp_server` asset offers: each tool with its read/mutate policy and where that policy came from.

A tool is `read` or `mutate`: the Armory's `tools:` override (`override`), else the server's MCP annotation
(`readOnlyHint: true` → read, `false` → mutate: `annotation`), else mutate (`default`). The tools are listed with
`langchain-mcp-adapters` (`load_mcp_tools`) over an `McpSession`; what only a live server can tell is checked here,
when it is first connected: an override or `approval_class` naming a tool the server does not offer, and two assets
of one model offering the same (prefixed) name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fractalops.adapters.mcp_session import McpEndpoint, McpSession
from fractalops.armory.mcp_server import exposed_name
from fractalops.errors import ConfigError

__all__ = ["PolicySource", "McpToolSpec", "tool_policy", "tool_specs", "check_unique", "load_tools", "list_server_tools"]

PolicySource = Literal["override", "annotation", "default"]


@dataclass(frozen=True)
class McpToolSpec:
    """One tool of one MCP server as the Armory governs it."""

    asset_id: str
    """The `mcp_server` asset offering it."""
    name: str
    """The server's own name for it (what the server is called with, and the gate's `args.tool`)."""
    exposed_name: str
    """The name the model sees: `name` after the asset's `tool_prefix`."""
    policy: str
    """`read` (runs inside the agent loop) or `mutate` (becomes a `tool_call` proposal)."""
    source: PolicySource
    """Where `policy` came from: the Armory's `override`, the server's `annotation`, or the `default` (mutate)."""
    approval_class: str = ""
    """For a mutate tool, the least class of its proposals (`standard` unless the asset declares a higher one)."""
    description: str = ""
    """The server's description of the tool."""
    input_schema: dict[str, Any] = field(default_factory=dict)
    """The tool's JSON Schema for its arguments, as the server declares it."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tool_policy(asset: Any, name: str, annotations: dict[str, Any] | None) -> tuple[str, PolicySource]:
    """(policy, source) of tool `name` of `asset`, given the server's annotations for it."""
    override = asset.tools.get(name) if isinstance(asset.tools, dict) else None
    if override:
        return override, "override"
    hint = (annotations or {}).get("readOnlyHint")
    if hint is True:
        return "read", "annotation"
    if hint is False:
        return "mutate", "annotation"
    return "mutate", "default"


def _annotations(tool: Any) -> dict[str, Any]:
    metadata = getattr(tool, "metadata", None) or {}
    return {k: v for k, v in metadata.items() if k != "_meta"}


def tool_specs(asset: Any, tools: Sequence[Any], where: str = "the Armory") -> list[McpToolSpec]:
    """The governed view of `tools` (LangChain tools from `load_mcp_tools`) of `asset`.

    `ConfigError` naming the entry when the asset's `tools:` or `approval_class:` names a tool the server does not
    offer (a typo there would otherwise silently leave a tool on its default).
    """
    offered = [tool.name for tool in tools]
    named = [*(asset.tools if isinstance(asset.tools, dict) else {}), *asset.approval_class]
    unknown = sorted(set(named) - set(offered))
    if unknown:
        raise ConfigError(f"{where}: asset {asset.asset_id!r} (mcp_server) names tool(s) {', '.join(unknown)} in "
                          f"`tools:`/`approval_class:`, which its server does not offer; it offers: "
                          f"{', '.join(sorted(offered)) or '(none)'}")
    specs = []
    for tool in tools:
        policy, source = tool_policy(asset, tool.name, _annotations(tool))
        declared = asset.approval_class.get(tool.name)
        if declared and policy == "read":
            raise ConfigError(f"{where}: asset {asset.asset_id!r} sets approval_class for {tool.name!r}, which its "
                              f"server annotates read-only, so it runs without a proposal; override it as mutate "
                              "(`tools: {" + tool.name + ": mutate}`) or drop the approval_class entry")
        schema = tool.args_schema if isinstance(tool.args_schema, dict) else {}
        specs.append(McpToolSpec(asset_id=asset.asset_id, name=tool.name, exposed_name=exposed_name(asset, tool.name),
                                 policy=policy, source=source,
                                 approval_class=(str(declared) if declared else "standard") if policy == "mutate" else "",
                                 description=tool.description or "", input_schema=dict(schema)))
    return specs


def check_unique(specs: Iterable[McpToolSpec]) -> None:
    """`ConfigError` naming both assets when two of them offer the model the same tool name."""
    owner: dict[str, str] = {}
    for spec in specs:
        first = owner.setdefault(spec.exposed_name, spec.asset_id)
        if first != spec.asset_id:
            raise ConfigError(f"assets {first!r} and {spec.asset_id!r} both offer a tool named {spec.exposed_name!r}; "
                              "set `tool_prefix` on one of them in the Armory so the model can tell them apart")


async def load_tools(session: McpSession, asset: Any, where: str = "the Armory") -> tuple[list[Any], list[McpToolSpec]]:
    """The adapters' LangChain tools of the server behind `session` (bound to it) and their governed specs."""
    from langchain_mcp_adapters.tools import load_mcp_tools

    tools = await load_mcp_tools(session, server_name=asset.asset_id)  # type: ignore[arg-type]
    return tools, tool_specs(asset, tools, where)


def list_server_tools(asset: Any, *, secrets_backend: Any = None, where: str = "the Armory") -> list[McpToolSpec]:
    """Connect to `asset`'s server, list its tools with their policies, disconnect."""
    with McpSession(McpEndpoint.for_asset(asset, secrets_backend)) as session:
        return session.run(load_tools(session, asset, where))[1]
