"""gate — the proposal gate: one human-in-the-loop `interrupt()` for the whole batch waiting for review.

The interrupt value is LangChain v1's HITL request (Studio and Agent Chat UI render it as Approve / Edit / Reject).
A malformed or unauthorized resume records nothing and interrupts again, naming what was wrong.
"""

from __future__ import annotations

from langgraph.types import interrupt

from fractalops.errors import DecisionError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ApprovalRecord, Proposal, ProposalStatus
from fractalops.planes.proposals.review import apply_decisions, build_review_request, parse_decisions
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["SPEC", "pending_review"]


def pending_review(ctx: AgentContext) -> list[Proposal]:
    proposals = [ctx.resources.proposals.get(pid) for pid in ctx.proposal_ids]
    return [p for p in proposals if p.status == ProposalStatus.IN_REVIEW]


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    pending = pending_review(ctx)
    if not pending:
        return AgentResult(signal="no proposal waiting for review", state={"phase": Phase.APPLY})
    constitution = ctx.resources.constitution()

    def check(p: Proposal, approvals: list[ApprovalRecord]) -> tuple[bool, str]:
        approvers = [{"identity": a.identity, "roles": list(a.roles)} for a in approvals]
        decision = constitution.check_approval(str(p.approval_class), p.principal, approvers, author_agent=p.author_agent)
        return decision.allowed, f"approvals {decision.required - decision.missing}/{decision.required}"

    request = build_review_request(pending, note=ctx.gate_note, check=check)
    ctx.emit("approval_requested", f"waiting for approval of {len(pending)} proposal(s)",
             proposals=[p.id for p in pending])
    ctx.announce(f"waiting for approval of {len(pending)} proposal(s)")
    value = interrupt(request)
    try:
        decisions = parse_decisions(value, len(pending), [p.kind for p in pending])
        outcome = apply_decisions(ctx.resources.proposals, pending, decisions, ctx.requester, check=check)
    except DecisionError as exc:
        ctx.emit("decision_refused", str(exc))
        return AgentResult(signal=f"decision refused: {exc}", state={"gate_note": str(exc), "phase": Phase.REVIEW})
    for note in outcome.notes:
        ctx.emit("decision", note)
    signal = f"{len(outcome.approved)} approved, {len(outcome.rejected)} rejected, {len(outcome.waiting)} still in review"
    summary = {}
    if outcome.rejected:
        summary["last_feedback"] = outcome.notes[-1][:200]
        if not outcome.approved and not outcome.waiting:
            summary["outcome"] = f"{outcome.notes[-1][:180]}; nothing was applied"
    # Back to the gate: it interrupts again for anything still in review, or hands over to relay.
    return AgentResult(signal=signal, summary=summary, state={"gate_note": "", "phase": Phase.REVIEW})


SPEC = AgentSpec(name="gate", pack="core", role="one human-in-the-loop interrupt per proposal batch", run=run)
