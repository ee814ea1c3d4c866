"""sentinel — the constitution gate, as two jobs.

`sentinel_launch` checks the launch contract (assets bound, secret refs resolvable) before any work starts; a
failure routes to `access_recovery` instead of failing the run. `sentinel_review` assigns every new proposal its
approval class and checks its author's authority ceiling before the gate: above the ceiling is refused and recorded,
never downgraded; a routine proposal is approved by a recorded policy decision.
"""

from __future__ import annotations

from fractalops.armory.secrets import missing_secret_refs
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ApprovalClass, ApprovalRecord, ProposalStatus, utcnow
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase, Route

__all__ = ["LAUNCH_SPEC", "REVIEW_SPEC", "POLICY_IDENTITY", "AUTHOR_KIND", "check_launch_contract"]

POLICY_IDENTITY = "policy:constitution"
AUTHOR_KIND = "agent"
"""Every proposal is authored by a squad agent; on whose behalf it ran does not change that (restricted stays
human-only). The gate re-checks edits with the same kind."""


def check_launch_contract(ctx: AgentContext, agent: str = "forge") -> tuple[str, str, list[str]]:
    """(asset_id, kind, missing secret refs) for the asset `agent` is bound to in this run."""
    asset = ctx.resources.armory().bind(agent, ctx.binding(agent))
    if not asset.secrets:
        return asset.asset_id, asset.kind, []
    return asset.asset_id, asset.kind, missing_secret_refs(asset, ctx.resources.secrets())


def check_launch(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if hud.route != Route.CHANGE:
        return AgentResult(signal="launch contract ok (read-only route)", summary={"launch_contract": "ok"},
                           state={"phase": Phase.BUILD})
    asset_id, kind, missing = check_launch_contract(ctx)
    summary = {"launch_asset": asset_id, "launch_kind": kind}
    if missing:
        reason = f"asset {asset_id} needs secret(s) not in the backend: {', '.join(missing)}"
        return AgentResult(
            signal=f"blocked: {reason}",
            summary={**summary, "launch_contract": f"blocked: {reason}", "route": Route.ACCESS_RECOVERY,
                     "blocked_on": missing},
            state={"route": Route.ACCESS_RECOVERY, "phase": Phase.BLOCKED,
                   "blocked": {"at": "sentinel", "reason": reason, "missing": missing}},
        )
    return AgentResult(signal=f"launch contract ok: forge on {asset_id} ({kind})",
                       summary={**summary, "launch_contract": "ok"}, state={"phase": Phase.BUILD})


def review(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    store, constitution = ctx.resources.proposals, ctx.resources.constitution()
    armory = ctx.resources.armory()
    pending = refused = routine = 0
    for pid in ctx.proposal_ids:
        p = store.get(pid)
        if p.status != ProposalStatus.PROPOSED:
            pending += p.status == ProposalStatus.IN_REVIEW
            continue
        ceiling = armory.bind(p.author_agent, ctx.binding(p.author_agent)).ceiling
        facts = p.model_dump(include={"kind", "target"}) | {"files": p.payload.get("files", [])}
        if declared := armory.declared_class(p.kind, p.payload):  # e.g. an MCP tool's approval_class: raises only
            facts["declared_class"] = declared
        decision = constitution.check_author(facts, ceiling, AUTHOR_KIND)
        store.set_approval_class(pid, ApprovalClass(decision.approval_class), author_ceiling=ceiling)
        if not decision.allowed:
            store.add_decision(pid, ApprovalRecord(decision="reject", identity=POLICY_IDENTITY, content_hash=p.content_hash,
                                                   at=utcnow(), message=f"refused by sentinel: {decision.reason}"),
                               to=ProposalStatus.REJECTED)
            ctx.emit("proposal_refused", f"{pid} refused: {decision.reason}", proposal_id=pid, approval_class=decision.approval_class)
            refused += 1
            continue
        store.transition(pid, ProposalStatus.IN_REVIEW)
        if decision.approval_class == "routine":
            store.add_decision(pid, ApprovalRecord(decision="policy", identity=POLICY_IDENTITY, content_hash=p.content_hash,
                                                   at=utcnow(), message=decision.reason), to=ProposalStatus.APPROVED,
                               approved_by=[POLICY_IDENTITY])
            ctx.emit("proposal_policy_approved", f"{pid} approved by policy (routine)", proposal_id=pid)
            routine += 1
        else:
            ctx.emit("proposal_in_review", f"{pid} needs {decision.required} approver(s) ({decision.approval_class})",
                     proposal_id=pid, approval_class=decision.approval_class)
            pending += 1
    return AgentResult(
        signal=f"classified: {pending} for review, {routine} routine, {refused} refused",
        state={"phase": Phase.REVIEW},
    )


LAUNCH_SPEC = AgentSpec(name="sentinel_launch", agent="sentinel", pack="core",
                        role="launch contract: assets bound, secret refs resolvable", run=check_launch)
REVIEW_SPEC = AgentSpec(name="sentinel_review", agent="sentinel", pack="core",
                        role="approval class and authority ceiling of every new proposal", run=review)
