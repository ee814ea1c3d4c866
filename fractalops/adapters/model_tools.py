"""The tools a model-backed agent gets beyond its own: built from the chat-model asset's `tools:` field.

A model asset lists tool-providing assets (`tools: [tickets.mcp]`). A *tool provider* turns one such entry into
LangChain tools for one run; providers register here, and `mcp_server` entries are served by
`adapters.mcp_tools.mcp_tool_provider` (loaded only when a model lists one). The agent loop calls `model_tools(...)`
once per run, hands the result to the model next to its own tools (forge's Deep Agents file tools), and calls the
run's `closers` when the run ends.

A provider gets a `ToolRun`: who is running (thread, agent, model asset) and two callbacks into the squad: `emit`
(a live-outbox event, for a read call that ran) and `propose` (a proposal for a call that must wait for approval;
it returns the proposal id, and forge puts every id proposed in the run into the same gate batch as its patch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fractalops.errors import ConfigError

__all__ = ["ToolRun", "ToolProvider", "register_tool_provider", "tool_providers", "model_tools"]


@dataclass
class ToolRun:
    """One model-backed run, as a tool provider sees it."""

    thread_id: str
    """The squad thread the run belongs to."""
    agent: str
    """The agent the model runs as (`forge`, `atlas`, a pack agent)."""
    model_asset: Any
    """The `chat_model` RuntimeAsset whose `tools:` named the provider's asset (its ceiling is the author's)."""
    emit: Callable[..., None] = lambda kind, text, **data: None
    """`emit(kind, text, **data)`: a live-outbox event for this step."""
    propose: Callable[..., str] | None = None
    """`propose(kind=..., payload=..., title=...) -> proposal_id`; None where the agent may not propose."""
    proposed: list[str] = field(default_factory=list)
    """Ids proposed during the run, in order (`propose` appends; forge reads them after the loop)."""
    closers: list[Callable[[], None]] = field(default_factory=list)
    """What the agent loop calls once the run ends (a provider's MCP sessions: their stdio servers exit)."""


class ToolProvider(Protocol):
    def __call__(self, asset: Any, run: ToolRun) -> Sequence[Any]:
        """The LangChain tools `asset` (an entry of the model asset's `tools:`) offers in `run`."""
        ...


def _mcp_server_tools(asset: Any, run: ToolRun) -> Sequence[Any]:
    # the MCP SDK loads only when a model lists a server
    from fractalops.adapters.mcp_tools import mcp_tool_provider

    return mcp_tool_provider(asset, run)


_PROVIDERS: dict[str, ToolProvider] = {"mcp_server": _mcp_server_tools}


def register_tool_provider(kind: str, provider: ToolProvider) -> None:
    """Serve `tools:` entries whose asset has this `kind` with `provider` (replaces an earlier one)."""
    _PROVIDERS[kind] = provider


def tool_providers() -> dict[str, ToolProvider]:
    """Kind → provider, as registered."""
    return dict(_PROVIDERS)


def model_tools(model_asset: Any, resolve: Callable[[str], Any], run: ToolRun) -> list[Any]:
    """Every tool the assets in `model_asset.tools` offer, in the order listed.

    `resolve(asset_id)` is the Armory's lookup (unknown ids raise there). An entry whose kind has no provider is a
    `ConfigError` naming both assets, raised before the model is called.
    """
    tools: list[Any] = []
    for asset_id in getattr(model_asset, "tools", None) or []:
        asset = resolve(asset_id)
        provider = _PROVIDERS.get(asset.kind)
        if provider is None:
            raise ConfigError(f"chat model asset {model_asset.asset_id!r} lists tools from {asset_id!r}, a "
                              f"{asset.kind} asset, but no tool provider serves that kind (served: "
                              f"{', '.join(sorted(_PROVIDERS)) or 'none'})")
        tools.extend(provider(asset, run))
    return tools
