"""The step wrapper: turn an `AgentSpec` into a graph node that compiles the HUD, runs the job, records the step.

Every step is recorded the same way, whichever job it is: the compact summary is folded forward, events go to
`portal_live_events` under idempotency keys (a replayed step writes nothing twice), and the thread's
`harness-projection` row is refreshed. The step's closing `step` event carries its `StepData` (asset, failure
family, adapter timeouts, proposals created), which the FeaturePlane aggregates; and every step reads its
features once, within the FeaturePlane's time budget, into `AgentContext.features` (what it could not read is named
in the HUD diagnostics, and at most one feature that changes the next action is cited in the summary).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from fractalops.errors import FractalOpsError
from fractalops.hud import AgentHUD, cite_feature, compile_hud, observe
from fractalops.identity import principal_from_config
from fractalops.planes.features import FeatureRead
from fractalops.planes.live import STEP_KIND
from fractalops.planes.proposals import ProposalStatus
from fractalops.runtime._step_facts import bound_asset, read_features, step_data, work_asset
from fractalops.runtime.phases import Phase, Route
from fractalops.runtime.resources import SquadResources, squad_resources
from fractalops.runtime.run_input import run_options
from fractalops.runtime.spec import AgentContext, AgentResult, AgentSpec

__all__ = ["agent_node", "record_step", "make_context", "thread_id_of", "current_hud"]


def thread_id_of(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id") or "local")


def make_context(state: dict[str, Any], config: RunnableConfig, agent: str) -> AgentContext:
    return AgentContext(
        thread_id=thread_id_of(config),
        agent=agent,
        requester=principal_from_config(config),
        workspace=str(state.get("workspace") or ""),
        changes_ref=str(state.get("changes_ref") or ""),
        phase=Phase(state.get("phase") or Phase.LAUNCH),
        run=int((state.get("summary") or {}).get("runs", 1)),
        proposal_ids=list(state.get("proposal_ids") or []),
        bindings=dict(state.get("bindings") or {}),
        packs=list(state.get("packs") or []),
        resources=squad_resources(),
        task=str(state.get("task") or ""),
        pack_notes=list(state.get("pack_notes") or []),
        gate_note=str(state.get("gate_note") or ""),
        blocked=dict(state.get("blocked") or {}),
    )


def current_hud(state: dict[str, Any]) -> AgentHUD:
    return compile_hud(state["summary"], resumed=bool(state.get("resumed"))).hud


def _status(summary: dict[str, Any], phase: str) -> str:
    if summary.get("route") == Route.ACCESS_RECOVERY:
        return "blocked"
    if summary.get("proposals_pending"):
        return "awaiting_approval"
    return "done" if phase == Phase.DONE else "running"


def _counts(resources: SquadResources, thread_id: str) -> dict[str, int]:
    counts = resources.proposals.counts(thread_id)
    done = (ProposalStatus.APPLIED, ProposalStatus.VISIBLE, ProposalStatus.EVIDENCED)
    return {
        "proposals_total": sum(counts.values()),
        "proposals_pending": counts.get(ProposalStatus.IN_REVIEW, 0),
        "proposals_applied": sum(counts.get(s, 0) for s in done),
        "proposals_rejected": counts.get(ProposalStatus.REJECTED, 0),
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """State stays plain JSON: `Phase`/`Route` members become their string values."""
    return {k: v.value if isinstance(v, Phase | Route) else v for k, v in values.items()}


_NOTE_CAP = 600


def _feature_updates(ctx: AgentContext, route: str) -> dict[str, Any]:
    """The summary's view of this step's features: what could not be used, and the one cited feature."""
    read: FeatureRead = ctx.features
    fresh = {k: v for k, v in read.values.items() if k not in read.stale}
    return {"features_note": read.note()[:_NOTE_CAP],
            "cited_feature": cite_feature(fresh, {"agent": read.agent, "asset": read.asset}, route=route)}


def record_step(state: dict[str, Any], ctx: AgentContext, result: AgentResult, *, asset: str = "",
                first_key: int = 0, failure: str = "") -> dict[str, Any]:
    """Fold the step into the summary, write its live events and projection; return the state update.

    `asset` is what the agent ran on (recorded in the step's `StepData`); `first_key` numbers this record's events
    after those an earlier record of the same step wrote (an announce before `interrupt()`), so a resumed step's
    events get keys of their own while its replayed part writes nothing twice.
    """
    updates = {**_counts(ctx.resources, ctx.thread_id), **_plain(result.summary)}
    route = str(updates.get("route") or state["summary"].get("route") or Route.CHANGE)
    summary = observe(state["summary"], agent=ctx.agent, event=result.signal,
                      **{**_feature_updates(ctx, route), **updates})
    step = int(state["summary"].get("step", 0))
    closing = {"kind": STEP_KIND, "text": result.signal, "data": step_data(ctx, result, asset, failure=failure)}
    events = [
        (f"{ctx.thread_id}:{step}:{ctx.agent}:{first_key + i}", e["kind"], e["text"][:500], e["data"])
        for i, e in enumerate([*ctx.emitted, closing])
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
    return {**_plain(result.state), "summary": dict(summary)}


def _bindings_note(state: dict[str, Any], config: RunnableConfig, runtime: Runtime | None) -> dict[str, Any]:
    """A resume that names other bindings than the thread's: the thread keeps its own, and diagnostics say so."""
    asked = run_options(config, getattr(runtime, "context", None)).bindings
    kept = dict(state.get("bindings") or {})
    if asked is None or asked == kept or not state.get("summary"):
        return {}
    return {"bindings_note": f"this run named bindings {asked}; the thread keeps {kept or 'the Armory defaults'}"}


def agent_node(spec: AgentSpec):
    """The graph node for one job: it sees the HUD and its context, never the raw state."""

    def node(state: dict[str, Any], config: RunnableConfig, runtime: Runtime) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        if spec.intake is not None:
            options = run_options(config, getattr(runtime, "context", None))
            updates = _plain(spec.intake(state, make_context(state, config, spec.member), options))
            updates["summary"] = _plain(updates.get("summary") or {})
            state = {**state, **updates}
        elif note := _bindings_note(state, config, runtime):
            state = {**state, "summary": {**state["summary"], **note}}
        ctx = make_context(state, config, spec.member)
        asset = bound_asset(ctx, spec.member)
        ctx = replace(ctx, features=read_features(ctx, work_asset(ctx, asset)))
        keys = [0]  # events this node execution has recorded so far (their keys stay stable on replay)

        def announce(signal: str) -> None:
            record_step(state, ctx, AgentResult(signal=signal), asset=asset, first_key=keys[0])
            keys[0] += len(ctx.emitted) + 1

        ctx = replace(ctx, announcer=announce)
        try:
            result = spec.run(current_hud(state), ctx)
        except FractalOpsError as exc:  # the run fails as before; the step's failure family is on record first
            record_step(state, ctx, AgentResult(signal=f"failed: {type(exc).__name__}: {exc}"[:240]), asset=asset,
                        first_key=keys[0], failure=type(exc).__name__)
            raise
        recorded = record_step(state, ctx, result, asset=asset, first_key=keys[0])
        if spec.pack != "core":
            # Pack agents run beside sentinel in the same step; only the squad's own jobs fold the summary.
            recorded.pop("summary")
        return {**updates, **recorded}

    node.__name__ = spec.name
    return node
