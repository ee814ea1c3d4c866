"""forge on a chat model that lists an MCP server, through the squad (in-process): the real OpenAI client on a scripted
endpoint, the real `@modelcontextprotocol/server-memory` over stdio. Read tools run inside forge's loop; the
`create_entities` call and the workspace patch reach the gate in one batch; after approval relay calls the server
once and the proof path closes for both."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from fractalops.armory.assets import DEFAULT_ARMORY_PATH
from fractalops.armory.secrets import open_secret_backend
from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.planes.proposals import ProposalStatus
from fractalops.runtime.resources import squad_resources
from tests.adapters.mcp_servers.servers import memory_entry
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, model_asset, scripted_model
from tests.adapters.scripted_models import Call, ModelScript, ScriptedModelServer, Turn
from tests.graphs._runs import run_config as _config

HEALTH = "def health():\n    return {'status': 'ok'}\n"
SEEDED = {"type": "entity", "name": "service-api", "entityType": "service", "observations": ["owns /health"]}
NEW = {"entities": [{"name": "health-endpoint", "entityType": "endpoint", "observations": ["added by forge"]}]}


@pytest.fixture
def memory_file(tmp_path: Path) -> Path:
    path = tmp_path / "memory.jsonl"
    path.write_text(json.dumps(SEEDED) + "\n")
    return path


@pytest.fixture
def model_server(tmp_path, monkeypatch, data_dir, memory_file) -> Iterator[ScriptedModelServer]:
    script = ModelScript(turns=[
        Turn(calls=(Call("read_graph", {}), Call("search_nodes", {"query": "health"}))),
        Turn(calls=(Call("create_entities", NEW),
                    Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}))),
    ], final_text="Added src/health.py and proposed recording it in the knowledge graph.")
    with scripted_model("openai", script) as server:
        path = tmp_path / "armory.yaml"
        _armory(path, server, memory_entry(memory_file))
        monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
        open_secret_backend().put(KEY_REF, CANARY_KEY)
        server.armory = path  # type: ignore[attr-defined]
        yield server


def _armory(path: Path, server: ScriptedModelServer, memory: dict) -> None:
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    models = [model_asset("openai", server, tools=["memory.mcp"]),
              model_asset("openai", server, asset_id="model.small", tools=["memory.mcp"], max_steps=2)]
    path.write_text(yaml.safe_dump({"version": 1, "assets": [
        *default["assets"], *(m.model_dump(mode="json", exclude_defaults=True) for m in models), memory],
        "bindings": {"forge": "workspace.default"}}))


@pytest.fixture
def squad(data_dir) -> Iterator:
    data_dir.mkdir(parents=True, exist_ok=True)
    with SqliteSaver.from_conn_string(str(data_dir / "checkpoints.sqlite")) as saver:
        yield build_squad().compile(checkpointer=saver)


def test_read_tools_run_in_forges_loop_and_the_mutate_call_joins_the_patch_at_the_gate(model_server, squad, repo,
                                                                                       memory_file):
    seeded = memory_file.read_bytes()
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test"}))
    request = result["__interrupt__"][0].value
    actions = {a["name"]: a for a in request["action_requests"]}
    assert set(actions) == {"tool_call", "workspace_patch"}, "one batch: the call and the patch"
    call = actions["tool_call"]["args"]
    assert (call["asset_id"], call["tool"], call["arguments"]) == ("memory.mcp", "create_entities", NEW)
    assert actions["workspace_patch"]["args"]["files"] == ["src/health.py"]
    assert memory_file.read_bytes() == seeded and not (repo / "src/health.py").exists()

    said = json.dumps(model_server.model_requests()[-1].body["messages"])
    assert f"proposed {call['proposal_id']}: waits for approval" in said  # what the model was told
    assert "owns /health" in said  # what the read tools answered inside the loop
    events = [(e["kind"], e["data"].get("tool")) for e in squad_resources().outbox.events(thread_id=thread)]
    assert ("mcp_tool_call", "read_graph") in events and ("mcp_tool_call", "search_nodes") in events
    assert ("mcp_tool_proposed", "create_entities") in events

    squad.invoke(Command(resume={"decisions": [{"type": "approve"}, {"type": "approve"}]}), _config(thread))
    names = [json.loads(line)["name"] for line in memory_file.read_text().splitlines()]
    assert names == ["service-api", "health-endpoint"], "the server saw the call once, after approval"
    assert (repo / "src/health.py").read_text() == HEALTH
    store = squad_resources().proposals
    assert [store.get(a["args"]["proposal_id"]).status for a in request["action_requests"]] == [
        ProposalStatus.EVIDENCED, ProposalStatus.EVIDENCED]


def test_an_mcp_server_forge_cannot_reach_ends_the_build_and_says_which(model_server, squad, repo, memory_file):
    _armory(model_server.armory, model_server, {**memory_entry(memory_file), "command": ["/nonexistent/mcp-server"]})
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test"}))
    assert "__interrupt__" not in result
    outcome = result["summary"]["outcome"]
    assert outcome.startswith("the build failed (MCP server 'memory.mcp' could not be connected")
    assert outcome.endswith("nothing was applied, launch again on this thread to retry")
    assert squad_resources().proposals.list(thread_id=thread) == [] and not (repo / "src/health.py").exists()


def test_a_run_that_stops_withdraws_the_calls_it_proposed_and_a_relaunch_proposes_afresh(model_server, squad, repo,
                                                                                       memory_file):
    seeded = memory_file.read_bytes()
    model_server.script.turns = [Turn(calls=(Call("create_entities", NEW),)), Turn(calls=(Call("ls", {"path": "/"}),)),
                                 Turn(calls=(Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}),))]
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.small"}))  # 2 model calls: no third for the file
    assert "__interrupt__" not in result, "no gate: the run stopped before its patch"
    store = squad_resources().proposals
    (withdrawn,) = store.list(thread_id=thread)
    assert (withdrawn.kind, withdrawn.status) == ("tool_call", ProposalStatus.REJECTED)
    assert withdrawn.feedback == ("withdrawn: forge's run ended before the gate (the build stopped: its budget ran "
                                  "out); it was never sent")
    values = squad.get_state(_config(thread)).values
    action = compile_hud(values["summary"], resumed=bool(values.get("resumed"))).hud.launch_action
    assert action.startswith("done: the build stopped: its budget ran out")
    assert f"; 1 proposed tool call(s) withdrawn unsent ({withdrawn.id}); nothing was applied" in (
        values["summary"]["outcome"])
    events = [(e["kind"], e["data"].get("proposal_id")) for e in squad_resources().outbox.events(thread_id=thread)]
    assert ("proposal_withdrawn", withdrawn.id) in events
    assert memory_file.read_bytes() == seeded

    result = squad.invoke({"intent": "add a /health endpoint"}, _config(thread, bindings={"forge": "model.test"}))
    actions = {a["name"]: a["args"] for a in result["__interrupt__"][0].value["action_requests"]}
    assert set(actions) == {"tool_call", "workspace_patch"}
    assert actions["tool_call"]["proposal_id"] != withdrawn.id and actions["tool_call"]["arguments"] == NEW
    assert store.get(withdrawn.id).status == ProposalStatus.REJECTED and memory_file.read_bytes() == seeded


def test_two_servers_offering_one_tool_name_end_the_build_naming_both(model_server, squad, repo, memory_file, tmp_path):
    twin = memory_entry(tmp_path / "twin.jsonl", asset_id="twin.mcp")
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    model = model_asset("openai", model_server, tools=["memory.mcp", "twin.mcp"])
    model_server.armory.write_text(yaml.safe_dump({"version": 1, "bindings": {"forge": "workspace.default"}, "assets": [
        *default["assets"], model.model_dump(mode="json", exclude_defaults=True), memory_entry(memory_file), twin]}))
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test"}))
    assert "__interrupt__" not in result and model_server.model_requests() == [], "the model is never called"
    outcome = result["summary"]["outcome"]
    assert outcome.startswith("the build could not start (assets 'memory.mcp' and 'twin.mcp' both offer a tool named")
    assert "set `tool_prefix` on one of them" in squad.get_state(_config(thread)).values["summary"]["last_feedback"]
    assert outcome.endswith("nothing was applied; fix the Armory, then launch again on this thread")

    twin["tool_prefix"] = "twin_"  # with a prefix both servers serve the run
    model_server.armory.write_text(yaml.safe_dump({"version": 1, "bindings": {"forge": "workspace.default"}, "assets": [
        *default["assets"], model.model_dump(mode="json", exclude_defaults=True), memory_entry(memory_file), twin]}))
    result = squad.invoke({"intent": "add a /health endpoint"}, _config(thread, bindings={"forge": "model.test"}))
    offered = {t["function"]["name"] for t in model_server.model_requests()[0].body["tools"]}
    assert {"read_graph", "twin_read_graph", "create_entities", "twin_create_entities"} <= offered
    assert {a["name"] for a in result["__interrupt__"][0].value["action_requests"]} == {"tool_call", "workspace_patch"}
