"""`tool_call` proposals: a mutating MCP tool call a model asked for, held until a human approves it.

Payload `{"asset_id", "tool", "arguments"}`: the `mcp_server` asset, the tool's own name on that server (never the
prefixed name the model saw) and the JSON object of arguments. The target is `mcp://<asset_id>`. It is content-hashed
and classed like any proposal; the reviewer may edit `arguments`; relay executes the approved call at most once.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from fractalops.errors import ProposalError
from fractalops.planes.proposals.store import ProposalStore

__all__ = [
    "TOOL_CALL",
    "MAX_ARGUMENTS_BYTES",
    "tool_call_payload",
    "tool_call_target",
    "proposed_message",
    "check_arguments",
    "ToolCallProposer",
]

TOOL_CALL = "tool_call"
"""The proposal kind (and the gate's action request name)."""
MAX_ARGUMENTS_BYTES = 256_000
"""The most JSON bytes a call's arguments may hold (proposed or edited)."""


def tool_call_target(asset_id: str) -> str:
    """What a `tool_call` mutates: the MCP server's asset."""
    return f"mcp://{asset_id}"


def check_arguments(arguments: Any, where: str) -> dict[str, Any]:
    """`arguments` as a JSON object of at most `MAX_ARGUMENTS_BYTES`; `ProposalError` naming `where` otherwise."""
    if not isinstance(arguments, dict):
        raise ProposalError(f"{where}: a tool call's arguments must be a JSON object, got {type(arguments).__name__}")
    try:
        size = len(json.dumps(arguments, sort_keys=True, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise ProposalError(f"{where}: a tool call's arguments must be plain JSON ({exc})") from None
    if size > MAX_ARGUMENTS_BYTES:
        raise ProposalError(f"{where}: a tool call's arguments are {size} bytes of JSON; at most {MAX_ARGUMENTS_BYTES}")
    return arguments


def tool_call_payload(asset_id: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The proposal payload, exactly `{"asset_id", "tool", "arguments"}`."""
    if not asset_id or not tool:
        raise ProposalError(f"a tool call needs an asset_id and a tool name, got {asset_id!r} / {tool!r}")
    return {"asset_id": asset_id, "tool": tool, "arguments": check_arguments(arguments, f"tool {tool!r}")}


def proposed_message(proposal_id: str) -> str:
    """What the model is told for a call that became a proposal."""
    return f"proposed {proposal_id}: waits for approval"


@dataclass
class ToolCallProposer:
    """Creates the `tool_call` proposals of one agent run in the Proposal Plane, and keeps their ids in order.

    Each gets the idempotency key `<run>:tool_call:<n>` (n counts this run's calls), so a replay of the step gets its
    own records back and proposes nothing twice. Thread-safe (a model may call several tools at once).
    """

    store: ProposalStore
    """Where proposals are recorded."""
    thread_id: str
    """The LangGraph thread of the run."""
    author_agent: str
    """The agent the model runs as (e.g. `forge`); its bound chat-model asset's ceiling is the author's."""
    requester: str = ""
    """Who launched the run."""
    run: int = 1
    """Which run of the thread this is (keys stay unique across runs)."""
    proposed: list[str] = field(default_factory=list)
    """Ids created (or found again on replay) by this proposer, in call order."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, *, kind: str = TOOL_CALL, target: str, payload: dict[str, Any], title: str = "") -> str:
        """Record one proposal and return its id (the `propose` callback of a tool run)."""
        if kind != TOOL_CALL:
            raise ProposalError(f"ToolCallProposer records {TOOL_CALL} proposals only, not {kind!r}")
        with self._lock:
            key = f"{self.run}:{TOOL_CALL}:{len(self.proposed) + 1}"
            proposal = self.store.create(thread_id=self.thread_id, author_agent=self.author_agent,
                                         requester=self.requester, kind=kind, target=target, payload=payload,
                                         title=title, idempotency_key=key)
            self.proposed.append(proposal.id)
        return proposal.id
