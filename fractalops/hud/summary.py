"""The thread's compact summary: an O(1)-sized fold of everything that happened, and the HUD's only input."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["ThreadSummary", "new_summary", "observe"]

_TEXT_CAP = 200


class ThreadSummary(TypedDict, total=False):
    """Plain-JSON compact summary kept in thread state; bounded size whatever the history length."""

    intent: str
    route: str
    step: int
    runs: int
    agents_enabled: list[str]
    launch_asset: str
    launch_kind: str
    launch_contract: str
    blocked_on: list[str]
    proposals_total: int
    proposals_pending: int
    proposals_applied: int
    proposals_rejected: int
    last_feedback: str
    last_event: str
    last_agent: str
    proof: dict[str, str]
    events_seen: int
    outcome: str
    """How the current run ended, as one sentence (empty while it runs); the HUD's launch action states it."""
    bindings_note: str
    """Set when a run named other bindings than the thread keeps (operator diagnostics)."""
    features_note: str
    """The latest step's missing or stale features, named with the reason (operator diagnostics; empty when fresh)."""
    cited_feature: dict[str, object]
    """The one feature the HUD cites because it changes the next action (`cite_feature`), or empty."""
    route_note: str
    """Why the run is on the read-only route (the HUD's launch action says it while the run observes)."""
    plan_note: str
    """How atlas's chat model planned the run, or why its plan was not used (operator diagnostics)."""
    model_usage: dict[str, float]
    """What forge's chat model spent in the run: `steps`, `output_tokens`, `elapsed_s` (numbers only)."""


def new_summary(intent: str) -> ThreadSummary:
    return ThreadSummary(
        intent=intent[:_TEXT_CAP * 2],
        route="change",
        step=0,
        runs=0,
        agents_enabled=[],
        launch_asset="",
        launch_kind="native",
        launch_contract="pending",
        blocked_on=[],
        proposals_total=0,
        proposals_pending=0,
        proposals_applied=0,
        proposals_rejected=0,
        last_feedback="",
        last_event="",
        last_agent="",
        proof={},
        events_seen=0,
        outcome="",
        bindings_note="",
        features_note="",
        cited_feature={},
        route_note="",
        plan_note="",
    )


def observe(summary: ThreadSummary, *, agent: str, event: str, **updates: object) -> ThreadSummary:
    """Fold one event into a new summary (the summary never grows with history)."""
    merged = {**summary, **updates}
    merged["last_agent"] = agent
    merged["last_event"] = event[:_TEXT_CAP]
    merged["events_seen"] = int(summary.get("events_seen", 0)) + 1
    merged["step"] = int(summary.get("step", 0)) + 1
    return ThreadSummary(**merged)  # type: ignore[typeddict-item]
