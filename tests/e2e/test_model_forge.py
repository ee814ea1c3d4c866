"""End to end through `langgraph dev`: work from an intent alone reaches the gate and is applied after approval.

- forge bound to a chat model (the real `langchain-openai` client against a scripted Chat Completions endpoint):
  a chat message alone streams the forge conversation (`messages-tuple`, subgraphs), stops at the gate with the
  model-built diff, and lands after approval; the canary key is nowhere in the data dir or the thread state;
- forge bound to the real Claude Code CLI (against a scripted Messages endpoint) with a structured intent alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from fractalops.armory.assets import DEFAULT_ARMORY_PATH
from fractalops.armory.secrets import LocalSecretBackend
from tests.adapters.cli_agents.conftest import CANARY_KEY as CLI_KEY
from tests.adapters.cli_agents.conftest import cli_agent_bin
from tests.adapters.cli_agents.scripted_anthropic import AnthropicScript, start_scripted_anthropic
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, model_asset
from tests.adapters.scripted_models import Call, ModelScript, Turn, start_openai_chat
from tests.conftest import make_git_repo
from tests.e2e._journey import commits_for, decide, request_of
from tests.e2e.conftest import Server, start_server
from tests.graphs.test_access_recovery import _scan_for

pytestmark = pytest.mark.server

HEALTH = "def health():\n    return {'status': 'ok'}\n"
CLAUDE_REF = "openbao://kv/test/anthropic#api_key"


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    script = ModelScript(turns=[Turn(calls=(Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}),),
                                     text="I will add src/health.py.")],
                         final_text="Added src/health.py with a health() function.")
    openai = start_openai_chat(CANARY_KEY, script)
    anthropic = start_scripted_anthropic(CLI_KEY, AnthropicScript(file_name="src/health.py", content=HEALTH,
                                                                  final_text="Wrote src/health.py."))
    root = tmp_path_factory.mktemp("model-forge")
    data_dir = root / "data"
    secrets = LocalSecretBackend(data_dir / "secrets" / "local.json")
    secrets.put(KEY_REF, CANARY_KEY)
    secrets.put(CLAUDE_REF, CLI_KEY)
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    claude = {"asset_id": "claude.e2e", "role": "claude.e2e", "kind": "claude",
              "command": [str(cli_agent_bin("claude"))], "timeout_s": 120,
              "env": {"ANTHROPIC_BASE_URL": anthropic.base_url, "ANTHROPIC_MODEL": "claude-scripted"},
              "secrets": {"ANTHROPIC_API_KEY": CLAUDE_REF}}
    armory = root / "armory.yaml"
    armory.write_text(yaml.safe_dump({"version": 1, "bindings": {"forge": "workspace.default"}, "assets": [
        *default["assets"], model_asset("openai", openai, asset_id="model.e2e").model_dump(
            mode="json", exclude_defaults=True), claude]}))
    srv = start_server(data_dir, FRACTALOPS_ARMORY=str(armory))
    yield srv
    srv.dev.stop()
    openai.stop()
    anthropic.stop()


def _stream(client, thread: str, payload: dict, bindings: dict) -> list[tuple[str, object]]:
    return [(part.event, part.data) for part in client.runs.stream(
        thread, "squad", input=payload, config={"configurable": {"bindings": bindings}},
        stream_mode=["messages-tuple", "updates"], stream_subgraphs=True)]


def test_a_chat_message_alone_streams_forge_and_lands_after_approval(model_server: Server, tmp_path: Path):
    repo = make_git_repo(tmp_path / "repo")
    client = model_server.client()
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "squad", input={"intent": "look", "workspace": str(repo), "mode": "observe"})

    events = _stream(client, thread, {"messages": [{"type": "human", "content": "add a /health endpoint"}]},
                     {"forge": "model.e2e"})
    forge_messages = [data for event, data in events if event.startswith("messages|forge")]
    assert forge_messages, sorted({event for event, _ in events})
    tool_calls = [c["name"] for message, _meta in forge_messages for c in message.get("tool_calls") or []]
    assert "write_file" in tool_calls
    said = [message.get("content") for message, _meta in forge_messages if message.get("type") == "AIMessageChunk"
            or message.get("type") == "ai"]
    assert "Added src/health.py with a health() function." in said
    interrupted = [i for event, data in events if event == "updates" for i in [data] if "__interrupt__" in data]
    assert interrupted, "the gate's interrupt reaches the streaming client"
    streamed_at = [i for i, (event, _d) in enumerate(events) if event.startswith("messages|forge")]
    gate_at = [i for i, (event, data) in enumerate(events) if event == "updates" and "__interrupt__" in data]
    assert max(streamed_at) < gate_at[0]  # the forge conversation comes before the approval card

    action = request_of(client, thread)["action_requests"][0]
    assert action["name"] == "workspace_patch" and action["args"]["files"] == ["src/health.py"]
    values = client.threads.get_state(thread)["values"]
    assert [m["content"] for m in values["messages"] if m.get("name") == "forge"] == [
        "Added src/health.py with a health() function."]
    assert not (repo / "src/health.py").exists()

    state = decide(client, thread, {"type": "approve"})
    assert (repo / "src/health.py").read_text() == HEALTH
    assert commits_for(repo, action["args"]["proposal_id"]) == 1
    assert state["values"]["summary"]["outcome"].startswith("applied")
    assert _scan_for(CANARY_KEY, model_server.data_dir) == []
    assert CANARY_KEY not in json.dumps(state) + json.dumps(client.threads.get_history(thread))


def test_the_claude_cli_builds_from_an_intent_alone(model_server: Server, tmp_path: Path):
    repo = make_git_repo(tmp_path / "repo")
    client = model_server.client()
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "squad", input={"intent": "add a /health endpoint", "workspace": str(repo)},
                     config={"configurable": {"bindings": {"forge": "claude.e2e"}}})
    action = request_of(client, thread)["action_requests"][0]
    assert action["args"]["files"] == ["src/health.py"] and "+def health():" in action["args"]["diff"]
    state = decide(client, thread, {"type": "approve"})
    assert (repo / "src/health.py").read_text() == HEALTH
    assert commits_for(repo, action["args"]["proposal_id"]) == 1
    assert [m["content"] for m in state["values"]["messages"] if m.get("name") == "forge"] == ["Wrote src/health.py."]
    assert _scan_for(CLI_KEY, model_server.data_dir) == []


def test_an_unknown_run_mode_is_refused_when_the_run_is_created(model_server: Server):
    thread = model_server.client().threads.create()["thread_id"]
    response = httpx.post(f"{model_server.url}/threads/{thread}/runs", headers={"x-api-key": "key-alice"},
                          json={"assistant_id": "squad", "input": {"intent": "x", "mode": "build"}})
    assert response.status_code == 422 and "input.mode 'build' is not a run mode" in response.text
    assert model_server.client().runs.list(thread) == []
