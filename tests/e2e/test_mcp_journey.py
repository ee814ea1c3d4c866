"""End to end through `langgraph dev`: forge on a chat model with an MCP server's tools (the real OpenAI client on a
scripted endpoint, the real `@modelcontextprotocol/server-memory` over stdio). A chat message alone: the read tools
run inside forge's loop, the mutating call and the patch reach the gate as one batch (`tool_call` + `workspace_patch`),
and only after approval does the server see the call, once; the proof path closes for both. A reviewer's edit of
the call's `arguments` (a new hash, a second reviewer) is what the server gets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fractalops.armory.assets import DEFAULT_ARMORY_PATH
from fractalops.armory.secrets import LocalSecretBackend
from tests.adapters.mcp_servers.servers import memory_entry
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, model_asset
from tests.adapters.scripted_models import Call, ModelScript, Turn, start_openai_chat
from tests.conftest import make_git_repo
from tests.e2e._journey import decide, request_of
from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.server

HEALTH = "def health():\n    return {'status': 'ok'}\n"
SEEDED = {"type": "entity", "name": "service-api", "entityType": "service", "observations": ["owns /health"]}
NEW = {"entities": [{"name": "health-endpoint", "entityType": "endpoint", "observations": ["added by forge"]}]}


@pytest.fixture(scope="module")
def memory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "memory.jsonl"
    path.write_text(json.dumps(SEEDED) + "\n")
    return path


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory: pytest.TempPathFactory, memory_file: Path) -> Iterator[Server]:
    script = ModelScript(turns=[
        Turn(calls=(Call("read_graph", {}), Call("search_nodes", {"query": "health"}))),
        Turn(calls=(Call("create_entities", NEW),
                    Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}))),
    ], final_text="Added src/health.py and proposed recording it in the knowledge graph.")
    openai = start_openai_chat(CANARY_KEY, script)
    root = tmp_path_factory.mktemp("mcp-e2e")
    LocalSecretBackend(root / "data" / "secrets" / "local.json").put(KEY_REF, CANARY_KEY)
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    model = model_asset("openai", openai, asset_id="model.e2e", tools=["memory.mcp"])
    armory = root / "armory.yaml"
    armory.write_text(yaml.safe_dump({"version": 1, "bindings": {"forge": "workspace.default"}, "assets": [
        *default["assets"], model.model_dump(mode="json", exclude_defaults=True), memory_entry(memory_file)]}))
    srv = start_server(root / "data", FRACTALOPS_ARMORY=str(armory))
    srv.model = openai  # type: ignore[attr-defined]
    yield srv
    srv.dev.stop()
    openai.stop()


def _chat(client, repo: Path) -> tuple[str, dict]:
    """A thread on `repo` (a first observe run names the workspace), then the chat message alone, forge on the model."""
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "squad", input={"intent": "look", "workspace": str(repo), "mode": "observe"})
    client.runs.wait(thread, "squad", input={"messages": [{"type": "human", "content": "add a /health endpoint"}]},
                     config={"configurable": {"bindings": {"forge": "model.e2e"}}})
    return thread, {a["name"]: a["args"] for a in request_of(client, thread)["action_requests"]}


def test_the_mcp_call_waits_at_the_gate_beside_the_patch_and_runs_once_after_approval(mcp_server: Server,
                                                                                      memory_file: Path,
                                                                                      tmp_path: Path):
    seeded = memory_file.read_bytes()
    repo = make_git_repo(tmp_path / "repo")
    client = mcp_server.client()
    thread, actions = _chat(client, repo)
    assert set(actions) == {"tool_call", "workspace_patch"}, "one gate batch: the call and the patch"
    assert (actions["tool_call"]["asset_id"], actions["tool_call"]["tool"]) == ("memory.mcp", "create_entities")
    assert actions["tool_call"]["arguments"] == NEW and actions["workspace_patch"]["files"] == ["src/health.py"]
    assert memory_file.read_bytes() == seeded, "nothing reached the server before approval"
    said = json.dumps(mcp_server.model.model_requests()[-1].body["messages"])  # type: ignore[attr-defined]
    assert f"proposed {actions['tool_call']['proposal_id']}: waits for approval" in said, "what the model was told"
    assert "owns /health" in said, "the read tools answered inside the loop"
    events = client.http.get(f"/live/events?thread_id={thread}")["events"]
    calls = [(e["kind"], e["data"].get("tool")) for e in events if e["kind"].startswith("mcp_tool")]
    assert sorted(calls) == [("mcp_tool_call", "read_graph"), ("mcp_tool_call", "search_nodes"),
                             ("mcp_tool_proposed", "create_entities")]

    state = decide(client, thread, {"type": "approve"}, {"type": "approve"})
    names = [json.loads(line)["name"] for line in memory_file.read_text().splitlines()]
    assert names == ["service-api", "health-endpoint"]
    assert (repo / "src/health.py").read_text() == HEALTH
    assert state["values"]["summary"]["outcome"].startswith("applied")
    assert set(state["values"]["summary"]["proof"]) == {"graph", "warehouse", "chronicle"}
    with _client(mcp_server) as http:
        record = http.get(f"/proposals/{actions['tool_call']['proposal_id']}").json()
    assert record["status"] == "evidenced" and record["executed"]["commit"].startswith("sha256:")


def test_the_reviewers_edit_of_the_arguments_is_what_the_server_gets(mcp_server: Server, memory_file: Path,
                                                                    tmp_path: Path):
    before = [json.loads(line)["name"] for line in memory_file.read_text().splitlines()]
    repo = make_git_repo(tmp_path / "repo")
    client = mcp_server.client()
    thread, actions = _chat(client, repo)
    call = actions["tool_call"]
    edited = {"entities": [{"name": "health-check", "entityType": "endpoint", "observations": ["edited by alice"]}]}
    state = decide(client, thread, {"type": "edit", "edited_action": {"name": "tool_call",
                                                                      "args": {**call, "arguments": edited}}},
                   {"type": "reject", "message": "not this patch"})
    again = {a["name"]: a["args"] for a in state["interrupts"][0]["value"]["action_requests"]}
    assert set(again) == {"tool_call"} and again["tool_call"]["arguments"] == edited
    assert again["tool_call"]["content_hash"] != call["content_hash"], "an edit is a new hash"
    assert [json.loads(line)["name"] for line in memory_file.read_text().splitlines()] == before, "an edit is no approval"
    decide(mcp_server.client("key-bob"), thread, {"type": "approve"})  # the editor never approves their own edit
    names = [json.loads(line)["name"] for line in memory_file.read_text().splitlines()]
    assert names == [*before, "health-check"], "the edited call ran, once"
    assert not (repo / "src/health.py").exists(), "the rejected patch was not applied"


def _client(server: Server):
    import httpx

    return httpx.Client(base_url=server.url, headers={"x-api-key": "key-alice"}, timeout=30)
