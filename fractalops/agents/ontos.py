"""ontos — semantics, as two jobs.

`ontos_identity` (before the gate) marks the batch as awaiting semantic identity; `ontos_lineage` (after relay)
records proposal -> change -> applied commit in the semantic graph (SHACL-validated before anything is written)
and keeps the IRI on the proposal, where ledger picks it up for the proof path.
"""

from __future__ import annotations

from pathlib import Path

from fractalops.errors import FractalOpsError
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ProposalStatus
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["IDENTITY_SPEC", "LINEAGE_SPEC", "applied_proposals"]

_APPLIED = (ProposalStatus.APPLIED, ProposalStatus.VISIBLE, ProposalStatus.EVIDENCED)


def applied_proposals(ctx: AgentContext) -> list:
    """Every applied proposal of the thread — not only this run's, so a run that lost its ids in a crash, or any
    later run on the thread, still finishes the lineage and proof of what was applied before."""
    return [p for p in ctx.resources.proposals.list(thread_id=ctx.thread_id) if p.status in _APPLIED and p.executed]


def record_lineage(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    recorded, failed = [], []
    for p in applied_proposals(ctx):
        if p.evidence.get("graph"):
            recorded.append(p.id)
            continue
        try:
            iri = ctx.resources.semantics().record_applied_proposal(
                thread_id=p.thread_id, proposal_id=p.id, agent=p.author_agent, principal=p.principal,
                content_hash=p.content_hash, target=p.target, files=list(p.payload.get("files", [])),
                commit=p.executed.commit, project=Path(p.target).name,
            )
        except FractalOpsError as exc:
            ctx.emit("semantics_failed", f"{p.id}: no semantic identity: {exc}"[:500], proposal_id=p.id)
            failed.append(p.id)
            continue
        ctx.resources.proposals.set_evidence(p.id, graph=iri)
        ctx.emit("semantic_identity", f"{p.id} -> {iri}", proposal_id=p.id, iri=iri)
        recorded.append(p.id)
    text = f"semantic identity for {len(recorded)} applied proposal(s)" + (f", {len(failed)} failed" if failed else "")
    return AgentResult(signal=text, state={"phase": Phase.PROVE})


def queue_identity(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    ctx.emit("semantics", f"{len(ctx.proposal_ids)} proposal(s) get their semantic identity once applied")
    return AgentResult(signal="proposals queued for semantic identity", state={"phase": Phase.CLASSIFY})


IDENTITY_SPEC = AgentSpec(name="ontos_identity", agent="ontos", pack="core",
                          role="semantics: queue new proposals for their global semantic identity", run=queue_identity)
LINEAGE_SPEC = AgentSpec(name="ontos_lineage", agent="ontos", pack="core",
                         role="semantics: global ontology ids, SHACL, graph lineage of applied proposals",
                         run=record_lineage)
