"""atlas — intent and routing: reads the run input, compiles the HUD, picks the route and the packs."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from fractalops.hud import AgentHUD, new_summary
from fractalops.runtime import (
    AgentContext,
    AgentResult,
    AgentSpec,
    Phase,
    Route,
    RunOptions,
    intent_from_input,
    validate_run_input,
)

__all__ = ["SPEC"]


def _unanswered_human_text(state: dict[str, Any]) -> str:
    messages = state.get("messages") or []
    if messages and getattr(messages[-1], "type", "") == "human":
        return intent_from_input({"messages": messages[-1:]})
    return ""


def thread_options(state: dict[str, Any], options: RunOptions) -> dict[str, Any]:
    """The packs and bindings the thread runs with: those this launch names (validated), else the thread's own."""
    from fractalops.agents.registry import check_agent_names, resolve_packs  # the registry imports atlas

    packs = resolve_packs(options.packs) if options.packs is not None else list(state.get("packs") or [])
    bindings = options.bindings if options.bindings is not None else dict(state.get("bindings") or {})
    check_agent_names(bindings, where="run option bindings")
    return {"packs": packs, "bindings": bindings}


def intake(state: dict[str, Any], ctx: AgentContext, options: RunOptions) -> dict[str, Any]:
    """Consume the run input: validate it, move `changes` out of state into the payload store, set continuity."""
    validate_run_input({k: state[k] for k in ("intent", "workspace", "changes") if k in state})
    kept = thread_options(state, options)
    previous = state.get("summary")
    structured = (state.get("intent") or "").strip()
    intent = structured or _unanswered_human_text(state) or (previous or {}).get("intent", "")
    changes = state.get("changes") or []
    changes_ref = ctx.resources.put_payload(changes) if changes else ""
    summary = dict(previous) if previous else dict(new_summary(intent))
    summary.update(
        intent=intent[:400],
        route=Route.CHANGE if changes_ref else Route.OBSERVE,
        runs=int(summary.get("runs", 0)) + 1,
        launch_contract="pending",
        blocked_on=[],
        proposals_pending=0,
        proof={},
        outcome="",
        bindings_note="",
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
        "phase": Phase.LAUNCH,
        "proposal_ids": [],
        "gate_note": "",
        "blocked": {},
        "workspace": state.get("workspace") or "",
        **kept,
    }


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    packs = ctx.packs
    pack_text = f"; packs {', '.join(packs)}" if packs else ""
    return AgentResult(signal=f"routed `{hud.route}` ({hud.continuity}){pack_text}")


SPEC = AgentSpec(name="atlas", pack="core", role="intent and routing: compiles the HUD, chooses route and packs",
                 run=run, intake=intake)
