"""The telemetry_mapping graph in-process: quarantined unknown names → proposals → the gate → applied → replay."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.graphs.telemetry_mapping import build_telemetry_mapping
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.semantics import FO, TermMap
from fractalops.planes.telemetry import TelemetryIntake
from fractalops.planes.warehouse import close_warehouse, get_warehouse
from fractalops.runtime.resources import squad_resources

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}
BOB = {"identity": "bob", "roles": ["approver"]}


@pytest.fixture
def intake(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", json.dumps({"phc_shop": "shop"}))
    resources = squad_resources()
    yield TelemetryIntake(resources.root, warehouse=get_warehouse, artifacts=lambda: resources.chronicle().artifacts,
                          semantics=resources.semantics)
    close_warehouse()


def _send(intake: TelemetryIntake, *names: str) -> None:
    events = [{"uuid": str(uuid.uuid4()), "event": n, "distinct_id": "u", "timestamp": "2026-01-01T00:00:00Z"}
              for n in names]
    intake.posthog(json.dumps({"api_key": "phc_shop", "batch": events}).encode())


def test_each_unknown_name_becomes_one_mapping_proposal_and_replay_classifies_it(intake: TelemetryIntake) -> None:
    _send(intake, "checkout_done", "checkout_done", "search_run", "$pageview")
    graph = build_telemetry_mapping().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}}
    result = graph.invoke({"project": "shop", "mappings": {"checkout_done": "fo:Purchase"}}, config)
    actions = result["__interrupt__"][0].value["action_requests"]
    assert [(a["name"], a["args"]["local_term"], a["args"]["global_iri"]) for a in actions] == [
        ("ontology_mapping", "checkout_done", str(FO.Purchase))]
    assert result["result"]["proposals"][0]["waiting"] == 2

    graph.invoke(Command(resume={"decisions": [{"type": "approve"}]}),
                 {"configurable": {**config["configurable"], "langgraph_auth_user": BOB}})
    proposal = squad_resources().proposals.get(actions[0]["args"]["proposal_id"])
    assert proposal.status == ProposalStatus.EVIDENCED and proposal.author_agent == "signal"
    assert proposal.executed.commit.startswith("semantics:terms/shop#checkout_done=")
    assert TermMap("shop", semantics=squad_resources().semantics()).resolve("checkout_done") == str(FO.Purchase)

    replay = intake.replay()
    assert (replay["classified"], replay["still_quarantined"]) == (2, 1)
    assert replay["stats"]["posthog"] == {"received": 4, "stored": 3, "quarantined": 1, "duplicates": 0, "refused": 0}

    again = build_telemetry_mapping().compile(checkpointer=InMemorySaver()).invoke(
        {"project": "shop"}, {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}})
    suggested = again["__interrupt__"][0].value["action_requests"]
    assert [a["args"]["local_term"] for a in suggested] == ["search_run"], "only what still waits"
    third = build_telemetry_mapping().compile(checkpointer=InMemorySaver()).invoke(
        {"project": "shop"}, {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}})
    assert "__interrupt__" not in third
    assert third["result"]["skipped"] == [{"project": "shop", "local_term": "search_run",
                                           "why": "a mapping proposal for it is already open"}]


def test_bad_input_is_refused_before_anything_is_proposed(intake: TelemetryIntake) -> None:
    from fractalops.errors import ConfigError

    graph = build_telemetry_mapping().compile(checkpointer=InMemorySaver())
    for bad, fragment in (({"mappings": {"x": "fo:Purchase"}}, "needs input.project"),
                          ({"project": "shop", "mappings": {"x": "fo:NoSuchTerm"}}, "not a global domain term"),
                          ({"project": "no spaces"}, "not a project name")):
        with pytest.raises(ConfigError, match=fragment):
            graph.invoke(bad, {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}})
    assert squad_resources().proposals.list() == []
