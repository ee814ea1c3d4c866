"""The agent contract: a small spec plus a function that reads the HUD and its context, never the raw state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fractalops.hud import AgentHUD
from fractalops.identity import Principal
from fractalops.planes.features import FeatureRead
from fractalops.runtime.phases import Phase
from fractalops.runtime.resources import SquadResources
from fractalops.runtime.run_input import RunOptions

__all__ = ["AgentSpec", "AgentContext", "AgentResult", "AgentFn"]


def _unread() -> FeatureRead:
    return FeatureRead.unread("", "", "not read: this context was not made by the step wrapper")


@dataclass(frozen=True)
class AgentContext:
    """What an agent may touch besides the HUD: ids, refs and the planes it writes through."""

    thread_id: str
    """The LangGraph thread this step belongs to."""
    agent: str
    """The squad member running this step (`sentinel`, `gate`, ...)."""
    requester: Principal | None
    """The authenticated identity that launched (or resumed) the run."""
    workspace: str
    """Target workspace (a git repo path) named by the run input, or empty."""
    changes_ref: str
    """Content ref of the run's requested changes (payload store), or empty."""
    phase: Phase
    """The phase this step runs in."""
    run: int
    """Which run of the thread this is (1 for the first launch, +1 for each later launch)."""
    proposal_ids: list[str]
    """Proposals this run produced so far (ids; records live in the Proposal Plane)."""
    bindings: dict[str, str]
    """The thread's agent -> asset bindings (kept across resumes)."""
    packs: list[str]
    """The thread's enabled extension packs."""
    resources: SquadResources
    """Stores under the data dir: proposals, live outbox, payloads, locks."""
    task: str = ""
    """What forge is asked to build this run (atlas's plan, else the full intent)."""
    pack_notes: list[dict[str, Any]] = field(default_factory=list)
    """Recent pack-agent notes on the thread (`agent`, `note`, `run`); the gate shows this run's to the reviewer."""
    gate_note: str = ""
    """Why the previous resume value was refused (the gate and access recovery show it again)."""
    blocked: dict[str, Any] = field(default_factory=dict)
    """What blocked the thread (`at`, `reason`, `missing`), for access recovery."""
    features: FeatureRead = field(default_factory=_unread)
    """This step's FeaturePlane features (this agent, the asset its work runs on, the warehouse), read once per step
    from the online store within its time budget: `features.get("asset.adapter_timeouts_24h")`. What could not be
    read is named in `features.missing`, what is old in `features.stale`; nothing is filled in."""
    emitted: list[dict[str, Any]] = field(default_factory=list)
    announcer: Callable[[str], None] | None = None

    def emit(self, kind: str, text: str, **data: Any) -> None:
        """Queue a `portal_live_events` row; the step wrapper writes it with an idempotency key."""
        self.emitted.append({"kind": kind, "text": text, "data": data})

    def announce(self, signal: str) -> None:
        """Record this step now, before an `interrupt()` stops the node (its replay after resume writes nothing twice)."""
        if self.announcer is not None:
            self.announcer(signal)
        self.emitted.clear()

    def binding(self, agent: str) -> str | None:
        """The asset_id or role `agent` is bound to on this thread (None: the Armory's default binding)."""
        return self.bindings.get(agent)


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
    """Node name in the graph (`atlas`, `sentinel_launch`, `gate`, ...): one agent, one job."""
    pack: str
    """`core` for the squad's own nodes, else the extension pack that brings it (`design`, `ia_pm`, ...)."""
    role: str
    """One line: what this job is."""
    run: AgentFn
    """The deterministic default logic; an asset binding may route the work to a model or CLI instead."""
    agent: str = ""
    """The squad member doing the job (`sentinel` for `sentinel_launch` and `sentinel_review`); default `name`."""
    intake: Callable[[dict[str, Any], AgentContext, RunOptions], dict[str, Any]] | None = None
    """Only for an entry job (atlas, scribe): turn the raw run input into state updates before the HUD is compiled."""

    @property
    def member(self) -> str:
        """The squad member's name (what the HUD's live signal line names)."""
        return self.agent or self.name
