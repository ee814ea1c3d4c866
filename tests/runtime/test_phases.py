"""The squad's state machine as types: every branch routes on a `Phase`, and only to the phases its node allows."""

from __future__ import annotations

import pytest

from fractalops.errors import IllegalPhaseError
from fractalops.graphs.squad import graph as squad
from fractalops.graphs.steward import graph as steward
from fractalops.runtime import NEXT_NODE, TRANSITIONS, Phase, next_node, successors


def test_every_phase_names_a_node_of_the_squad():
    nodes = set(squad.get_graph().nodes)
    assert set(NEXT_NODE) == set(Phase)
    assert {n for p, n in NEXT_NODE.items() if p is not Phase.DONE} <= nodes


def test_a_branch_routes_to_the_node_its_phase_names():
    assert next_node("forge", {"phase": "identify"}) == "ontos_identity"
    assert next_node("gate", {"phase": "apply"}) == "relay"
    assert next_node("access_recovery", {"phase": "build"}) == "mercury"


@pytest.mark.parametrize(("node", "phase"), [("forge", "apply"), ("gate", "done"), ("relay", "blocked")])
def test_a_phase_the_node_may_not_set_is_an_error(node, phase):
    with pytest.raises(IllegalPhaseError, match=f"{node} may hand over to phases"):
        next_node(node, {"phase": phase})


def test_an_unknown_phase_is_an_error_naming_the_phases():
    with pytest.raises(IllegalPhaseError, match="unknown phase 'semantics'"):
        next_node("forge", {"phase": "semantics"})


def test_graphs_draw_exactly_the_allowed_branches():
    for graph in (squad, steward):
        drawn = graph.get_graph()
        for node in TRANSITIONS:
            # `scribe` branches in the steward graph; in the squad the same name is its deep-lineage pack job.
            if node not in drawn.nodes or (graph is squad and node == "scribe"):
                continue
            targets = {e.target for e in drawn.edges if e.source == node and e.conditional}
            assert targets == set(successors(node)), node
