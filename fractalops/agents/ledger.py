"""ledger — proof: writes Chronicle evidence and the warehouse proof fact, then decides whether the path is closed.

For each applied proposal: a Chronicle entry (approvals, commit, graph IRI) under a fresh signed checkpoint, then a
warehouse proof fact naming both. Each checkpoint is also witnessed outside the log, in the proposal store and the
warehouse, so a rollback of the log shows in `fractalops evidence verify`; an entry no witnessed checkpoint covers
keeps the Chronicle part of the proof open (and the next ledger run signs and witnesses again). The proof is closed
only when all three planes answer for their record; then the proposal reaches `evidenced`. A plane that fails is
named in the HUD's completion proof — never papered over.

Once this run's proofs are decided (closed or left open), ledger asks the FeaturePlane to materialize: a request
to its worker thread (a lock and a notify), so the squad never waits for Feast; requests that arrive while a
materialization runs are served together by the next one.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fractalops.agents.ontos import applied_proposals
from fractalops.errors import FractalOpsError
from fractalops.hud import PROOF_PLANES, AgentHUD
from fractalops.planes.evidence import CheckpointWitness, ChronicleLog, EvidenceRef, key_id
from fractalops.planes.features import materializer
from fractalops.planes.proof import ProofVerdict, check_proof
from fractalops.planes.proposals import Proposal, ProposalStatus, open_witness_store
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
        "requester": p.requester,
        "editors": list(p.editors),
        "approved_by": list(p.approved_by),
        "content_hash": p.content_hash,
        "commit": p.executed.commit if p.executed else "",
        "approvals": [{"decision": a.decision, "identity": a.identity, "content_hash": a.content_hash, "at": a.at}
                      for a in p.approvals],
        "graph_iri": p.evidence.get("graph", ""),
    }


def _sign_and_witness(ctx: AgentContext, chronicle: ChronicleLog) -> tuple[str, str] | None:
    """Sign the log's head and witness the checkpoint in both stores; what failed (naming the store) and the error
    family of the first failure, or None."""
    checkpoint = chronicle.checkpoint()
    record = CheckpointWitness.of(checkpoint, chronicle.public_key()).record()
    failed, families = [], []
    try:
        open_witness_store(ctx.resources.root).record(**record)
    except (FractalOpsError, sqlite3.Error) as exc:
        failed.append(f"the proposal store ({exc})")
        families.append(type(exc).__name__)
    try:
        ctx.resources.warehouse().record_chronicle_witness(**record)
    except FractalOpsError as exc:
        failed.append(f"the warehouse ({exc})")
        families.append(type(exc).__name__)
    if not failed:
        return None
    return f"Chronicle checkpoint of size {checkpoint.size} was not witnessed in {' or '.join(failed)}"[:500], families[0]


def _unwitnessed(ctx: AgentContext, chronicle: ChronicleLog, ref: str) -> bool:
    """True when a store outside the log has no checkpoint of this log's key that covers the entry `ref`."""
    index, kid = EvidenceRef.parse(ref).index, key_id(chronicle.public_key())
    sizes = (open_witness_store(ctx.resources.root).newest_size(chronicle.name, kid),
             ctx.resources.warehouse().newest_chronicle_witness(chronicle.name, kid))
    return any(size is None or size <= index for size in sizes)


def _record(ctx: AgentContext, p: Proposal) -> tuple[Proposal, str | None]:
    """Write what is missing; returns the proposal and why its Chronicle entry is not witnessed yet (or None)."""
    failed: tuple[str, str] | None = None
    store = ctx.resources.proposals
    unwitnessed = None
    if p.evidence.get("graph") and not p.evidence.get("chronicle"):
        chronicle = ctx.resources.chronicle()
        ref = chronicle.append(_chronicle_entry(p))
        p = store.set_evidence(p.id, chronicle=ref.uri)  # before signing: a retry re-signs, it never re-appends
        ctx.emit("chronicle_entry", f"{p.id} -> {ref.uri}", proposal_id=p.id, ref=ref.uri)
        failed = _sign_and_witness(ctx, chronicle)
    elif p.evidence.get("chronicle") and p.status != ProposalStatus.EVIDENCED:
        chronicle = ctx.resources.chronicle()
        if _unwitnessed(ctx, chronicle, p.evidence["chronicle"]):
            failed = _sign_and_witness(ctx, chronicle)
    if failed:
        unwitnessed = failed[0]
        ctx.emit("witness_failed", f"{p.id}: {unwitnessed}; the Chronicle proof stays open", proposal_id=p.id,
                 family=failed[1])
    if p.evidence.get("chronicle") and not p.evidence.get("warehouse"):
        fact_id = ctx.resources.warehouse().record_proof_fact(
            thread_id=p.thread_id, proposal_id=p.id, content_hash=p.content_hash, commit=p.executed.commit,
            graph_iri=p.evidence["graph"], chronicle_ref=p.evidence["chronicle"],
            attrs={"target": p.target, "approvers": ", ".join(p.approved_by or p.approvers_for_current_hash())},
        )
        p = store.set_evidence(p.id, warehouse=fact_id)
        ctx.emit("warehouse_fact", f"{p.id} -> proof fact {fact_id}", proposal_id=p.id, fact_id=fact_id)
    return p, unwitnessed


def _verdict(ctx: AgentContext, p: Proposal, unwitnessed: str | None) -> ProofVerdict:
    verdict = check_proof(p.evidence, semantics=ctx.resources.semantics(), warehouse=ctx.resources.warehouse(),
                          chronicle=ctx.resources.chronicle(), proposal_id=p.id)
    if unwitnessed and verdict["chronicle"]["ok"]:
        verdict["chronicle"] = {"ok": False, "ref": verdict["chronicle"]["ref"], "reason": unwitnessed}
        verdict["closed"] = False
    return verdict


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
            p, unwitnessed = _record(ctx, p)
            verdict = _verdict(ctx, p, unwitnessed)
        except FractalOpsError as exc:
            ctx.emit("proof_failed", f"{p.id}: {exc}"[:500], proposal_id=p.id, family=type(exc).__name__)
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
        materializer(ctx.resources.root).request(ctx.resources.warehouse())
        missing = [plane for plane in PROOF_PLANES if plane not in proof]
        summary["outcome"] = (f"applied {', '.join(this_run)} and proven: graph, warehouse and Chronicle hold its records"
                              if closed else f"applied {', '.join(this_run)}; proof still open, missing {', '.join(missing)}")
    return AgentResult(signal=f"proof path {'closed' if closed else 'open'} for {len(applied)} applied proposal(s)",
                       summary=summary, state={"phase": Phase.REPORT})


SPEC = AgentSpec(name="ledger", pack="core", role="proof: warehouse facts, Chronicle evidence, closure", run=run)
