"""The `squad` graph: the Core-8 squad's jobs as nodes, extension packs fanned out with `Send`, one gate per batch.

    atlas ─┬─> sentinel_launch ─> mercury ─> forge ─> ontos_identity ─> sentinel_review ─> gate ─> relay
           └─> pack agents (Send, only the packs the thread enables)                               │
    relay ─> ontos_lineage ─> ledger ─> signal ─> END        blocked ─> access_recovery ─> retry the same step

Every branch routes on the phase its node set (`runtime.phases`). Registered in `langgraph.json` as `squad`;
the server supplies the checkpointer and the auth user.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from fractalops.agents import PACKS, SQUAD_JOBS
from fractalops.runtime import (
    TRANSITIONS,
    AgentSpec,
    SquadContext,
    SquadInput,
    SquadOutput,
    SquadState,
    agent_node,
    next_node,
    successors,
)

__all__ = ["build_squad", "build_review_graph", "graph", "add_routed_edges"]

_FIXED_EDGES = (("mercury", "forge"), ("ontos_identity", "sentinel_review"), ("sentinel_review", "gate"),
                ("ontos_lineage", "ledger"), ("ledger", "signal"), ("signal", END))


def _after_atlas(state: dict[str, Any]) -> list[Send | str]:
    return ["sentinel_launch", *(Send(spec.name, state) for pack in state.get("packs") or [] for spec in PACKS[pack])]


def add_routed_edges(builder: StateGraph, nodes: list[str]) -> None:
    """Conditional edges for every branching node present, each limited to the successors its phases allow."""
    for name in nodes:
        if name in TRANSITIONS:
            builder.add_conditional_edges(name, partial(next_node, name), successors(name))


_REVIEW_TAIL = (("sentinel_review", "gate"), ("ontos_lineage", "ledger"), ("ledger", "signal"), ("signal", END))


def build_review_graph(state: type, input_schema: type, output_schema: type, jobs: Sequence[AgentSpec]) -> StateGraph:
    """A proposer (the first job) followed by the squad's review tail: sentinel_review -> gate -> relay ->
    ontos_lineage -> ledger -> signal, with the same agents, phases and routed edges as the squad."""
    builder = StateGraph(state, input_schema=input_schema, output_schema=output_schema, context_schema=SquadContext)
    for spec in jobs:
        builder.add_node(spec.name, agent_node(spec))
    builder.add_edge(START, jobs[0].name)
    for source, target in _REVIEW_TAIL:
        builder.add_edge(source, target)
    add_routed_edges(builder, [spec.name for spec in jobs])
    return builder


def build_squad() -> StateGraph:
    builder = StateGraph(SquadState, input_schema=SquadInput, output_schema=SquadOutput, context_schema=SquadContext)
    for spec in SQUAD_JOBS:
        builder.add_node(spec.name, agent_node(spec))
    pack_nodes = [spec.name for specs in PACKS.values() for spec in specs]
    for specs in PACKS.values():
        for spec in specs:
            builder.add_node(spec.name, agent_node(spec))
            builder.add_edge(spec.name, END)
    builder.add_edge(START, "atlas")
    builder.add_conditional_edges("atlas", _after_atlas, ["sentinel_launch", *pack_nodes])
    for source, target in _FIXED_EDGES:
        builder.add_edge(source, target)
    add_routed_edges(builder, [spec.name for spec in SQUAD_JOBS])
    return builder


graph = build_squad().compile(name="squad")
