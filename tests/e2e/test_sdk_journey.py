"""Launch -> interrupt -> approve / edit / reject through a real `langgraph dev` server and the SDK."""

from __future__ import annotations

import json

import httpx
import pytest
from langgraph_sdk.errors import AuthenticationError, NotFoundError

from tests.conftest import make_git_repo
from tests.e2e._journey import commits_for, decide, launch, request_of

pytestmark = pytest.mark.server


def test_approve_applies_exactly_once_and_hud_is_served(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = server.client()
    thread = launch(client, repo)
    request = request_of(client, thread)
    assert set(request) == {"action_requests", "review_configs"}
    action = request["action_requests"][0]
    assert action["name"] == "workspace_patch" and action["args"]["files"] == ["src/app.py"]
    assert not (repo / "src/app.py").exists()

    hud = client.http.get(f"/threads/{thread}/hud")
    assert set(hud) == {"intent", "route", "launch_action", "proof_path", "recovery_rule", "completion_proof",
                        "live_signal", "continuity"}
    assert hud["continuity"] == "fresh" and hud["completion_proof"].startswith("open: missing graph")

    state = decide(client, thread, {"type": "approve"})
    assert state["next"] == [] and not state["interrupts"]
    assert (repo / "src/app.py").read_text() == 'print("hello")\n'
    assert commits_for(repo, action["args"]["proposal_id"]) == 1
    record = client.http.get(f"/proposals/{action['args']['proposal_id']}")
    assert record["status"] == "evidenced"
    assert [(a["decision"], a["identity"], a["content_hash"]) for a in record["approvals"]] == [
        ("approve", "alice", action["args"]["content_hash"])]
    assert record["executed"]["applied_hash"] == action["args"]["content_hash"]

    events = client.http.get(f"/live/events?thread_id={thread}")["events"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {"atlas", "sentinel", "mercury", "forge", "ontos", "gate", "relay", "ledger", "signal"} <= {e["agent"] for e in events}


def test_edit_goes_back_to_review_with_a_new_hash(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = server.client()
    thread = launch(client, repo)
    action = request_of(client, thread)["action_requests"][0]
    edited = {**action, "args": {**action["args"], "diff": action["args"]["diff"].replace("hello", "edited")}}
    state = decide(client, thread, {"type": "edit", "edited_action": edited})
    again = state["interrupts"][0]["value"]["action_requests"][0]
    assert again["args"]["content_hash"] != action["args"]["content_hash"]
    assert not (repo / "src/app.py").exists(), "an edit is not an approval"
    refused = decide(client, thread, {"type": "approve"})  # alice edited it: an editor never approves it
    assert "an editor counts as an author" in refused["interrupts"][0]["value"]["action_requests"][0]["description"]
    decide(server.client("key-bob"), thread, {"type": "approve"})
    assert (repo / "src/app.py").read_text() == 'print("edited")\n'
    record = client.http.get(f"/proposals/{action['args']['proposal_id']}")
    assert [a["decision"] for a in record["approvals"]] == ["edit", "approve"]
    assert record["approvals"][1]["content_hash"] == again["args"]["content_hash"]
    assert (record["requester"], record["editors"], record["approved_by"]) == ("alice", ["alice"], ["bob"])


def test_reject_carries_the_message_and_applies_nothing(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = server.client()
    thread = launch(client, repo)
    pid = request_of(client, thread)["action_requests"][0]["args"]["proposal_id"]
    state = decide(client, thread, {"type": "reject", "message": "use the logging module"})
    assert not state["interrupts"]
    assert not (repo / "src/app.py").exists()
    record = client.http.get(f"/proposals/{pid}")
    assert record["status"] == "rejected" and record["feedback"] == "use the logging module"


def test_malformed_resume_keeps_the_thread_waiting(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = server.client()
    thread = launch(client, repo)
    for bad in ({"type": "approve"}, {"type": "approve"}), ({"type": "maybe"},), ({"type": "edit"},):
        state = decide(client, thread, *bad)
        assert len(state["interrupts"]) == 1
        assert state["values"]["gate_note"]
    decide(client, thread, {"type": "approve"})
    assert (repo / "src/app.py").exists()


def test_unauthenticated_requests_are_refused(server):
    for key in (None, "not-a-key"):
        with pytest.raises(AuthenticationError):
            server.client(key).threads.search()
        assert httpx.get(f"{server.url}/projection", headers={"x-api-key": key or ""}).status_code == 401


def test_agent_identity_cannot_approve(server, tmp_path):
    """An agent-role key (even one that also holds `approver`) cannot even resume another identity's thread; the
    gate's own refusal of agent deciders is covered in-process (tests/graphs/test_squad_inprocess.py)."""
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(server.client(), repo)
    bot = server.client("key-bot")
    with pytest.raises(NotFoundError):
        decide(bot, thread, {"type": "approve"})
    assert len(server.client().threads.get_state(thread)["interrupts"]) == 1
    assert not (repo / "src/app.py").exists()


def test_owner_only_identities_see_only_their_threads(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(server.client(), repo)
    carol = server.client("key-carol")
    assert thread not in {t["thread_id"] for t in carol.threads.search(limit=100)}
    assert httpx.get(f"{server.url}/threads/{thread}/hud", headers={"x-api-key": "key-carol"}).status_code == 404
    assert httpx.get(f"{server.url}/threads/{thread}/hud/diagnostics", headers={"x-api-key": "key-bob"}).status_code == 403
    diagnostics = httpx.get(f"{server.url}/threads/{thread}/hud/diagnostics", headers={"x-api-key": "key-alice"}).json()
    assert set(diagnostics) == {"continuity_reason", "first_tool_family", "launch_contract_status", "bindings_note",
                                "features_note", "plan_note"}


def test_bad_input_is_refused_before_a_run_exists(server, tmp_path):
    client = server.client()
    thread = client.threads.create()["thread_id"]
    with pytest.raises(Exception, match="input.changes"):
        client.runs.create(thread, "squad", input={"intent": "x", "changes": [{"path": "/etc/passwd", "content": ""}],
                                                    "workspace": str(tmp_path)})
    assert client.runs.list(thread) == []


def test_live_events_stream_as_server_sent_events(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(server.client(), repo)
    seen: list[dict] = []
    headers = {"x-api-key": "key-alice", "accept": "text/event-stream"}
    with httpx.stream("GET", f"{server.url}/live/events?thread_id={thread}", headers=headers, timeout=10) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
            if seen and seen[-1]["kind"] == "approval_requested":
                break
    assert seen[0]["agent"] == "atlas" and all(e["thread_id"] == thread for e in seen)
    projection = server.client().http.get(f"/projection/{thread}")
    assert projection["status"] == "awaiting_approval" and projection["pending_approvals"] == 1
    assert projection["current_agent"] == "gate"
