"""The `steward` graph: the deep-lineage `scribe` agent's RDF steward run, in the process that owns the warehouse.

Input `{"project_dir": "<path on the server>"}`; `result` says where the RDF, the DataHub JSON and the warehouse
rows went. Spooled rows from CLI runs (made while this server owned the warehouse) are ingested first.

A local term that does not map to the global ontology is refused for reuse and becomes an `ontology_mapping`
proposal (with the closest global term as a suggestion a reviewer may edit). The proposals then take the squad's
own path: sentinel (class, ceilings) -> gate (one interrupt) -> relay (applies the mapping) -> ontos (lineage)
-> ledger (proof).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from fractalops.agents import ledger, ontos, relay, sentinel
from fractalops.agents.node import agent_node, make_context, record_step
from fractalops.agents.spec import AgentResult
from fractalops.agents.state import SquadState
from fractalops.errors import ConfigError
from fractalops.graphs._gate import gate
from fractalops.graphs._routes import after_gate, after_relay
from fractalops.hud import new_summary
from fractalops.planes.semantics import TermMap
from fractalops.planes.semantics.terms import suggest_global_term
from fractalops.planes.steward import run_steward
from fractalops.planes.steward.pending import ingest_pending

__all__ = ["StewardInput", "StewardState", "build_steward", "graph"]


class StewardInput(SquadState, total=False):
    project_dir: str
    """The project directory to scan (a path on the server)."""


class StewardState(StewardInput, total=False):
    result: dict[str, Any]
    """`rdf`, `datahub`, `warehouse` (report id, events), counts, unmapped terms and mapping proposal ids."""


def scribe(state: StewardState, config: RunnableConfig) -> dict[str, Any]:
    project = Path(state.get("project_dir") or "")
    if not project.is_dir():
        raise ConfigError(f"project_dir {str(project)!r} is not a directory on the server")
    state = {**state, "summary": new_summary(f"steward report for {project.name}"), "phase": "classify"}
    ctx = make_context(state, config, "scribe")
    warehouse = ctx.resources.warehouse()
    ingested = ingest_pending(ctx.resources.root, warehouse)
    result = run_steward(project, ctx.resources.root, warehouse=warehouse, thread_id=ctx.thread_id)
    doc = result.to_json()
    doc["warehouse"] = {"ok": True, "report_id": result.warehouse_report_id, "events": result.events,
                        "ingested_pending": ingested}
    terms = TermMap(result.report.project, semantics=ctx.resources.semantics())
    proposal_ids = []
    for term in sorted({t.term for t in result.report.unmapped_terms}):
        payload = terms.propose_mapping(term, suggest_global_term(term))
        p = ctx.resources.proposals.create(
            thread_id=ctx.thread_id, author_agent="scribe", principal="agent:scribe", kind=payload["kind"],
            target=payload["target"], title=payload["summary"], payload=payload,
            proposal_id=f"map_{ctx.thread_id.replace('-', '')[:12]}_{len(proposal_ids) + 1}",
        )
        ctx.emit("mapping_proposed", p.title, proposal_id=p.id)
        proposal_ids.append(p.id)
    doc["mapping_proposals"] = proposal_ids
    signal = (f"steward report {result.report.report_id}: {result.datasets} datasets, {result.triples} triples, "
              f"{len(proposal_ids)} unmapped term(s) proposed for mapping")
    recorded = record_step(state, ctx, AgentResult(signal=signal, state={"proposal_ids": proposal_ids}))
    return {**recorded, "result": doc, "phase": "classify" if proposal_ids else "done", "route": "change",
            "resumed": False}


def _after_scribe(state: dict[str, Any]) -> str:
    return "sentinel" if state.get("proposal_ids") else END


def build_steward() -> StateGraph:
    builder = StateGraph(StewardState, input_schema=StewardInput)
    builder.add_node("scribe", scribe)
    for spec in (sentinel.SPEC, relay.SPEC, ontos.SPEC, ledger.SPEC):
        builder.add_node(spec.name, agent_node(spec))
    builder.add_node("gate", gate)
    builder.add_edge(START, "scribe")
    builder.add_conditional_edges("scribe", _after_scribe, ["sentinel", END])
    builder.add_edge("sentinel", "gate")
    builder.add_conditional_edges("gate", after_gate, ["relay", "gate"])
    builder.add_conditional_edges("relay", after_relay, ["gate", "ontos"])
    builder.add_edge("ontos", "ledger")
    builder.add_edge("ledger", END)
    return builder


graph = build_steward().compile(name="steward")
