"""atlas — intent and routing: reads the run input, compiles the HUD, picks the route and the packs."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from fractalops.agents._plan import MAX_TASK_CHARS, RoutePlan, model_plan, rule_route
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


def plan_run(ctx: AgentContext, *, intent: str, mode: str, changes: bool, workspace: str,
             bindings: dict[str, str]) -> RoutePlan:
    """The route, forge's task and any packs for this run, from the thread's effective bindings and the Armory.

    A fresh intent with atlas bound to a chat model is planned by that model (within what the rule allows).
    """
    armory = ctx.resources.armory()
    forge = armory.bind("forge", bindings.get("forge"))
    route, why = rule_route(mode=mode, changes=changes, workspace=workspace, intent=intent, forge=forge)
    task = intent[:MAX_TASK_CHARS]
    atlas = armory.bind("atlas", bindings.get("atlas"))
    if atlas.kind != "chat_model" or not intent or mode == "observe":
        return RoutePlan(route=route, task=task, route_note=why)
    plan, note = model_plan(atlas, intent, route, ctx.resources.secrets())
    if plan is None:
        return RoutePlan(route=route, task=task, route_note=why, plan_note=note)
    planned = Route(plan.route)
    return RoutePlan(route=planned, task=plan.task if planned == Route.CHANGE else task, packs=plan.packs,
                     route_note=why or ("atlas's plan: the request asks for no change" if planned != route else ""),
                     plan_note=note)


def intake(state: dict[str, Any], ctx: AgentContext, options: RunOptions) -> dict[str, Any]:
    """Consume the run input: validate it, move `changes` out of state into the payload store, set continuity."""
    validate_run_input({k: state[k] for k in ("intent", "workspace", "changes", "mode") if state.get(k) is not None})
    kept = thread_options(state, options)
    previous = state.get("summary")
    structured = (state.get("intent") or "").strip()
    intent = structured or _unanswered_human_text(state) or (previous or {}).get("intent", "")
    changes = state.get("changes") or []
    changes_ref = ctx.resources.put_payload(changes) if changes else ""
    workspace = state.get("workspace") or ""
    plan = plan_run(ctx, intent=intent, mode=str(state.get("mode") or "auto"), changes=bool(changes),
                    workspace=workspace, bindings=kept["bindings"])
    kept["packs"] = [*kept["packs"], *(p for p in plan.packs if p not in kept["packs"])]
    summary = dict(previous) if previous else dict(new_summary(intent))
    summary.update(
        intent=intent[:400],
        route=plan.route,
        route_note=plan.route_note,
        plan_note=plan.plan_note,
        model_usage={},
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
        "mode": "",
        "changes_ref": changes_ref,
        "task": plan.task,
        "route": summary["route"],
        "phase": Phase.LAUNCH,
        "proposal_ids": [],
        "gate_note": "",
        "blocked": {},
        "workspace": workspace,
        **kept,
    }


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    packs = ctx.packs
    pack_text = f"; packs {', '.join(packs)}" if packs else ""
    return AgentResult(signal=f"routed `{hud.route}` ({hud.continuity}){pack_text}")


SPEC = AgentSpec(name="atlas", pack="core", role="intent and routing: compiles the HUD, chooses route and packs",
                 run=run, intake=intake)
