"""relay — publish and apply follow-up: applies what was approved exactly once, then makes it visible."""

from __future__ import annotations

from fractalops.hud import AgentHUD
from fractalops.planes.proposals import (
    ApplyOutcome,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    apply_workspace_patch,
    utcnow,
)
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


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    store = ctx.resources.proposals
    applied: list[str] = []
    back_to_review: list[str] = []
    for pid in ctx.proposal_ids:
        p = store.get(pid)
        if p.status == _S.APPROVED:
            p = store.transition(pid, _S.PUBLISHED)
            ctx.emit("proposal_published", f"{pid} published for apply ({p.content_hash})", proposal_id=pid)
        if p.status == _S.PUBLISHED:
            outcome = _apply(ctx, p)
            if outcome.status == "stale":
                p = store.rebase(pid, outcome.rebased, outcome.reason)
                ctx.emit("proposal_stale", f"{pid} stale: {outcome.reason}; {p.status}", proposal_id=pid)
                if p.status == _S.IN_REVIEW:
                    back_to_review.append(pid)
                continue
            p = store.mark_applied(pid, ExecutionRecord(commit=outcome.commit, applied_hash=p.content_hash, at=utcnow()))
            ctx.emit("proposal_applied", f"{pid} applied as {outcome.commit[:12]} ({outcome.status})",
                     proposal_id=pid, commit=outcome.commit)
        if p.status == _S.APPLIED:
            store.transition(pid, _S.VISIBLE)
            applied.append(pid)
    if back_to_review:
        return AgentResult(signal=f"{len(back_to_review)} proposal(s) stale, re-based and back to review",
                           state={"phase": Phase.REVIEW})
    text = f"applied {', '.join(applied)}" if applied else "nothing approved to apply"
    return AgentResult(signal=text, state={"phase": Phase.LINEAGE})


SPEC = AgentSpec(name="relay", pack="core", role="publish and apply follow-up after approval", run=run)
