"""scribe — the project's RDF steward (deep lineage), as two jobs.

`STEWARD_SPEC` is the `steward` graph's entry job: scan a project directory (CSV, Parquet, SQL DDL,
`fractalops-steward.yaml`), write its RDF, DataHub metadata and warehouse rows, and turn every local term that
does not map to the global ontology into an `ontology_mapping` proposal for the gate.
`PACK_SPEC` is its deep-lineage pack job in the squad: say how fresh the workspace's lineage is, and how to refresh it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fractalops.errors import ConfigError
from fractalops.hud import AgentHUD, new_summary
from fractalops.planes.semantics import TermMap
from fractalops.planes.semantics.terms import suggest_global_term
from fractalops.planes.steward import run_steward
from fractalops.planes.steward.pending import ingest_pending
from fractalops.planes.steward.run import steward_rdf_path
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase, Route, RunOptions

__all__ = ["STEWARD_SPEC", "PACK_SPEC"]


def intake(state: dict[str, Any], ctx: AgentContext, options: RunOptions) -> dict[str, Any]:
    """The steward's input is `project_dir`, a directory on the server; it becomes the run's workspace."""
    project = Path(state.get("project_dir") or "")
    if not state.get("project_dir") or not project.is_dir():
        raise ConfigError(f"input.project_dir {str(state.get('project_dir') or '')!r} is not a directory on the server")
    summary = dict(new_summary(f"steward report for {project.name}"))
    summary.update(runs=1, route=Route.CHANGE, launch_kind="native", launch_asset="steward")
    return {"summary": summary, "workspace": str(project.resolve()), "phase": Phase.CLASSIFY, "route": Route.CHANGE,
            "resumed": False, "proposal_ids": [], "bindings": dict(options.bindings or {}), "packs": []}


def steward(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    project = Path(ctx.workspace)
    warehouse = ctx.resources.warehouse()
    ingested = ingest_pending(ctx.resources.root, warehouse)
    result = run_steward(project, ctx.resources.root, warehouse=warehouse, thread_id=ctx.thread_id)
    doc = result.to_json()
    doc["warehouse"] = {"ok": True, "report_id": result.warehouse_report_id, "events": result.events,
                        "ingested_pending": ingested}
    terms = TermMap(result.report.project, semantics=ctx.resources.semantics())
    proposal_ids: list[str] = []
    for term in sorted({t.term for t in result.report.unmapped_terms}):
        payload = terms.propose_mapping(term, suggest_global_term(term))
        p = ctx.resources.proposals.create(
            thread_id=ctx.thread_id, author_agent="scribe", requester=ctx.requester.identity if ctx.requester else "",
            kind=payload["kind"], target=payload["target"], title=payload["summary"], payload=payload,
            idempotency_key=f"{ctx.run}:{term}",
        )
        ctx.emit("mapping_proposed", p.title, proposal_id=p.id)
        proposal_ids.append(p.id)
    doc["mapping_proposals"] = proposal_ids
    signal = (f"steward report {result.report.report_id}: {result.datasets} datasets, {result.triples} triples, "
              f"{len(proposal_ids)} unmapped term(s) proposed for mapping")
    summary = {} if proposal_ids else {"outcome": f"stewarded {project.name}: {result.datasets} datasets, "
                                                  f"{result.triples} triples; every local term maps to the global ontology"}
    return AgentResult(signal=signal, summary=summary, state={
        "proposal_ids": proposal_ids, "result": doc, "phase": Phase.CLASSIFY if proposal_ids else Phase.REPORT,
    })


def lineage_note(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if not ctx.workspace:
        text = "lineage: no workspace on this run, nothing to trace"
    else:
        rdf = steward_rdf_path(Path(ctx.workspace).name, ctx.resources.root)
        if rdf.exists():
            when = datetime.fromtimestamp(rdf.stat().st_mtime, UTC).isoformat(timespec="seconds")
            text = f"lineage: {Path(ctx.workspace).name} was last stewarded at {when}; impact paths are in the graph"
        else:
            text = (f"lineage: {Path(ctx.workspace).name} has never been stewarded; run "
                    f"`fractalops steward run {ctx.workspace}` for its datasets and impact paths")
    ctx.emit("advice", text)
    return AgentResult(signal=text, state={"pack_notes": [{"agent": "scribe", "note": text}]})


STEWARD_SPEC = AgentSpec(name="scribe", pack="core", role="RDF steward: datasets, owners, schemas, domain terms",
                         run=steward, intake=intake)
PACK_SPEC = AgentSpec(name="scribe", pack="deep_lineage", role="lineage freshness of the workspace (deep lineage)",
                      run=lineage_note)
