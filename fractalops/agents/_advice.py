"""Private: the shape shared by pack agents whose default output is advice added to the batch."""

from __future__ import annotations

from collections.abc import Callable

from fractalops.hud import AgentHUD
from fractalops.runtime import AgentContext, AgentResult, AgentSpec

__all__ = ["advice_spec"]


def advice_spec(name: str, pack: str, role: str, note: Callable[[AgentHUD], str]) -> AgentSpec:
    def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
        text = note(hud)
        ctx.emit("advice", text)
        return AgentResult(signal=text, state={"pack_notes": [{"agent": name, "note": text}]})

    return AgentSpec(name=name, pack=pack, role=role, run=run)
