"""The squad graph in-process with a real checkpointer: launch -> interrupt -> decide -> apply."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.errors import UnknownNameError
from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.planes.proposals import ProposalStatus
from fractalops.runtime.resources import squad_resources
from tests.graphs._runs import ALICE
from tests.graphs._runs import run_config as _config

BOB = {"identity": "bob", "roles": ["approver"]}
BOT = {"identity": "ci-bot", "roles": ["agent"]}


def _log(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "log", "--format=%B%x00"], capture_output=True, text=True,
                          check=True).stdout.split("\x00")


@pytest.fixture
def squad():
    return build_squad().compile(checkpointer=InMemorySaver())


def launch(squad, repo: Path, thread: str, user: dict = ALICE, **configurable):
    payload = {"intent": "add a changelog", "workspace": str(repo),
               "changes": [{"path": "src/app.py", "content": "print(\"hello\")\n"}]}
    return squad.invoke(payload, _config(thread, user, bindings={"forge": "native"}, **configurable))


def test_launch_interrupts_once_then_approve_applies_exactly_once(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    result = launch(squad, repo, thread)
    interrupts = result["__interrupt__"]
    assert len(interrupts) == 1
    request = interrupts[0].value
    assert [a["name"] for a in request["action_requests"]] == ["workspace_patch"]
    assert request["review_configs"] == [{"action_name": "workspace_patch", "allowed_decisions": ["approve", "edit", "reject"]}]
    assert not (repo / "src/app.py").exists(), "forge must never write the target"

    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, ALICE))
    assert (repo / "src/app.py").read_text() == "print(\"hello\")\n"
    pid = request["action_requests"][0]["args"]["proposal_id"]
    assert sum(f"Fractalops-Proposal: {pid}" in m for m in _log(repo)) == 1
    proposal = squad_resources().proposals.get(pid)
    assert proposal.status == ProposalStatus.EVIDENCED
    assert [a.identity for a in proposal.approvals] == ["alice"]
    assert proposal.executed and proposal.executed.applied_hash == proposal.content_hash

    state = squad.get_state(_config(thread, ALICE))
    assert state.next == ()
    proof = state.values["summary"]["proof"]
    assert set(proof) == {"graph", "warehouse", "chronicle"}
    assert proof["graph"] == f"https://fractalops.dev/id/proposal/{pid}"
    assert proof["chronicle"].startswith("chronicle://main/")
    assert compile_hud(state.values["summary"], resumed=False).hud.completion_proof.startswith("closed: graph=")


def test_agent_identity_cannot_approve(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    launch(squad, repo, thread)
    result = squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, BOT))
    assert len(result["__interrupt__"]) == 1
    assert "may not decide" in result["__interrupt__"][0].value["action_requests"][0]["description"]
    assert not (repo / "src/app.py").exists()


def test_unknown_pack_is_a_clear_error(squad, repo, data_dir):
    with pytest.raises(UnknownNameError, match="valid packs: deep_lineage, design, ia_pm, qa_support"):
        launch(squad, repo, str(uuid.uuid4()), packs=["nope"])


def test_packs_fan_out(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    result = launch(squad, repo, thread, packs=["design", "deep_lineage"])
    notes = {n["agent"] for n in result["pack_notes"]}
    assert notes == {"aether", "prism", "quill", "scribe"}


def test_moved_target_makes_the_proposal_stale_and_rebased_back_to_review(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    first = launch(squad, repo, thread)["__interrupt__"][0].value["action_requests"][0]["args"]
    (repo / "OTHER.md").write_text("someone else's commit\n")
    subprocess.run(["git", "-C", str(repo), "add", "OTHER.md"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=o", "-c", "user.email=o@o", "commit", "-qm", "other"],
                   check=True)
    result = squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, ALICE))
    again = result["__interrupt__"][0].value["action_requests"][0]
    assert again["args"]["proposal_id"] == first["proposal_id"]
    assert again["args"]["content_hash"] != first["content_hash"], "re-based diff, new hash, new review"
    assert "moved from" in again["description"]
    assert not (repo / "src/app.py").exists(), "never applied onto a moved target without review"
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, ALICE))
    assert (repo / "src/app.py").exists() and (repo / "OTHER.md").exists()
    proposal = squad_resources().proposals.get(first["proposal_id"])
    assert proposal.payload["base_commit"] != proposal.proposed["payload"]["base_commit"]
    assert [a.decision for a in proposal.approvals] == ["approve", "approve"]


def test_a_structured_launch_joins_the_chat_once(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    launch(squad, repo, thread)
    humans = [m.content for m in squad.get_state(_config(thread, ALICE)).values["messages"] if m.type == "human"]
    assert humans == ["add a changelog"]
    both = {"intent": "again", "workspace": str(repo), "messages": [{"type": "human", "content": "again"}]}
    squad.invoke(both, _config(thread, ALICE))
    humans = [m.content for m in squad.get_state(_config(thread, ALICE)).values["messages"] if m.type == "human"]
    assert humans == ["add a changelog", "again"]
