"""A run that ends says how it ended: the HUD's launch action and a one-sentence chat reply agree."""

from __future__ import annotations

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.runtime.resources import squad_resources

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}


@pytest.fixture
def squad():
    return build_squad().compile(checkpointer=InMemorySaver())


def _config(thread: str, **configurable) -> dict:
    return {"configurable": {"thread_id": thread, "langgraph_auth_user": ALICE, **configurable}}


def _ended(squad, thread: str) -> tuple[str, str]:
    values = squad.get_state(_config(thread)).values
    hud = compile_hud(values["summary"], resumed=bool(values.get("resumed"))).hud
    assert squad_resources().outbox.projection(thread)["hud"]["launch_action"] == hud.launch_action
    return hud.launch_action, values["messages"][-1].content


def _launch(squad, repo, thread: str, changes: list[dict]) -> dict:
    return squad.invoke({"intent": "add a page", "workspace": str(repo), "changes": changes}, _config(thread))


def test_rejected_states_the_reviewers_message(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    _launch(squad, repo, thread, [{"path": "src/page.py", "content": "PAGE = 1\n"}])
    squad.invoke(Command(resume={"decisions": [{"type": "reject", "message": "wrong folder"}]}), _config(thread))
    action, reply = _ended(squad, thread)
    assert action.startswith("done: prop_") and "rejected by alice: wrong folder; nothing was applied" in action
    assert reply.endswith("rejected by alice: wrong folder; nothing was applied.")
    assert "forge: build" not in action


def test_applied_and_proven(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    _launch(squad, repo, thread, [{"path": "src/page.py", "content": "PAGE = 1\n"}])
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
    action, reply = _ended(squad, thread)
    assert action.startswith("done: applied prop_") and "and proven: graph, warehouse and Chronicle" in action
    assert reply.startswith("Applied prop_") and reply.endswith(".")


def test_nothing_to_build_when_the_change_is_already_there(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    result = _launch(squad, repo, thread, [{"path": "README.md", "content": (repo / "README.md").read_text()}])
    assert "__interrupt__" not in result
    action, reply = _ended(squad, thread)
    assert action == "done: nothing to build: the workspace diff is empty, so no proposal was made"
    assert reply == "Nothing to build: the workspace diff is empty, so no proposal was made."


def test_a_chat_message_gets_a_sentence_not_hud_text(squad, data_dir):
    thread = str(uuid.uuid4())
    squad.invoke({"messages": [{"type": "human", "content": "how are we doing?"}]}, _config(thread))
    action, reply = _ended(squad, thread)
    assert reply == "Observed only: no workspace was given, so nothing was built or changed."
    assert "Route `" not in reply


def test_the_thread_keeps_its_bindings_and_notes_a_resume_naming_others(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    changes = [{"path": "src/page.py", "content": "PAGE = 1\n"}]
    squad.invoke({"intent": "x", "workspace": str(repo), "changes": changes},
                 _config(thread, bindings={"forge": "native"}, packs=["design"]))
    state = squad.get_state(_config(thread)).values
    assert state["bindings"] == {"forge": "native"} and state["packs"] == ["design"]
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}),
                 _config(thread, bindings={"forge": "workspace.default"}))
    values = squad.get_state(_config(thread)).values
    assert values["bindings"] == {"forge": "native"}
    diagnostics = squad_resources().outbox.diagnostics(thread)
    assert "workspace.default" in diagnostics["bindings_note"] and "keeps {'forge': 'native'}" in diagnostics["bindings_note"]
    assert values["summary"]["launch_asset"] == "native"
