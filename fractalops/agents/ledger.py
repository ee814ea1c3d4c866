"""ledger — proof: decides whether the proof path (graph + warehouse + Chronicle) is closed."""

from __future__ import annotations

from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.hud import AgentHUD

__all__ = ["SPEC"]


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    return AgentResult(signal=f"proof path {hud.completion_proof}", summary={"proof": {}})


SPEC = AgentSpec(name="ledger", pack="core", role="proof: warehouse facts, Chronicle evidence, closure", run=run)
