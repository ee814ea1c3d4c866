"""Private: how atlas routes a run — the deterministic rule, and a chat model's plan when atlas is bound to one.

The rule: `mode: observe` → observe; `changes` sent → change; no workspace → observe; forge on an asset that builds
from an intent (codex, claude, zai, chat_model) → change; otherwise observe, saying what forge is bound to.

A model plan (route, packs, a task statement for forge) is structured output validated by pydantic. It may narrow the
run (change → observe for a question, extra packs, a sharper task) but never widen it: a plan for `change` where the
rule says observe, an unknown pack, or any failure of the model falls back to the rule, and `plan_note` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, field_validator

from fractalops.errors import AccessBlockedError, ConfigError, ModelRunError
from fractalops.runtime import Route

__all__ = ["AtlasPlan", "RoutePlan", "rule_route", "model_plan", "MAX_TASK_CHARS"]

MAX_TASK_CHARS = 8000
"""Longest task statement kept for forge (state stays compact; the intent itself is capped the same way)."""

_PROMPT = (
    "You are atlas, the router of a governed software squad. Read the request and answer with an AtlasPlan: "
    "`route` is `change` when the request asks for a change to the repository, `observe` when it only asks a "
    "question or to look; `packs` lists extension packs worth running (design, ia_pm, qa_support, deep_lineage), "
    "usually none; `task` restates the request as a precise, self-contained task for the builder."
)


class AtlasPlan(BaseModel):
    """atlas's plan for one run, as a chat model must answer it."""

    model_config = ConfigDict(extra="forbid")

    route: Literal["change", "observe"]
    """`change` to build and propose, `observe` to look read-only."""
    packs: list[str] = Field(default_factory=list)
    """Extension packs to run beside the squad (names from the registry)."""
    task: str = Field(min_length=1, max_length=MAX_TASK_CHARS)
    """The task statement forge builds from."""

    @field_validator("packs")
    @classmethod
    def _known_packs(cls, value: list[str]) -> list[str]:
        from fractalops.agents.registry import resolve_packs  # the registry imports atlas

        try:
            return resolve_packs(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class RoutePlan:
    """What atlas decided for the run."""

    route: Route
    """The route the run takes."""
    task: str
    """What forge builds from (the plan's task, else the full intent)."""
    packs: list[str] = field(default_factory=list)
    """Packs the plan adds to the thread's."""
    route_note: str = ""
    """Why the run observes (empty on change)."""
    plan_note: str = ""
    """How the model plan went (empty when atlas has no model)."""


def rule_route(*, mode: str, changes: bool, workspace: str, intent: str, forge: Any) -> tuple[Route, str]:
    """The deterministic route and, for observe, why."""
    if mode == "observe":
        return Route.OBSERVE, "the input asked for mode observe"
    if changes:
        return Route.CHANGE, ""
    if not workspace or not intent:
        return Route.OBSERVE, ""  # forge's outcome says what was missing
    if forge.builds_from_intent:
        return Route.CHANGE, ""
    return Route.OBSERVE, (f"forge on {forge.asset_id} builds only from `changes`: send changes, or bind forge to "
                           "codex, claude, zai or a chat_model asset")


def model_plan(asset: Any, intent: str, rule: Route, secrets: Any) -> tuple[AtlasPlan | None, str]:
    """Ask atlas's chat model for a plan; `(plan, note)`, or `(None, why it is not used)`."""
    from fractalops.adapters.chat_model import open_chat_model, structured_answer

    try:
        model = open_chat_model(asset, secrets_backend=secrets)
        plan, why = structured_answer(model, AtlasPlan, [SystemMessage(content=_PROMPT), HumanMessage(content=intent)])
    except (AccessBlockedError, ModelRunError, ConfigError) as exc:
        return None, f"atlas's model {asset.asset_id} gave no plan ({str(exc)[:160]}); the deterministic route stands"
    if plan is None:
        return None, f"{why}; the deterministic route stands"
    assert isinstance(plan, AtlasPlan)
    if plan.route == Route.CHANGE and rule == Route.OBSERVE:
        return None, "the model planned `change` where the rule says observe; the deterministic route stands"
    return plan, f"planned by {asset.asset_id}: {plan.route}" + (f", packs {', '.join(plan.packs)}" if plan.packs else "")
