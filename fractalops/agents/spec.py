"""The agent contract: a small spec plus a node function that reads the HUD, never the raw thread state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fractalops.agents._resources import SquadResources
from fractalops.hud import AgentHUD
from fractalops.identity import Principal

__all__ = ["AgentSpec", "AgentContext", "AgentResult", "AgentFn"]


@dataclass(frozen=True)
class AgentContext:
    """What an agent may touch besides the HUD: ids, refs and the planes it writes through."""

    thread_id: str
    """The LangGraph thread this step belongs to."""
    agent: str
    """The agent running this step."""
    requester: Principal | None
    """The authenticated identity that launched (or resumed) the run."""
    workspace: str
    """Target workspace (a git repo path) named by the run input, or empty."""
    changes_ref: str
    """Content ref of the run's requested changes (payload store), or empty."""
    phase: str
    """Where the squad is in its flow (`launch`, `build`, `review`, `apply`, `prove`, `done`)."""
    run: int
    """Which run of the thread this is (1 for the first launch, +1 for each later launch)."""
    proposal_ids: list[str]
    """Proposals this run produced so far (ids; records live in the Proposal Plane)."""
    configurable: dict[str, Any]
    """The run's `configurable` (packs, bindings); read-only."""
    resources: SquadResources
    """Stores under the data dir: proposals, live outbox, payloads, locks."""
    emitted: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, kind: str, text: str, **data: Any) -> None:
        """Queue a `portal_live_events` row; the node wrapper writes it with an idempotency key."""
        self.emitted.append({"kind": kind, "text": text, "data": data})


@dataclass
class AgentResult:
    signal: str
    """The live signal line for this step (what an operator would say happened)."""
    summary: dict[str, Any] = field(default_factory=dict)
    """Updates to the compact thread summary (the HUD's only input)."""
    state: dict[str, Any] = field(default_factory=dict)
    """Updates to graph state channels (ids, refs, phase, route) — never blobs."""


AgentFn = Callable[[AgentHUD, AgentContext], AgentResult]


@dataclass(frozen=True)
class AgentSpec:
    name: str
    """Node name in the squad graph (`atlas`, `forge`, ...)."""
    pack: str
    """`core` for Core-8, else the extension pack that brings it (`design`, `ia_pm`, `qa_support`, `deep_lineage`)."""
    role: str
    """One line: what the agent is for."""
    run: AgentFn
    """The deterministic default logic; an asset binding may route the work to a model or CLI instead."""
    intake: Callable[[dict[str, Any], AgentContext], dict[str, Any]] | None = None
    """Only for the entry agent (atlas): turn the raw run input into state updates before the HUD is compiled."""
