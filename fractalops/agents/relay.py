"""relay — publish and apply follow-up: applies what was approved exactly once, then makes it visible.

A workspace patch or an ontology mapping is applied idempotently (a replay finds its own commit). A `tool_call` is
an external call that cannot be looked up afterwards, so it is executed **at most once**: relay writes a durable
"started" marker on the proposal before the call leaves, and records the result as evidence (an artifact, whose ref
is the execution record's `commit`, which ledger's Chronicle entry carries). A replay that finds the marker but no
record (a crash between the call and its record) ends the proposal `outcome_unknown` and never calls again; so does
a call that timed out or lost its server. A call the server's tool list refuses (tool gone, edited arguments outside
its input schema) is rejected without being sent.
"""

from __future__ import annotations

from fractalops.errors import ConfigError, McpCallRefusedError, McpServerError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import (
    ApplyOutcome,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    apply_workspace_patch,
    utcnow,
)
from fractalops.planes.proposals.tool_call import TOOL_CALL
from fractalops.planes.proposals.workspace_patch import target_lock
from fractalops.planes.semantics import TermMap
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["SPEC"]

_S = ProposalStatus


def _apply_mapping(ctx: AgentContext, p: Proposal) -> ApplyOutcome:
    """An approved `ontology_mapping`: the local term becomes reusable knowledge (re-validated on apply)."""
    content = p.payload["content"]
    with target_lock(ctx.resources.lock_dir, p.target):
        iri = TermMap(content["project"], semantics=ctx.resources.semantics()).apply_mapping(p.payload)
    return ApplyOutcome("applied", commit=f"{p.target}#{content['local_term']}={iri}")


def _apply(ctx: AgentContext, p: Proposal) -> ApplyOutcome:
    if p.kind == "ontology_mapping":
        return _apply_mapping(ctx, p)
    # Exactly who the constitution counted for this hash; records approved before `approved_by` existed fall back.
    approvers = p.approved_by or p.approvers_for_current_hash()
    return apply_workspace_patch(p, lock_dir=ctx.resources.lock_dir, approvers=approvers)


def _unknown(ctx: AgentContext, p: Proposal, why: str) -> Proposal:
    reason = f"outcome unknown: {why}; it is never called again by itself (at most once) — check the server"
    ctx.emit("tool_call_outcome_unknown", f"{p.id}: {reason}"[:500], proposal_id=p.id)
    return ctx.resources.proposals.transition(p.id, _S.OUTCOME_UNKNOWN, feedback=reason[:500])


def _refuse(ctx: AgentContext, p: Proposal, why: str) -> Proposal:
    store = ctx.resources.proposals
    ctx.emit("tool_call_refused", f"{p.id} not sent: {why}"[:500], proposal_id=p.id)
    store.transition(p.id, _S.STALE, feedback=why[:500])
    return store.transition(p.id, _S.REJECTED, feedback=f"{why}; propose it again"[:500])


def _execute_tool_call(ctx: AgentContext, p: Proposal) -> Proposal:
    """A published `tool_call`: executed at most once, its result recorded as evidence (see the module docstring)."""
    if p.started_at:
        return _unknown(ctx, p, f"relay started this call at {p.started_at} and recorded no result (interrupted "
                                "between the call and its record)")
    try:
        asset = ctx.resources.armory().asset(p.payload["asset_id"])
        if asset.kind != "mcp_server":
            raise ConfigError(f"asset {asset.asset_id!r} is a {asset.kind} asset, not an mcp_server")
    except ConfigError as exc:
        return _refuse(ctx, p, f"the Armory cannot run it: {exc}")
    from fractalops.adapters.mcp_call import call_tool_once  # the MCP SDK is loaded only when a call runs

    started: list[Proposal] = []
    try:
        result = call_tool_once(asset, p.payload["tool"], p.payload["arguments"], secrets_backend=ctx.resources.secrets(),
                                before_call=lambda: started.append(ctx.resources.proposals.mark_started(p.id)))
    except McpCallRefusedError as exc:
        return _refuse(ctx, p, str(exc))
    except McpServerError as exc:
        if started:  # the call may have reached the server
            return _unknown(ctx, p, str(exc))
        raise  # nothing was sent: the step fails, and a retry of the run calls it then
    ref = ctx.resources.put_payload(result.evidence(p.id, p.content_hash))
    p = ctx.resources.proposals.mark_applied(p.id, ExecutionRecord(commit=ref, applied_hash=p.content_hash, at=utcnow()))
    ctx.emit("tool_call_executed", f"{p.id}: {p.payload['asset_id']} {p.payload['tool']} ran once"
             f"{' and reported an error' if result.is_error else ''}; result {ref}", proposal_id=p.id, result=ref,
             is_error=result.is_error)
    return p


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    store = ctx.resources.proposals
    applied: list[str] = []
    back_to_review: list[str] = []
    unknown: list[str] = []
    for pid in ctx.proposal_ids:
        p = store.get(pid)
        if p.status == _S.APPROVED:
            p = store.transition(pid, _S.PUBLISHED)
            ctx.emit("proposal_published", f"{pid} published for apply ({p.content_hash})", proposal_id=pid)
        if p.status == _S.PUBLISHED and p.kind == TOOL_CALL:
            p = _execute_tool_call(ctx, p)
            if p.status == _S.OUTCOME_UNKNOWN:
                unknown.append(pid)
        elif p.status == _S.PUBLISHED:
            outcome = _apply(ctx, p)
            if outcome.status == "stale":
                p = store.rebase(pid, outcome.rebased, outcome.reason)
                ctx.emit("proposal_stale", f"{pid} stale: {outcome.reason}; {p.status}", proposal_id=pid)
                if p.status == _S.IN_REVIEW:
                    back_to_review.append(pid)
                continue
            # applied and visible in one write: the commit is on the target's branch once it is recorded
            p = store.mark_applied(pid, ExecutionRecord(commit=outcome.commit, applied_hash=p.content_hash, at=utcnow()),
                                   visible=True)
            ctx.emit("proposal_applied", f"{pid} applied as {outcome.commit[:12]} ({outcome.status})",
                     proposal_id=pid, commit=outcome.commit)
            applied.append(pid)
        if p.status == _S.APPLIED:  # a tool call's, or one an earlier run recorded `applied` alone
            store.transition(pid, _S.VISIBLE)
            applied.append(pid)
    if back_to_review:
        return AgentResult(signal=f"{len(back_to_review)} proposal(s) stale, re-based and back to review",
                           state={"phase": Phase.REVIEW})
    text = f"applied {', '.join(applied)}" if applied else "nothing approved to apply"
    summary = {}
    if unknown:
        text += f"; outcome unknown for {', '.join(unknown)} (never called again)"
        summary["last_feedback"] = f"tool call outcome unknown: {', '.join(unknown)}; check the server"[:200]
    return AgentResult(signal=text, summary=summary, state={"phase": Phase.LINEAGE})


SPEC = AgentSpec(name="relay", pack="core", role="publish and apply follow-up after approval", run=run)
