"""The people around a proposal, in-process through the squad: who asked, who edited, who may approve.

Regressions of issue 9's probe: (3) every thread gets its own proposal, (4) an edit that writes
`.github/workflows/evil.yml` is re-classed (or refused above the author's ceiling) and one approver alone cannot
apply it, (5) a human-launched run records the human as its requester.
"""

from __future__ import annotations

import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.graphs.squad import build_squad
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.proposals.ids import PROPOSAL_ID_PATTERN
from fractalops.runtime.resources import squad_resources
from tests.graphs._runs import ALICE
from tests.graphs._runs import run_config as _config

BOB = {"identity": "bob", "roles": ["approver"]}
CAROL = {"identity": "carol", "roles": ["approver"]}
BOT = {"identity": "ci-bot", "roles": ["agent"]}
EVIL = (
    "diff --git a/src/app.py b/src/app.py\nnew file mode 100644\n--- /dev/null\n+++ b/src/app.py\n@@ -0,0 +1 @@\n"
    "+print(\"hello\")\n"
    "diff --git a/.github/workflows/evil.yml b/.github/workflows/evil.yml\nnew file mode 100644\n--- /dev/null\n"
    "+++ b/.github/workflows/evil.yml\n@@ -0,0 +1 @@\n+on: push\n"
)


@pytest.fixture
def squad():
    return build_squad().compile(checkpointer=InMemorySaver())


@pytest.fixture
def elevated_forge(tmp_path, monkeypatch) -> str:
    """An Armory whose `native.elevated` asset may author elevated proposals."""
    path = tmp_path / "armory.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "assets": [
        {"asset_id": "native.elevated", "role": "builder", "kind": "native", "ceiling": "elevated"}]}))
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    return "native.elevated"


def launch(squad, repo: Path, thread: str, user: dict = ALICE, forge: str = "native") -> dict:
    payload = {"intent": "add an app", "workspace": str(repo),
               "changes": [{"path": "src/app.py", "content": "print(\"hello\")\n"}]}
    result = squad.invoke(payload, _config(thread, user, bindings={"forge": forge}))
    return result["__interrupt__"][0].value["action_requests"][0]


def decide(squad, thread: str, user: dict, decision: dict) -> dict:
    return squad.invoke(Command(resume={"decisions": [decision]}), _config(thread, user))


def edit_to_evil(action: dict) -> dict:
    return {"type": "edit", "edited_action": {"name": "workspace_patch", "args": {**action["args"], "diff": EVIL}}}


def trailers(repo: Path, pid: str) -> dict[str, str]:
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%B%x00"], capture_output=True, text=True,
                         check=True).stdout.split("\x00")
    message = next(m for m in log if f"Fractalops-Proposal: {pid}" in m)
    return dict(line.split(": ", 1) for line in message.strip().splitlines() if line.startswith("Fractalops-"))


def test_a_human_launched_run_records_the_human_as_requester_and_may_approve_a_standard_change(squad, repo,
                                                                                                data_dir):
    thread = str(uuid.uuid4())
    action = launch(squad, repo, thread, ALICE)
    pid = action["args"]["proposal_id"]
    p = squad_resources().proposals.get(pid)
    assert PROPOSAL_ID_PATTERN.match(pid) and thread.replace("-", "")[:12] not in pid
    assert (p.author_agent, p.requester, p.principal, p.editors) == ("forge", "alice", "alice", [])
    assert (p.approval_class, p.author_ceiling, p.idempotency_key) == ("standard", "standard", "1:1")
    assert "proposed by forge for alice" in action["description"]

    decide(squad, thread, ALICE, {"type": "approve"})  # Studio's loop: the requester approves its own launch
    p = squad_resources().proposals.get(pid)
    assert p.status == ProposalStatus.EVIDENCED and p.approved_by == ["alice"]
    assert trailers(repo, pid) == {"Fractalops-Proposal": pid, "Fractalops-Content-Hash": p.content_hash,
                                   "Fractalops-Approved-By": "alice", "Fractalops-Requested-By": "alice"}


def test_an_agent_key_launch_records_that_agent_as_requester(squad, repo, data_dir):
    pid = launch(squad, repo, str(uuid.uuid4()), BOT)["args"]["proposal_id"]
    assert squad_resources().proposals.get(pid).requester == "ci-bot"


def test_the_evil_workflow_edit_above_the_authors_ceiling_is_refused_and_nothing_is_recorded(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    action = launch(squad, repo, thread, ALICE)
    before = squad_resources().proposals.get(action["args"]["proposal_id"])
    result = decide(squad, thread, BOB, edit_to_evil(action))
    note = squad.get_state(_config(thread, ALICE)).values["gate_note"]
    assert "refused by the constitution" in note and "elevated is above the author's ceiling standard" in note
    again = result["__interrupt__"][0].value["action_requests"][0]
    assert again["args"]["content_hash"] == action["args"]["content_hash"], "the thread stays at the gate"
    assert squad_resources().proposals.get(before.id) == before, "nothing recorded"
    assert not (repo / ".github").exists()


def test_the_evil_workflow_edit_is_re_classed_elevated_and_one_approver_alone_cannot_apply_it(
        squad, repo, data_dir, elevated_forge):
    thread = str(uuid.uuid4())
    action = launch(squad, repo, thread, ALICE, forge=elevated_forge)
    pid = action["args"]["proposal_id"]
    assert squad_resources().proposals.get(pid).approval_class == "standard"

    again = decide(squad, thread, BOB, edit_to_evil(action))["__interrupt__"][0].value["action_requests"][0]
    p = squad_resources().proposals.get(pid)
    assert (p.approval_class, p.editors, p.requester) == ("elevated", ["bob"], "alice")
    assert again["args"]["approval_class"] == "elevated" and "edited by bob" in again["description"]

    decide(squad, thread, BOB, {"type": "approve"})  # the probe's path: the editor approves its own edit
    assert "an editor counts as an author" in squad.get_state(_config(thread, BOB)).values["gate_note"]
    decide(squad, thread, ALICE, {"type": "approve"})
    p = squad_resources().proposals.get(pid)
    assert p.status == ProposalStatus.IN_REVIEW and not (repo / ".github").exists(), "one approver is not enough"
    assert [(a.decision, a.identity) for a in p.approvals] == [("edit", "bob"), ("approve", "alice")]

    decide(squad, thread, CAROL, {"type": "approve"})
    p = squad_resources().proposals.get(pid)
    assert p.status == ProposalStatus.EVIDENCED and (repo / ".github/workflows/evil.yml").exists()
    assert trailers(repo, pid) == {"Fractalops-Proposal": pid, "Fractalops-Content-Hash": p.content_hash,
                                   "Fractalops-Approved-By": "alice, carol", "Fractalops-Requested-By": "alice",
                                   "Fractalops-Edited-By": "bob"}


def test_threads_launched_together_each_get_their_own_proposal(squad, repo, data_dir):
    # thread ids sharing their first 12 hex digits, as UUIDv7s made in one millisecond do (the probe's 50 -> 15 ids)
    threads = [f"0190abcd-ef01-7{n:03x}-8000-{n:012x}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        pids = list(pool.map(lambda t: launch(squad, repo, t)["args"]["proposal_id"], threads))
    assert len(set(pids)) == 8
    store = squad_resources().proposals
    assert [store.get(pid).thread_id for pid in pids] == threads
    assert all(store.list(thread_id=t) == [store.get(pid)] for t, pid in zip(threads, pids, strict=True))


def test_another_threads_proposal_in_this_threads_state_is_never_reviewed_here(squad, repo, data_dir):
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    own = launch(squad, repo, mine)["args"]["proposal_id"]
    store = squad_resources().proposals
    other = store.create(thread_id=theirs, author_agent="forge", requester="bob", kind="workspace_patch",
                         target=str(repo), payload={"diff": EVIL, "base_commit": "c", "files": ["src/app.py"]})
    store.transition(other.id, ProposalStatus.IN_REVIEW)
    # what a v1 id collision left behind: one thread's state naming another thread's proposal
    squad.update_state(_config(mine, ALICE), {"proposal_ids": [own, other.id]})

    decide(squad, mine, ALICE, {"type": "approve"})
    assert store.get(own).status == ProposalStatus.EVIDENCED
    assert store.get(other.id).status == ProposalStatus.IN_REVIEW and store.get(other.id).approvals == []
    events = squad_resources().outbox.events(thread_id=mine)
    assert any(e["kind"] == "proposal_not_reviewed" and other.id in e["text"] for e in events)
