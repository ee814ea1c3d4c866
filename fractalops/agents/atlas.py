"""atlas — intent and routing: reads the run input, compiles the HUD, picks the route and the packs."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from fractalops.agents._input import intent_from_input, validate_run_input
from fractalops.agents.spec import AgentContext, AgentResult, AgentSpec
from fractalops.hud import AgentHUD, new_summary

__all__ = ["SPEC"]


def _unanswered_human_text(state: dict[str, Any]) -> str:
    messages = state.get("messages") or []
    if messages and getattr(messages[-1], "type", "") == "human":
        return intent_from_input({"messages": messages[-1:]})
    return ""


def intake(state: dict[str, Any], ctx: AgentContext) -> dict[str, Any]:
    """Consume the run input: validate it, move `changes` out of state into the payload store, set continuity."""
    validate_run_input({k: state[k] for k in ("intent", "workspace", "changes") if k in state})
    previous = state.get("summary")
    structured = (state.get("intent") or "").strip()
    intent = structured or _unanswered_human_text(state) or (previous or {}).get("intent", "")
    changes = state.get("changes") or []
    changes_ref = ctx.resources.put_payload(changes) if changes else ""
    summary = dict(previous) if previous else dict(new_summary(intent))
    summary.update(
        intent=intent[:400],
        route="change" if changes_ref else "observe",
        runs=int(summary.get("runs", 0)) + 1,
        launch_contract="pending",
        blocked_on=[],
        proposals_pending=0,
        proof={},
    )
    # A structured launch joins the thread's chat too, so chat clients (Agent Chat UI) show what was asked.
    asked = structured and structured != _unanswered_human_text(state).strip()
    said = {"messages": [HumanMessage(content=structured)]} if asked else {}
    return {
        **said,
        "summary": summary,
        "resumed": previous is not None,
        "intent": "",
        "changes": [],
        "changes_ref": changes_ref,
        "route": summary["route"],
        "phase": "launch",
        "proposal_ids": [],
        "gate_note": "",
        "blocked": {},
        "workspace": state.get("workspace") or "",
        "packs": ctx.configurable.get("packs_resolved", []),
    }


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    packs = ctx.configurable.get("packs_resolved", [])
    pack_text = f"; packs {', '.join(packs)}" if packs else ""
    return AgentResult(signal=f"routed `{hud.route}` ({hud.continuity}){pack_text}")


SPEC = AgentSpec(name="atlas", pack="core", role="intent and routing: compiles the HUD, chooses route and packs",
                 run=run, intake=intake)
