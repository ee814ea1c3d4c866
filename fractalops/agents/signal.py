"""signal — telemetry and live signal: closes each run with one live signal line and a one-sentence chat reply."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from fractalops.hud import AgentHUD, outcome_of
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase

__all__ = ["SPEC", "run_reply"]


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
