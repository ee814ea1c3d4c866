"""ontos — semantics: gives proposals and applied changes their global semantic identity and lineage."""

from __future__ import annotations

from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.hud import AgentHUD

__all__ = ["SPEC"]


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if ctx.phase == "semantics":
        ctx.emit("semantics", f"{len(ctx.proposal_ids)} proposal(s) await semantic identity after apply")
        return AgentResult(signal="proposals tagged for semantic identity", state={"phase": "classify"})
    return AgentResult(signal="no semantic identity recorded: the semantics plane is not wired yet",
                       state={"phase": "prove"})


SPEC = AgentSpec(name="ontos", pack="core", role="semantics: global ontology ids, SHACL, graph lineage", run=run)
