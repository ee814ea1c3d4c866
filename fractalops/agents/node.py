"""Turn an `AgentSpec` into a squad graph node: compile the HUD, run the agent, record the step.

Every step is recorded the same way, agent or gate: the compact summary is folded forward, events go to
`portal_live_events` under idempotency keys (a replayed step writes nothing twice), and the thread's
`harness-projection` row is refreshed.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from fractalops.agents._resources import SquadResources, squad_resources
from fractalops.agents.registry import check_agent_names, resolve_packs
from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.hud import AgentHUD, compile_hud, observe
from fractalops.identity import principal_from_config
from fractalops.planes.proposals import ProposalStatus

__all__ = ["agent_node", "record_step", "make_context", "thread_id_of", "current_hud"]


def thread_id_of(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id") or "local")


def make_context(state: dict[str, Any], config: RunnableConfig, agent: str) -> AgentContext:
    configurable = dict(config.get("configurable") or {})
    configurable["packs_resolved"] = resolve_packs(configurable.get("packs"))
    bindings = configurable.get("bindings") or {}
    check_agent_names(bindings if isinstance(bindings, dict) else [], where="configurable.bindings")
    return AgentContext(
        thread_id=thread_id_of(config),
        agent=agent,
        requester=principal_from_config(config),
        workspace=str(state.get("workspace") or ""),
        changes_ref=str(state.get("changes_ref") or ""),
        phase=str(state.get("phase") or "launch"),
        run=int((state.get("summary") or {}).get("runs", 1)),
        proposal_ids=list(state.get("proposal_ids") or []),
        configurable={k: v for k, v in configurable.items() if not k.startswith(("langgraph_", "__"))},
        resources=squad_resources(),
    )


def current_hud(state: dict[str, Any]) -> AgentHUD:
    return compile_hud(state["summary"], resumed=bool(state.get("resumed"))).hud


def _status(summary: dict[str, Any], phase: str) -> str:
    if summary.get("route") == "access_recovery":
        return "blocked"
    if summary.get("proposals_pending"):
        return "awaiting_approval"
    return "done" if phase == "done" else "running"


def _counts(resources: SquadResources, thread_id: str) -> dict[str, int]:
    counts = resources.proposals.counts(thread_id)
    done = (ProposalStatus.APPLIED, ProposalStatus.VISIBLE, ProposalStatus.EVIDENCED)
    return {
        "proposals_total": sum(counts.values()),
        "proposals_pending": counts.get(ProposalStatus.IN_REVIEW, 0),
        "proposals_applied": sum(counts.get(s, 0) for s in done),
        "proposals_rejected": counts.get(ProposalStatus.REJECTED, 0),
    }


def record_step(state: dict[str, Any], ctx: AgentContext, result: AgentResult) -> dict[str, Any]:
    """Fold the step into the summary, write its live events and projection; return the state update."""
    summary = observe(state["summary"], agent=ctx.agent, event=result.signal,
                      **{**_counts(ctx.resources, ctx.thread_id), **result.summary})
    step = int(state["summary"].get("step", 0))
    events = [
        (f"{ctx.thread_id}:{step}:{ctx.agent}:{i}", e["kind"], e["text"][:500], e["data"])
        for i, e in enumerate([*ctx.emitted, {"kind": "step", "text": result.signal, "data": {}}])
    ]
    compiled = compile_hud(summary, resumed=bool(state.get("resumed")))
    phase = str(result.state.get("phase") or state.get("phase") or "")
    ctx.resources.outbox.record(thread_id=ctx.thread_id, agent=ctx.agent, events=events, projection={
        "owner": ctx.requester.identity if ctx.requester else "local",
        "status": _status(dict(summary), phase),
        "current_agent": ctx.agent,
        "pending_approvals": int(summary.get("proposals_pending", 0)),
        "live_signal": compiled.hud.live_signal,
        "hud": compiled.hud.model_dump(),
        "diagnostics": compiled.diagnostics.model_dump(),
    })
    return {**result.state, "summary": dict(summary)}


def agent_node(spec: AgentSpec):
    """The graph node for one agent: it sees the HUD and its context, never the raw state."""

    def node(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        if spec.intake is not None:
            updates = spec.intake(state, make_context(state, config, spec.name))
            state = {**state, **updates}
        ctx = make_context(state, config, spec.name)
        result = spec.run(current_hud(state), ctx)
        recorded = record_step(state, ctx, result)
        if spec.pack != "core":
            # Pack agents run beside sentinel in the same step; only Core-8 folds the summary.
            recorded.pop("summary")
        return {**updates, **recorded}

    node.__name__ = spec.name
    return node
