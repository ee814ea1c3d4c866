"""mercury — dispatch and messaging: announces the launch action and sends compact summaries (refs only)."""

from __future__ import annotations

from fractalops.hud import AgentHUD
from fractalops.runtime import AgentContext, AgentResult, AgentSpec

__all__ = ["SPEC"]


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    ctx.emit("dispatch", hud.launch_action, thread_ref=f"thread:{ctx.thread_id}", route=hud.route)
    return AgentResult(signal=f"dispatched: {hud.launch_action}")


SPEC = AgentSpec(name="mercury", pack="core", role="dispatch and messaging through the Armory", run=run)
