"""Private: the shape shared by pack agents whose output is a review note added to the batch the human sees.

Each pack agent has a deterministic note (no model). Bound to a `chat_model` asset, it asks that model for the note
instead (the model sees the task, the route and the deterministic note); if the model fails, the deterministic note
stands and says so. Notes carry the run number, so the gate shows the reviewer exactly this run's notes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from fractalops.errors import AccessBlockedError, ConfigError, ModelRunError
from fractalops.hud import AgentHUD
from fractalops.runtime import AgentContext, AgentResult, AgentSpec

__all__ = ["advice_spec", "MAX_NOTE_CHARS"]

MAX_NOTE_CHARS = 600
"""Longest note kept (state stays compact; the reviewer reads it in the gate's description)."""


def _model_note(asset: Any, name: str, role: str, hud: AgentHUD, ctx: AgentContext, rule_note: str) -> str:
    # model clients load only when a pack agent is bound to one
    from fractalops.adapters.chat_model import open_chat_model, text_answer

    prompt = [
        SystemMessage(content=f"You are {name}, the {role} reviewer of a governed software squad. Write one short "
                              "review note (at most three sentences) for the human who approves this run's change."),
        HumanMessage(content=f"Task: {ctx.task or hud.intent}\nRoute: {hud.route}\nThe squad's rule of thumb: "
                             f"{rule_note}"),
    ]
    try:
        text = text_answer(open_chat_model(asset, secrets_backend=ctx.resources.secrets()), prompt)
    except (AccessBlockedError, ModelRunError, ConfigError) as exc:
        return f"{rule_note} (model {asset.asset_id} unavailable: {str(exc)[:120]})"
    return text or f"{rule_note} (model {asset.asset_id} answered nothing)"


def advice_spec(name: str, pack: str, role: str, note: Callable[[AgentHUD], str]) -> AgentSpec:
    def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
        text = note(hud)
        asset = ctx.resources.armory().bind(name, ctx.binding(name))
        if asset.kind == "chat_model":
            text = _model_note(asset, name, role, hud, ctx, text)
        text = text[:MAX_NOTE_CHARS]
        ctx.emit("advice", text, by=asset.asset_id)
        return AgentResult(signal=text, state={"pack_notes": [{"agent": name, "note": text, "run": ctx.run,
                                                               "by": asset.asset_id}]})

    return AgentSpec(name=name, pack=pack, role=role, run=run)
