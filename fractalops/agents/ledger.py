"""ledger — proof: writes Chronicle evidence and the warehouse proof fact, then decides whether the path is closed.

For each applied proposal: a Chronicle entry (approvals, commit, graph IRI) under a fresh signed checkpoint, then a
warehouse proof fact naming both. The proof is closed only when all three planes answer for their record; then the
proposal reaches `evidenced`. A plane that fails is named in the HUD's completion proof — never papered over.
"""

from __future__ import annotations

from typing import Any

from fractalops.agents.ontos import applied_proposals
from fractalops.errors import FractalOpsError
from fractalops.hud import PROOF_PLANES, AgentHUD
from fractalops.planes.proof import ProofVerdict, check_proof
from fractalops.planes.proposals import Proposal, ProposalStatus
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["SPEC", "thread_proof"]


def _chronicle_entry(p: Proposal) -> dict[str, Any]:
    return {
        "type": "proposal_applied",
        "proposal_id": p.id,
        "thread_id": p.thread_id,
        "kind": p.kind,
        "target": p.target,
        "author_agent": p.author_agent,
        "principal": p.principal,
        "content_hash": p.content_hash,
        "commit": p.executed.commit if p.executed else "",
        "approvals": [{"decision": a.decision, "identity": a.identity, "content_hash": a.content_hash, "at": a.at}
                      for a in p.approvals],
        "graph_iri": p.evidence.get("graph", ""),
    }


def _record(ctx: AgentContext, p: Proposal) -> Proposal:
    store = ctx.resources.proposals
    if p.evidence.get("graph") and not p.evidence.get("chronicle"):
        chronicle = ctx.resources.chronicle()
        ref = chronicle.append(_chronicle_entry(p))
        chronicle.checkpoint()
        p = store.set_evidence(p.id, chronicle=ref.uri)
        ctx.emit("chronicle_entry", f"{p.id} -> {ref.uri}", proposal_id=p.id, ref=ref.uri)
    if p.evidence.get("chronicle") and not p.evidence.get("warehouse"):
        fact_id = ctx.resources.warehouse().record_proof_fact(
            thread_id=p.thread_id, proposal_id=p.id, content_hash=p.content_hash, commit=p.executed.commit,
            graph_iri=p.evidence["graph"], chronicle_ref=p.evidence["chronicle"],
            attrs={"target": p.target, "approvers": ", ".join(p.approvers_for_current_hash())},
        )
        p = store.set_evidence(p.id, warehouse=fact_id)
        ctx.emit("warehouse_fact", f"{p.id} -> proof fact {fact_id}", proposal_id=p.id, fact_id=fact_id)
    return p


def _verdict(ctx: AgentContext, p: Proposal) -> ProofVerdict:
    return check_proof(p.evidence, semantics=ctx.resources.semantics(), warehouse=ctx.resources.warehouse(),
                       chronicle=ctx.resources.chronicle(), proposal_id=p.id)


def thread_proof(ctx: AgentContext, proposals: list[Proposal]) -> dict[str, str]:
    """Refs of the planes that answered for every applied proposal (a missing plane stays out, so the HUD names it)."""
    proof: dict[str, str] = {}
    for plane in PROOF_PLANES:
        refs = [p.evidence.get(plane, "") for p in proposals]
        if proposals and all(refs):
            proof[plane] = refs[-1] if len(refs) == 1 else f"{refs[-1]} (+{len(refs) - 1})"
    return proof


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    applied = applied_proposals(ctx)
    if not applied:
        return AgentResult(signal="nothing applied on this thread, so nothing to prove: proof path open",
                           summary={"proof": {}}, state={"phase": Phase.REPORT})
    answered: list[Proposal] = []
    for p in applied:
        try:
            p = _record(ctx, p)
            verdict = _verdict(ctx, p)
        except FractalOpsError as exc:
            ctx.emit("proof_failed", f"{p.id}: {exc}"[:500], proposal_id=p.id)
            answered.append(p.model_copy(update={"evidence": {}}))
            continue
        missing = [plane for plane in PROOF_PLANES if not verdict[plane]["ok"]]
        ok_refs = {plane: ref for plane in PROOF_PLANES if verdict[plane]["ok"] and (ref := verdict[plane]["ref"])}
        if not missing and p.status == ProposalStatus.VISIBLE:
            p = ctx.resources.proposals.transition(p.id, ProposalStatus.EVIDENCED)
        ctx.emit("proof", f"{p.id}: proof {'closed' if not missing else 'open, missing ' + ', '.join(missing)}",
                 proposal_id=p.id, missing=missing)
        answered.append(p.model_copy(update={"evidence": ok_refs}))
    proof = thread_proof(ctx, answered)
    closed = len(proof) == len(PROOF_PLANES)
    summary: dict[str, Any] = {"proof": proof}
    if this_run := [p.id for p in applied if p.id in ctx.proposal_ids]:
        missing = [plane for plane in PROOF_PLANES if plane not in proof]
        summary["outcome"] = (f"applied {', '.join(this_run)} and proven: graph, warehouse and Chronicle hold its records"
                              if closed else f"applied {', '.join(this_run)}; proof still open, missing {', '.join(missing)}")
    return AgentResult(signal=f"proof path {'closed' if closed else 'open'} for {len(applied)} applied proposal(s)",
                       summary=summary, state={"phase": Phase.REPORT})


SPEC = AgentSpec(name="ledger", pack="core", role="proof: warehouse facts, Chronicle evidence, closure", run=run)
