"""signal — telemetry and live signal: closes each run with one live signal line and a chat summary."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.hud import AgentHUD

__all__ = ["SPEC", "run_summary"]


def run_summary(hud: AgentHUD) -> str:
    return (
        f"Route `{hud.route}` ({hud.continuity}). Next: {hud.launch_action}.\n"
        f"Completion proof: {hud.completion_proof}."
    )


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    text = run_summary(hud)
    ctx.emit("run_summary", text)
    return AgentResult(
        signal=f"run finished: proof {hud.completion_proof.split(':', 1)[0]}",
        state={"phase": "done", "messages": [AIMessage(content=text, name="signal")]},
    )


SPEC = AgentSpec(name="signal", pack="core", role="telemetry and the live signal line", run=run)
