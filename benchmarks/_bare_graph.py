"""Benchmark baseline: a bare LangGraph graph doing the squad's work with none of the squad's machinery.

Same topology and the same real work — build the change through the same Armory asset in an isolated workspace,
record a proposal, one HITL interrupt, apply the patch, record lineage in the graph, a Chronicle entry and a
warehouse proof fact — but no HUD, summary, outbox, projection, constitution, proof verification or pack routing. `benchmarks/squad_overhead.py` compares the squad against it in one process; the
`bench_langgraph.json` next to this file registers it on a server beside the squad for `sdk_overhead.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.planes.proposals import ProposalStatus, apply_workspace_patch
from fractalops.planes.proposals.review import build_review_request
from fractalops.runtime.resources import squad_resources

__all__ = ["build_bare", "graph"]


class BareState(TypedDict, total=False):
    intent: str
    workspace: str
    changes: list[dict[str, str]]
    proposal_id: str
    done: bool
    commit: str
    graph_iri: str


def _passthrough(state: BareState) -> dict[str, Any]:
    return {}


def forge(state: BareState, config: RunnableConfig) -> dict[str, Any]:
    resources = squad_resources()
    asset = resources.armory().bind("forge")
    task = AdapterTask(intent=state["intent"], thread_id="bare", agent="forge", changes=tuple(state["changes"]), prompt="")
    run = run_asset(asset, task, Path(state["workspace"]), secrets_backend=resources.secrets())
    thread = str(config["configurable"]["thread_id"])
    p = resources.proposals.create(thread_id=thread, author_agent="forge", requester="bench", kind="workspace_patch",
                                   target=str(Path(state["workspace"]).resolve()), title=state["intent"],
                                   payload={"diff": run.diff, "base_commit": run.base_commit, "files": run.changed_files},
                                   proposal_id=f"bare_{thread}")
    resources.proposals.transition(p.id, ProposalStatus.IN_REVIEW)
    return {"proposal_id": p.id}


def gate(state: BareState) -> dict[str, Any]:
    store = squad_resources().proposals
    p = store.get(state["proposal_id"])
    interrupt(build_review_request([p]))
    store.transition(p.id, ProposalStatus.APPROVED)
    return {}


def relay(state: BareState) -> dict[str, Any]:
    resources = squad_resources()
    p = resources.proposals.transition(state["proposal_id"], ProposalStatus.PUBLISHED)
    outcome = apply_workspace_patch(p, lock_dir=resources.lock_dir, approvers=["bench"])
    return {"done": True, "commit": outcome.commit}


def lineage(state: BareState, config: RunnableConfig) -> dict[str, Any]:
    p = squad_resources().proposals.get(state["proposal_id"])
    iri = squad_resources().semantics().record_applied_proposal(
        thread_id=p.thread_id, proposal_id=p.id, agent="forge", principal=p.principal, content_hash=p.content_hash,
        target=p.target, files=p.payload["files"], commit=state["commit"], project=Path(p.target).name)
    return {"graph_iri": iri}


def ledger(state: BareState) -> dict[str, Any]:
    resources = squad_resources()
    p = resources.proposals.get(state["proposal_id"])
    chronicle = resources.chronicle()
    ref = chronicle.append({"type": "proposal_applied", "proposal_id": p.id, "commit": state["commit"],
                            "graph_iri": state["graph_iri"]})
    chronicle.checkpoint()
    resources.warehouse().record_proof_fact(thread_id=p.thread_id, proposal_id=p.id, content_hash=p.content_hash,
                                            commit=state["commit"], graph_iri=state["graph_iri"], chronicle_ref=ref.uri)
    return {}


def build_bare() -> StateGraph:
    builder = StateGraph(BareState)
    chain = ["atlas", "sentinel", "mercury", "forge", "ontos", "sentinel_review", "gate", "relay", "ontos_lineage",
             "ledger", "signal"]
    work = {"forge": forge, "gate": gate, "relay": relay, "ontos_lineage": lineage, "ledger": ledger}
    for name in chain:
        builder.add_node(name, work.get(name, _passthrough))
    builder.add_edge(START, chain[0])
    for a, b in zip(chain, chain[1:], strict=False):
        builder.add_edge(a, b)
    builder.add_edge(chain[-1], END)
    return builder


graph = build_bare().compile(name="bare")
