"""gate — the proposal gate: one human-in-the-loop `interrupt()` for the whole batch waiting for review.

The interrupt value is LangChain v1's HITL request (Studio and Agent Chat UI render it as Approve / Edit / Reject).
A malformed or unauthorized resume records nothing and interrupts again, naming what was wrong. Who counts as an
approver and what an edit may become are the constitution's decisions (`review_checks`), made from the identities
recorded on the proposal: its author agent, its requester and its editors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.types import interrupt

from fractalops.agents.sentinel import AUTHOR_KIND
from fractalops.armory import Constitution
from fractalops.errors import DecisionError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ApprovalRecord, Proposal, ProposalStatus
from fractalops.planes.proposals.review import (
    ApprovalCheck,
    ApprovalVerdict,
    EditCheck,
    EditVerdict,
    HITLRequest,
    apply_decisions,
    build_review_request,
    parse_decisions,
)
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["SPEC", "pending_review", "review_checks"]


def review_checks(constitution: Constitution, ceiling_of: Callable[[Proposal], str]) -> tuple[ApprovalCheck, EditCheck]:
    """The approval rule and the edit rule of the constitution, for `apply_decisions`.

    `ceiling_of(p)` is the authority ceiling of `p`'s author agent (what sentinel recorded, or its bound asset's).
    """

    def check(p: Proposal, approvals: list[ApprovalRecord]) -> ApprovalVerdict:
        approvers = [{"identity": a.identity, "roles": list(a.roles)} for a in approvals]
        decision = constitution.check_approval(str(p.approval_class), p.author_identity, approvers,
                                               author_agent=p.author_agent, requester=p.requester, editors=p.editors)
        refused: dict[str, str] = {}
        for identity, _role, why in decision.rejected:
            refused.setdefault(identity, why)
        return ApprovalVerdict(allowed=decision.allowed, counted=decision.approvers, refused=refused,
                               progress=f"approvals {decision.required - decision.missing}/{decision.required}")

    def check_edit(p: Proposal, payload: dict[str, Any]) -> EditVerdict:
        edited = {"kind": p.kind, "target": p.target, "files": payload.get("files", [])}
        decision = constitution.check_author(edited, ceiling_of(p), AUTHOR_KIND)
        return EditVerdict(allowed=decision.allowed, approval_class=decision.approval_class, reason=decision.reason)

    return check, check_edit


def pending_review(ctx: AgentContext) -> list[Proposal]:
    """This thread's proposals waiting for review. A proposal belongs to the one thread that made it: another thread's
    record (an id shared before proposal ids were unique) is named in the live events and never reviewed here."""
    proposals = [ctx.resources.proposals.get(pid) for pid in ctx.proposal_ids]
    for p in proposals:
        if p.thread_id != ctx.thread_id:
            ctx.emit("proposal_not_reviewed", f"{p.id} belongs to thread {p.thread_id}, not this one; not reviewed here",
                     proposal_id=p.id)
    return [p for p in proposals if p.status == ProposalStatus.IN_REVIEW and p.thread_id == ctx.thread_id]


def _with_pack_notes(request: HITLRequest, ctx: AgentContext) -> HITLRequest:
    """This run's pack-agent notes (rule- or model-written) under every action request, for the reviewer."""
    notes = [n for n in ctx.pack_notes if n.get("run") == ctx.run]
    if not notes:
        return request
    block = "\n".join(f"- {n['agent']} ({n.get('by', 'native')}): {n['note']}" for n in notes)
    for action in request["action_requests"]:
        action["description"] = f"{action.get('description', '')}\n\n**Pack review notes**\n{block}"
    return request


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    pending = pending_review(ctx)
    if not pending:
        return AgentResult(signal="no proposal waiting for review", state={"phase": Phase.APPLY})
    armory = ctx.resources.armory()

    def ceiling_of(p: Proposal) -> str:
        return p.author_ceiling or armory.bind(p.author_agent, ctx.binding(p.author_agent)).ceiling

    check, check_edit = review_checks(ctx.resources.constitution(), ceiling_of)
    request = _with_pack_notes(build_review_request(pending, note=ctx.gate_note, check=check), ctx)
    ctx.emit("approval_requested", f"waiting for approval of {len(pending)} proposal(s)",
             proposals=[p.id for p in pending])
    ctx.announce(f"waiting for approval of {len(pending)} proposal(s)")
    value = interrupt(request)
    try:
        decisions = parse_decisions(value, len(pending), [p.kind for p in pending])
        outcome = apply_decisions(ctx.resources.proposals, pending, decisions, ctx.requester, check=check,
                                  check_edit=check_edit)
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
