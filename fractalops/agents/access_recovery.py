"""access_recovery — a blocked route: interrupt naming the missing identity or credential and the fix.

`approve` (after the fix) retries the blocked step on the same thread, with the same bindings; `reject` stops.
Only a human operator or approver may decide.
"""

from __future__ import annotations

from langgraph.types import interrupt

from fractalops.errors import DecisionError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals.review import parse_decisions
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase, Route

__all__ = ["SPEC"]

_RETRY_PHASE = {"sentinel": Phase.LAUNCH, "forge": Phase.BUILD}


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    blocked = ctx.blocked
    missing = list(blocked.get("missing") or [])
    at = str(blocked.get("at") or "sentinel")
    fixes = [f"fractalops secrets put {ref}  (value on stdin)" for ref in missing]
    request = {
        "action_requests": [{
            "name": "access_recovery",
            "args": {"missing": missing, "reason": blocked.get("reason", ""), "fix": fixes,
                     "resume_at": at, "note": ctx.gate_note},
            "description": f"Blocked: {blocked.get('reason', 'missing access')}. Fix: {'; '.join(fixes) or 'grant access'}"
                           " — then approve to retry the same step on this thread, or reject to stop.",
        }],
        "review_configs": [{"action_name": "access_recovery", "allowed_decisions": ["approve", "reject"]}],
    }
    ctx.emit("approval_requested", f"blocked: waiting for {', '.join(missing) or 'access'}", missing=missing)
    ctx.announce(f"blocked: waiting for {', '.join(missing) or 'access'}")
    value = interrupt(request)
    principal = ctx.requester
    try:
        decision = parse_decisions(value, 1)[0]
        if decision["type"] == "edit":
            raise DecisionError("access recovery takes approve (retry) or reject (stop), not edit")
        if principal is None or principal.is_agent or not principal.sees_all_threads:
            raise DecisionError("only an operator or approver (not an agent) may retry or stop a blocked route")
    except DecisionError as exc:
        return AgentResult(signal=f"decision refused: {exc}", state={"gate_note": str(exc), "phase": Phase.BLOCKED})
    if decision["type"] == "reject":
        why = decision.get("message") or "no reason given"
        return AgentResult(signal=f"recovery stopped by {principal.identity}: {why}",
                           summary={"outcome": f"stopped by {principal.identity}: {why[:120]}; nothing was applied"},
                           state={"phase": Phase.PROVE, "blocked": {}, "gate_note": ""})
    return AgentResult(
        signal=f"access fixed by {principal.identity}; retrying {at}",
        summary={"route": Route.CHANGE, "blocked_on": [], "launch_contract": "pending"},
        state={"route": Route.CHANGE, "blocked": {}, "gate_note": "", "phase": _RETRY_PHASE.get(at, Phase.LAUNCH)},
    )


SPEC = AgentSpec(name="access_recovery", pack="core", role="blocked route: name the missing access, retry after the fix",
                 run=run)
