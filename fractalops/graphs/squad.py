"""The `squad` graph: Core-8 as nodes, extension packs fanned out with `Send`, one gate per proposal batch.

    atlas ─┬─> sentinel (launch contract) ─> mercury ─> forge ─> ontos ─> sentinel (class, ceiling) ─> gate ─> relay
           └─> pack agents (Send, only those enabled by `configurable.packs`)                              │
    relay ─> ontos (lineage) ─> ledger (proof) ─> signal ─> END         blocked ─> access_recovery ─> retry same step

Registered in `langgraph.json` as `squad`; the server supplies the checkpointer and the auth user.
"""

from __future__ import annotations

import warnings
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from langgraph.warnings import LangGraphDeprecatedSinceV10

from fractalops.agents.node import agent_node
from fractalops.agents.registry import CORE_8, PACKS
from fractalops.agents.state import SquadInput, SquadState
from fractalops.graphs._gate import access_recovery, gate
from fractalops.graphs._routes import (
    after_forge,
    after_gate,
    after_ontos,
    after_recovery,
    after_relay,
    after_sentinel,
)

__all__ = ["SquadConfig", "build_squad", "graph"]


class SquadConfig(TypedDict, total=False):
    """`configurable` keys a run or assistant may set (Studio shows them as the assistant's config)."""

    packs: list[str]
    """Extension packs to enable: `design`, `ia_pm`, `qa_support`, `deep_lineage`."""
    bindings: dict[str, str]
    """Agent → asset_id or role in the Armory (e.g. `{"forge": "claude.default"}`)."""


def _after_atlas(state: dict[str, Any]) -> list[Send | str]:
    packs = state.get("packs") or []
    return ["sentinel", *(Send(spec.name, state) for pack in packs for spec in PACKS[pack])]


def build_squad() -> StateGraph:
    with warnings.catch_warnings():
        # The run contract is `configurable.packs`/`.bindings`; config_schema is what lets Studio show them.
        warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
        builder = StateGraph(SquadState, input_schema=SquadInput, config_schema=SquadConfig)
    for spec in CORE_8:
        builder.add_node(spec.name, agent_node(spec))
    for specs in PACKS.values():
        for spec in specs:
            builder.add_node(spec.name, agent_node(spec))
            builder.add_edge(spec.name, END)
    builder.add_node("gate", gate)
    builder.add_node("access_recovery", access_recovery)
    builder.add_edge(START, "atlas")
    builder.add_conditional_edges("atlas", _after_atlas, ["sentinel", *(s.name for p in PACKS.values() for s in p)])
    builder.add_conditional_edges("sentinel", after_sentinel, ["access_recovery", "mercury", "gate"])
    builder.add_edge("mercury", "forge")
    builder.add_conditional_edges("forge", after_forge, ["access_recovery", "ontos"])
    builder.add_conditional_edges("ontos", after_ontos, ["sentinel", "ledger"])
    builder.add_conditional_edges("gate", after_gate, ["relay", "gate"])
    builder.add_conditional_edges("relay", after_relay, ["gate", "ontos"])
    builder.add_conditional_edges("access_recovery", after_recovery, ["access_recovery", "sentinel", "forge", "ledger"])
    builder.add_edge("ledger", "signal")
    builder.add_edge("signal", END)
    return builder


graph = build_squad().compile(name="squad")
