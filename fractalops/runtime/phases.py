"""The squad's state machine as types: the `Route` a thread is on, the `Phase` it is in, and the transitions.

Every node ends by setting `phase` to what must happen next; the graphs route on that value alone, through
`NEXT_NODE`. `TRANSITIONS` lists, per routing node, the phases it may hand over to, so a graph draws exactly those
edges and a node that sets any other phase fails loudly instead of wandering. A new phase is one edit here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fractalops.errors import IllegalPhaseError

__all__ = ["Route", "Phase", "NEXT_NODE", "TRANSITIONS", "next_node", "successors"]


class Route(StrEnum):
    """What kind of work the thread is doing (the HUD's `route` line)."""

    CHANGE = "change"
    """Build a change and propose it."""
    OBSERVE = "observe"
    """Read-only: look at the workspace, mutate nothing."""
    ACCESS_RECOVERY = "access_recovery"
    """Blocked on a missing identity or credential until a human fixes it."""


class Phase(StrEnum):
    """Where the thread is in its flow: each value names the step that runs next."""

    LAUNCH = "launch"
    """atlas has routed; sentinel checks the launch contract."""
    BUILD = "build"
    """mercury dispatches the launch action, forge builds (or observes)."""
    IDENTIFY = "identify"
    """New proposals get their semantic identity (ontos)."""
    CLASSIFY = "classify"
    """sentinel assigns each new proposal its approval class and checks the author's ceiling."""
    REVIEW = "review"
    """The gate interrupts for the batch waiting for human decisions."""
    APPLY = "apply"
    """relay publishes and applies what was approved."""
    LINEAGE = "lineage"
    """ontos records the lineage of every applied proposal."""
    PROVE = "prove"
    """ledger writes Chronicle evidence and the warehouse fact, and decides whether the proof is closed."""
    REPORT = "report"
    """signal states the outcome (HUD line and chat reply)."""
    BLOCKED = "blocked"
    """access_recovery interrupts naming what is missing."""
    DONE = "done"
    """The run is over."""


NEXT_NODE: dict[Phase, str] = {
    Phase.LAUNCH: "sentinel_launch",
    Phase.BUILD: "mercury",
    Phase.IDENTIFY: "ontos_identity",
    Phase.CLASSIFY: "sentinel_review",
    Phase.REVIEW: "gate",
    Phase.APPLY: "relay",
    Phase.LINEAGE: "ontos_lineage",
    Phase.PROVE: "ledger",
    Phase.REPORT: "signal",
    Phase.BLOCKED: "access_recovery",
    Phase.DONE: "__end__",
}
"""The node that runs for each phase (`__end__` is LangGraph's END)."""

TRANSITIONS: dict[str, frozenset[Phase]] = {
    "sentinel_launch": frozenset({Phase.BUILD, Phase.BLOCKED}),
    "forge": frozenset({Phase.IDENTIFY, Phase.LINEAGE, Phase.BLOCKED}),
    "gate": frozenset({Phase.REVIEW, Phase.APPLY}),
    "relay": frozenset({Phase.REVIEW, Phase.LINEAGE}),
    "access_recovery": frozenset({Phase.BLOCKED, Phase.LAUNCH, Phase.BUILD, Phase.PROVE}),
    "scribe": frozenset({Phase.CLASSIFY, Phase.REPORT}),
    "signal_mapping": frozenset({Phase.CLASSIFY, Phase.REPORT}),
}
"""The phases each branching node may set; every other node has one fixed successor."""


def successors(node: str) -> list[str]:
    """The nodes `node` may hand over to, for `add_conditional_edges`' path map."""
    return sorted({NEXT_NODE[p] for p in TRANSITIONS[node]})


def next_node(node: str, state: dict[str, Any]) -> str:
    """Route after `node` on the phase it set."""
    raw = state.get("phase")
    try:
        phase = Phase(raw)
    except ValueError:
        raise IllegalPhaseError(f"{node} set unknown phase {raw!r}; phases: {', '.join(Phase)}") from None
    if phase not in TRANSITIONS[node]:
        allowed = ", ".join(sorted(TRANSITIONS[node]))
        raise IllegalPhaseError(f"{node} may hand over to phases {allowed}, not {phase}")
    return NEXT_NODE[phase]
