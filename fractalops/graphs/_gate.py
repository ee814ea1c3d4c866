"""Private: the two interrupting nodes of the squad — the proposal gate and access recovery."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from fractalops.agents.node import make_context, record_step
from fractalops.agents.spec import AgentContext, AgentResult
from fractalops.errors import DecisionError
from fractalops.identity import principal_from_config
from fractalops.planes.proposals import ApprovalRecord, Proposal, ProposalStatus
from fractalops.planes.proposals.review import apply_decisions, build_review_request, parse_decisions

__all__ = ["gate", "access_recovery", "pending_review"]


def pending_review(ctx: AgentContext) -> list[Proposal]:
    proposals = [ctx.resources.proposals.get(pid) for pid in ctx.proposal_ids]
    return [p for p in proposals if p.status == ProposalStatus.IN_REVIEW]


def _announce(state: dict[str, Any], ctx: AgentContext, text: str, **data: Any) -> None:
    """Record the waiting step before `interrupt()` raises (keys make the replay after resume a no-op)."""
    ctx.emit("approval_requested", text, **data)
    record_step(state, ctx, AgentResult(signal=text))
    ctx.emitted.clear()


def gate(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
    """One interrupt per batch of pending proposals; malformed or unauthorized decisions re-interrupt."""
    ctx = make_context(state, config, "gate")
    pending = pending_review(ctx)
    if not pending:
        return record_step(state, ctx, AgentResult(signal="no proposal waiting for review", state={"phase": "apply"}))
    constitution = ctx.resources.constitution()

    def check(p: Proposal, approvals: list[ApprovalRecord]) -> tuple[bool, str]:
        approvers = [{"identity": a.identity, "roles": list(a.roles)} for a in approvals]
        decision = constitution.check_approval(str(p.approval_class), p.principal, approvers, author_agent=p.author_agent)
        return decision.allowed, f"approvals {decision.required - decision.missing}/{decision.required}"

    request = build_review_request(pending, note=state.get("gate_note", ""), check=check)
    _announce(state, ctx, f"waiting for approval of {len(pending)} proposal(s)", proposals=[p.id for p in pending])
    value = interrupt(request)
    try:
        decisions = parse_decisions(value, len(pending), [p.kind for p in pending])
        outcome = apply_decisions(ctx.resources.proposals, pending, decisions, principal_from_config(config),
                                  check=check)
    except DecisionError as exc:
        ctx.emit("decision_refused", str(exc))
        return record_step(state, ctx, AgentResult(signal=f"decision refused: {exc}", state={"gate_note": str(exc)}))
    for note in outcome.notes:
        ctx.emit("decision", note)
    signal = f"{len(outcome.approved)} approved, {len(outcome.rejected)} rejected, {len(outcome.waiting)} still in review"
    feedback = {"last_feedback": outcome.notes[-1][:200]} if outcome.rejected else {}
    return record_step(state, ctx, AgentResult(signal=signal, summary=feedback, state={"gate_note": ""}))


def access_recovery(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
    """Interrupt naming the missing identity/credential; `approve` retries the blocked step on the same thread."""
    ctx = make_context(state, config, "access_recovery")
    blocked = dict(state.get("blocked") or {})
    missing = list(blocked.get("missing") or [])
    fixes = [f"fractalops secrets put {ref}  (value on stdin)" for ref in missing]
    request = {
        "action_requests": [{
            "name": "access_recovery",
            "args": {"missing": missing, "reason": blocked.get("reason", ""), "fix": fixes,
                     "resume_at": blocked.get("at", "sentinel"), "note": state.get("gate_note", "")},
            "description": f"Blocked: {blocked.get('reason', 'missing access')}. Fix: {'; '.join(fixes) or 'grant access'}"
                           " — then approve to retry the same step on this thread, or reject to stop.",
        }],
        "review_configs": [{"action_name": "access_recovery", "allowed_decisions": ["approve", "reject"]}],
    }
    _announce(state, ctx, f"blocked: waiting for {', '.join(missing) or 'access'}", missing=missing)
    value = interrupt(request)
    try:
        decision = parse_decisions(value, 1)[0]
        principal = principal_from_config(config)
        if decision["type"] == "edit":
            raise DecisionError("access recovery takes approve (retry) or reject (stop), not edit")
        if principal is None or principal.is_agent or not principal.sees_all_threads:
            raise DecisionError("only an operator or approver (not an agent) may retry or stop a blocked route")
    except DecisionError as exc:
        return record_step(state, ctx, AgentResult(signal=f"decision refused: {exc}", state={"gate_note": str(exc)}))
    if decision["type"] == "reject":
        return record_step(state, ctx, AgentResult(signal=f"recovery stopped by {principal.identity}",
                                                   state={"phase": "prove", "blocked": {}, "gate_note": ""}))
    retry = {"route": "change", "blocked_on": [], "launch_contract": "pending"}
    return record_step(state, ctx, AgentResult(
        signal=f"access fixed by {principal.identity}; retrying {blocked.get('at', 'sentinel')}",
        summary=retry,
        state={"route": "change", "blocked": {}, "gate_note": "",
               "phase": "launch" if blocked.get("at") == "sentinel" else "build"},
    ))
