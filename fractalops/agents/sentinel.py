"""sentinel — the constitution gate.

Two checkpoints in every run: the launch contract (assets bound, secret refs resolvable, workspace usable) before
any work starts — a failure routes to `access_recovery` instead of failing the run — and the approval class plus
authority ceiling of every new proposal before it reaches the gate. A proposal above its author's ceiling is
refused and recorded, never downgraded; a routine proposal is approved by a recorded policy decision.
"""

from __future__ import annotations

from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.armory.secrets import missing_secret_refs
from fractalops.errors import ConfigError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ApprovalClass, ApprovalRecord, ProposalStatus, utcnow

__all__ = ["SPEC", "POLICY_IDENTITY", "check_launch_contract"]

POLICY_IDENTITY = "policy:constitution"


def check_launch_contract(ctx: AgentContext, agent: str = "forge") -> tuple[str, str, list[str]]:
    """(asset_id, kind, missing secret refs) for the asset `agent` is bound to in this run."""
    bindings = ctx.configurable.get("bindings") or {}
    if not isinstance(bindings, dict):
        raise ConfigError("configurable.bindings must be an object of agent -> asset_id or role")
    asset = ctx.resources.armory().bind(agent, bindings.get(agent))
    if not asset.secrets:
        return asset.asset_id, asset.kind, []
    return asset.asset_id, asset.kind, missing_secret_refs(asset, ctx.resources.secrets())


def _check_launch(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if hud.route != "change":
        return AgentResult(signal="launch contract ok (read-only route)", summary={"launch_contract": "ok"},
                           state={"phase": "build"})
    asset_id, kind, missing = check_launch_contract(ctx)
    summary = {"launch_asset": asset_id, "launch_kind": kind}
    if missing:
        reason = f"asset {asset_id} needs secret(s) not in the backend: {', '.join(missing)}"
        return AgentResult(
            signal=f"blocked: {reason}",
            summary={**summary, "launch_contract": f"blocked: {reason}", "route": "access_recovery", "blocked_on": missing},
            state={"route": "access_recovery", "blocked": {"at": "sentinel", "reason": reason, "missing": missing}},
        )
    return AgentResult(signal=f"launch contract ok: forge on {asset_id} ({kind})",
                       summary={**summary, "launch_contract": "ok"}, state={"phase": "build"})


def _review(proposal_ids: list[str], ctx: AgentContext) -> AgentResult:
    store, constitution = ctx.resources.proposals, ctx.resources.constitution()
    armory = ctx.resources.armory()
    bindings = ctx.configurable.get("bindings") or {}
    pending = refused = routine = 0
    for pid in proposal_ids:
        p = store.get(pid)
        if p.status != ProposalStatus.PROPOSED:
            pending += p.status == ProposalStatus.IN_REVIEW
            continue
        ceiling = armory.bind(p.author_agent, bindings.get(p.author_agent)).ceiling
        principal_kind = "agent" if p.principal.startswith("agent:") else "human"
        decision = constitution.check_author(p.model_dump(include={"kind", "target"}) | {"files": p.payload.get("files", [])},
                                             ceiling, principal_kind)
        store.set_approval_class(pid, ApprovalClass(decision.approval_class))
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
                                                   at=utcnow(), message=decision.reason), to=ProposalStatus.APPROVED)
            ctx.emit("proposal_policy_approved", f"{pid} approved by policy (routine)", proposal_id=pid)
            routine += 1
        else:
            ctx.emit("proposal_in_review", f"{pid} needs {decision.required} approver(s) ({decision.approval_class})",
                     proposal_id=pid, approval_class=decision.approval_class)
            pending += 1
    return AgentResult(
        signal=f"classified: {pending} for review, {routine} routine, {refused} refused",
        state={"phase": "review"},
    )


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if ctx.phase == "launch":
        return _check_launch(hud, ctx)
    return _review(ctx.proposal_ids, ctx)


SPEC = AgentSpec(name="sentinel", pack="core", role="constitution gate: launch contract, approval class, ceilings",
                 run=run)
