"""The steward graph in-process: report to all three outputs, and an unmapped term through the gate."""

from __future__ import annotations

import uuid

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.graphs.steward import build_steward
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.semantics import TermMap
from fractalops.planes.steward import write_sample_project
from fractalops.runtime.resources import squad_resources

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}
BOB = {"identity": "bob", "roles": ["approver"]}


def test_unmapped_term_becomes_a_mapping_proposal_applied_after_edit_and_approval(data_dir, tmp_path):
    project = write_sample_project(tmp_path / "shop", datasets=2, unmapped_term=True)
    steward = build_steward().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}}
    result = steward.invoke({"project_dir": str(project)}, config)
    assert result["result"]["warehouse"]["ok"] and result["result"]["rdf"].endswith(".ttl")
    action = result["__interrupt__"][0].value["action_requests"][0]
    assert action["name"] == "ontology_mapping" and action["args"]["local_term"] == "Widget"
    terms = TermMap("shop", semantics=squad_resources().semantics())
    assert not terms.check_term("Widget").ok, "refused for reuse until the mapping is approved"

    edited = {"name": "ontology_mapping", "args": {**action["args"], "global_iri": "fo:Product"}}
    result = steward.invoke(Command(resume={"decisions": [{"type": "edit", "edited_action": edited}]}), config)
    again = result["__interrupt__"][0].value["action_requests"][0]["args"]
    assert again["global_iri"] == "https://fractalops.dev/ontology#Product"
    # alice edited it, so she counts as its author: another approver decides the edited mapping
    refused = steward.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
    assert "an editor counts as an author" in refused["__interrupt__"][0].value["action_requests"][0]["description"]
    bob = {"configurable": {**config["configurable"], "langgraph_auth_user": BOB}}
    steward.invoke(Command(resume={"decisions": [{"type": "approve"}]}), bob)

    proposal = squad_resources().proposals.get(action["args"]["proposal_id"])
    assert (proposal.requester, proposal.editors, proposal.approved_by) == ("alice", ["alice"], ["bob"])
    assert proposal.status == ProposalStatus.EVIDENCED
    fresh = TermMap("shop", semantics=squad_resources().semantics())
    assert fresh.resolve("Widget") == "https://fractalops.dev/ontology#Product"


def test_bad_mapping_edit_is_refused_and_the_thread_keeps_waiting(data_dir, tmp_path):
    project = write_sample_project(tmp_path / "shop", datasets=1, unmapped_term=True)
    steward = build_steward().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": ALICE}}
    action = steward.invoke({"project_dir": str(project)}, config)["__interrupt__"][0].value["action_requests"][0]
    edited = {"name": "ontology_mapping", "args": {**action["args"], "global_iri": "fo:NotATerm"}}
    result = steward.invoke(Command(resume={"decisions": [{"type": "edit", "edited_action": edited}]}), config)
    assert "not a global domain term" in steward.get_state(config).values["gate_note"]
    assert len(result["__interrupt__"]) == 1
