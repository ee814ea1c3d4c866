"""signal — telemetry and live signal, as two jobs.

`SPEC` closes each run with one live signal line and a one-sentence chat reply. `MAPPING_SPEC` is the
`telemetry_mapping` graph's entry job: every local name the telemetry intake quarantined as unknown (a custom PostHog
event, an unconventional span name) becomes an `ontology_mapping` proposal for the gate — to the term the run input
names, else to the closest global term as a suggestion a reviewer may edit. Once relay applied it, a replay of the
quarantine (`fractalops telemetry replay-quarantine`) classifies what waited.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from fractalops.errors import ConfigError
from fractalops.hud import AgentHUD, new_summary, outcome_of
from fractalops.identity import is_project_name
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.semantics import TermMap
from fractalops.planes.semantics.ontology import is_global_term
from fractalops.planes.semantics.terms import expand_global_iri, suggest_global_term
from fractalops.planes.telemetry import TelemetryStore
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase, Route, RunOptions

__all__ = ["SPEC", "MAPPING_SPEC", "run_reply", "mapping_intake"]


def run_reply(hud: AgentHUD) -> str:
    """What happened, as a person would say it (the HUD's outcome; else its next action)."""
    sentence = outcome_of(hud) or f"Next: {hud.launch_action}"
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    text = run_reply(hud)
    ctx.emit("run_summary", text)
    return AgentResult(
        signal=f"run finished: proof {hud.completion_proof.split(':', 1)[0]}",
        state={"phase": Phase.DONE, "messages": [AIMessage(content=text, name="signal")]},
    )


SPEC = AgentSpec(name="signal", pack="core", role="telemetry, the live signal line and the run's chat reply", run=run)



# -- the telemetry mapping loop ------------------------------------------------------------------------------------

_OPEN = (ProposalStatus.PROPOSED, ProposalStatus.IN_REVIEW, ProposalStatus.APPROVED, ProposalStatus.PUBLISHED)


def _mapping_input(state: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    project, mappings = state.get("project") or None, state.get("mappings") or {}
    if project is not None and not is_project_name(project):
        raise ConfigError(f"input.project {project!r} is not a project name (1-128 letters, digits, '_', '.' or '-')")
    if not isinstance(mappings, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v
                                                 for k, v in mappings.items()):
        raise ConfigError('input.mappings must be an object of "<local name>": "fo:<GlobalTerm>"')
    if mappings and project is None:
        raise ConfigError("input.mappings needs input.project: a local name is local to one project")
    for name, term in mappings.items():
        if not is_global_term(expand_global_iri(term)):
            raise ConfigError(f"input.mappings[{name!r}] = {term!r} is not a global domain term (fo:DomainTerm) of "
                              "the ontology")
    return project, dict(mappings)


def mapping_intake(state: dict[str, Any], ctx: AgentContext, options: RunOptions) -> dict[str, Any]:
    """Input `{"project": <name> | None, "mappings": {"<local name>": "fo:<Term>"} | None}`; kept in the payload
    store (state carries its ref, as for a squad run's changes)."""
    project, mappings = _mapping_input(state)
    summary = dict(new_summary(f"map quarantined telemetry names of {project or 'every project'} to the ontology"))
    summary.update(runs=1, route=Route.CHANGE, launch_kind="native", launch_asset="telemetry")
    ref = ctx.resources.put_payload({"project": project, "mappings": mappings})
    return {"summary": summary, "workspace": "", "changes_ref": ref, "phase": Phase.CLASSIFY, "route": Route.CHANGE,
            "resumed": False, "proposal_ids": [], "bindings": dict(options.bindings or {}), "packs": []}


def _open_mappings(ctx: AgentContext) -> set[tuple[str, str]]:
    """(project, local term) of every ontology mapping still on its way through the gate, on any thread."""
    out = set()
    for p in ctx.resources.proposals.list():
        if p.kind == "ontology_mapping" and p.status in _OPEN:
            content = p.payload.get("content", {})
            out.add((str(content.get("project")), str(content.get("local_term"))))
    return out


def _wanted(ctx: AgentContext, project: str | None, mappings: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(project, name) → {"sources", "waiting", "term"} for every name to propose."""
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for name, term in mappings.items():
        wanted[(str(project), name)] = {"sources": [], "waiting": 0, "term": term}
    for proj, source, name, waiting in TelemetryStore.in_data_dir(ctx.resources.root).unknown_names(project):
        if mappings and name not in mappings:
            continue
        entry = wanted.setdefault((proj, name), {"sources": [], "waiting": 0, "term": None})
        entry["sources"].append(source)
        entry["waiting"] += waiting
    return wanted


def propose_mappings(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    given = ctx.resources.get_payload(ctx.changes_ref) if ctx.changes_ref else {}
    project, mappings = _mapping_input(given)
    already = _open_mappings(ctx)
    proposal_ids, proposed, skipped = [], [], []
    for (proj, name), entry in sorted(_wanted(ctx, project, mappings).items()):
        terms = TermMap(proj, semantics=ctx.resources.semantics())
        if (proj, name) in already:
            skipped.append({"project": proj, "local_term": name, "why": "a mapping proposal for it is already open"})
            continue
        if terms.check_term(name).ok:
            skipped.append({"project": proj, "local_term": name, "why": "it maps already; replay the quarantine"})
            continue
        payload = terms.propose_mapping(name, entry["term"] or suggest_global_term(name))
        waiting = f"; {entry['waiting']} quarantined {'/'.join(entry['sources'])} item(s) wait for it" if entry[
            "waiting"] else ""
        p = ctx.resources.proposals.create(
            thread_id=ctx.thread_id, author_agent="signal", requester=ctx.requester.identity if ctx.requester else "",
            kind=payload["kind"], target=payload["target"], title=payload["summary"] + waiting, payload=payload,
            idempotency_key=f"{ctx.run}:{proj}:{name}",
        )
        ctx.emit("mapping_proposed", p.title, proposal_id=p.id)
        proposal_ids.append(p.id)
        proposed.append({"proposal_id": p.id, "project": proj, "local_term": name,
                         "global_iri": payload["content"]["global_iri"], "waiting": entry["waiting"]})
    result = {"proposals": proposed, "skipped": skipped}
    signal = f"{len(proposal_ids)} telemetry name(s) proposed for mapping, {len(skipped)} skipped"
    summary = {} if proposal_ids else {"outcome": "no unknown telemetry name needs a mapping proposal"
                                                  + (f" ({len(skipped)} skipped)" if skipped else "")}
    return AgentResult(signal=signal, summary=summary, state={
        "proposal_ids": proposal_ids, "result": result, "phase": Phase.CLASSIFY if proposal_ids else Phase.REPORT})


MAPPING_SPEC = AgentSpec(name="signal_mapping", agent="signal", pack="core",
                         role="telemetry: propose ontology mappings for the quarantine's unknown names",
                         run=propose_mappings, intake=mapping_intake)
