"""The squad doing work from an intent alone: forge, atlas and pack agents on chat-model assets (in-process).

The real provider clients talk to scripted endpoints on 127.0.0.1; the squad runs on a SQLite checkpointer inside the
data dir, so the canary scan covers checkpoints, proposals, outbox, HUD and evidence.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from fractalops.adapters.chat_model import message_text
from fractalops.armory.assets import DEFAULT_ARMORY_PATH
from fractalops.armory.secrets import open_secret_backend
from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.runtime.resources import squad_resources
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, model_asset, scripted_model
from tests.adapters.scripted_models import Call, ModelScript, ScriptedModelServer, Turn
from tests.graphs._runs import run_config as _config
from tests.graphs.test_access_recovery import _scan_for

HEALTH = "def health():\n    return {'status': 'ok'}\n"
PLAN = {"route": "change", "packs": [], "task": "Create src/health.py with health() returning {'status': 'ok'}."}


def _script(**overrides) -> ModelScript:
    values = {"turns": [Turn(calls=(Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}),),
                             text=f"Writing the endpoint (my key: {CANARY_KEY}).")],
              "final_text": "Added src/health.py with a health() function.",
              "by_tool": {"AtlasPlan": Turn(calls=(Call("AtlasPlan", PLAN),))},
              "plain_text": "copy: call it a health check in the title.", **overrides}
    return ModelScript(**values)


def _armory(path: Path, server: ScriptedModelServer, provider: str, **fields) -> None:
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    small = model_asset(provider, server, asset_id="model.small", max_steps=2)
    doc = {"version": 1, "assets": [
        *default["assets"],
        model_asset(provider, server, **fields).model_dump(mode="json", exclude_defaults=True),
        small.model_dump(mode="json", exclude_defaults=True)], "bindings": {"forge": "workspace.default"}}
    path.write_text(yaml.safe_dump(doc))


@pytest.fixture(params=["openai", "anthropic"])
def model_server(request, tmp_path, monkeypatch, data_dir) -> Iterator[ScriptedModelServer]:
    with scripted_model(request.param, _script()) as server:
        path = tmp_path / "armory.yaml"
        _armory(path, server, request.param)
        monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
        open_secret_backend().put(KEY_REF, CANARY_KEY)
        server.provider = request.param  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def squad(data_dir) -> Iterator:
    data_dir.mkdir(parents=True, exist_ok=True)
    with SqliteSaver.from_conn_string(str(data_dir / "checkpoints.sqlite")) as saver:
        yield build_squad().compile(checkpointer=saver)


def _hud(squad, thread: str):
    values = squad.get_state(_config(thread)).values
    return compile_hud(values["summary"], resumed=bool(values.get("resumed")))


def _request(result: dict) -> dict:
    assert "__interrupt__" in result, f"expected the gate, got phase {result.get('phase')}: {result.get('summary')}"
    return result["__interrupt__"][0].value


def _chat(text: str) -> dict:
    return {"messages": [{"type": "human", "content": text}]}


def test_a_chat_message_alone_reaches_the_gate_and_applies(model_server, squad, repo, data_dir):
    thread = str(uuid.uuid4())
    squad.invoke({"intent": "look around", "workspace": str(repo), "mode": "observe"}, _config(thread))
    result = squad.invoke(_chat("add a /health endpoint"), _config(thread, bindings={"forge": "model.test"}))
    action = _request(result)["action_requests"][0]
    assert action["name"] == "workspace_patch" and action["args"]["files"] == ["src/health.py"]
    assert "+def health():" in action["args"]["diff"]
    forge_said = [m for m in result["messages"] if getattr(m, "name", "") == "forge"]
    assert [m.content for m in forge_said] == ["Added src/health.py with a health() function."]
    assert not (repo / "src/health.py").exists()
    first = model_server.model_requests()[0].body
    assert "add a /health endpoint" in json.dumps(first["messages"])  # forge's task is the chat message

    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
    assert (repo / "src/health.py").read_text() == HEALTH
    hud = _hud(squad, thread)
    assert hud.hud.launch_action.startswith("done: applied")
    values = squad.get_state(_config(thread)).values
    assert values["summary"]["model_usage"]["steps"] == 2
    assert _scan_for(CANARY_KEY, data_dir) == []
    assert CANARY_KEY not in json.dumps(values, default=str)


def test_forge_on_the_no_model_builder_observes_an_intent_and_says_why(model_server, squad, repo):
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)}, _config(thread))
    assert "__interrupt__" not in result and result["route"] == "observe"
    action = _hud(squad, thread).hud.launch_action
    assert action.startswith("done: observed the workspace read-only")
    assert "forge on workspace.default builds only from `changes`" in action
    assert model_server.requests == []


def test_mode_observe_forces_the_read_only_route_even_on_a_model(model_server, squad, repo):
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo), "mode": "observe"},
                          _config(thread, bindings={"forge": "model.test", "atlas": "model.test"}))
    assert "__interrupt__" not in result and result["route"] == "observe"
    assert "the input asked for mode observe" in _hud(squad, thread).hud.launch_action
    assert model_server.requests == []


def test_an_exhausted_budget_stops_the_run_and_the_thread_resumes(model_server, squad, repo, data_dir):
    model_server.script.turns = [Turn(calls=(Call("ls", {"path": "/"}),))] * 3 + model_server.script.turns
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.small"}))
    assert "__interrupt__" not in result
    action = _hud(squad, thread).hud.launch_action
    assert action.startswith("done: the build stopped: its budget ran out") and "nothing was applied" in action
    assert squad_resources().proposals.counts(thread) == {}
    assert not (repo / "src/health.py").exists()

    result = squad.invoke({"intent": "add a /health endpoint"}, _config(thread, bindings={"forge": "model.test"}))
    assert _request(result)["action_requests"][0]["args"]["files"] == ["src/health.py"]


def test_an_empty_diff_ends_with_nothing_to_build(model_server, squad, repo):
    model_server.script.turns = [Turn(calls=(Call("read_file", {"file_path": "/README.md"}),))]
    model_server.script.final_text = "Nothing needed changing."
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "check the readme", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test"}))
    assert "__interrupt__" not in result
    assert _hud(squad, thread).hud.launch_action == (
        "done: nothing to build: the workspace diff is empty, so no proposal was made")


def test_atlas_plans_the_run_and_forge_builds_its_task(model_server, squad, repo):
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "health please", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test", "atlas": "model.test"}))
    _request(result)
    forge_calls = [r for r in model_server.model_requests() if "write_file" in json.dumps(r.body.get("tools"))]
    assert PLAN["task"] in json.dumps(forge_calls[0].body["messages"])
    diagnostics = squad_resources().outbox.diagnostics(thread)
    assert diagnostics["plan_note"] == "planned by model.test: change"


def test_an_invalid_plan_falls_back_to_the_rule_and_says_so(model_server, squad, repo):
    model_server.script.by_tool = {"AtlasPlan": Turn(calls=(Call("AtlasPlan", {"route": "deploy", "task": "x"}),))}
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test", "atlas": "model.test"}))
    assert _request(result)["action_requests"][0]["args"]["files"] == ["src/health.py"]
    note = squad_resources().outbox.diagnostics(thread)["plan_note"]
    assert note.startswith("the model's answer is not a valid AtlasPlan") and "deterministic route stands" in note


def test_a_pack_agent_on_a_model_adds_its_note_to_the_batch(model_server, squad, repo):
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, packs=["design"], bindings={"forge": "model.test", "quill": "model.test"}))
    description = _request(result)["action_requests"][0]["description"]
    assert "**Pack review notes**" in description
    assert "- quill (model.test): copy: call it a health check in the title." in description
    assert "- prism (native): " in description  # the rule-written notes of the same run are there too


def test_the_forge_conversation_streams_redacted_with_subgraphs(model_server, squad, repo):
    thread = str(uuid.uuid4())
    parts = list(squad.stream({"intent": "add a /health endpoint", "workspace": str(repo)},
                              _config(thread, bindings={"forge": "model.test"}), stream_mode=["messages", "updates"],
                              subgraphs=True))
    forge = [(ns, data) for ns, mode, data in parts if mode == "messages" and ns and ns[0].startswith("forge:")]
    texts = [message_text(message) for _ns, (message, _meta) in forge]
    assert any(getattr(message, "tool_calls", None) for _ns, (message, _meta) in forge)
    assert "Writing the endpoint (my key: [REDACTED:api_key])." in texts  # the model echoed its key
    assert CANARY_KEY not in repr(parts)
    gate = [i for i, (ns, mode, data) in enumerate(parts) if mode == "updates" and "__interrupt__" in data]
    last_forge = max(i for i, (ns, mode, _d) in enumerate(parts) if mode == "messages" and ns and ns[0].startswith("forge:"))
    assert gate and last_forge < gate[0]


def test_a_missing_model_key_blocks_and_the_same_thread_resumes(model_server, squad, repo, data_dir):
    backend = open_secret_backend()
    backend.delete(KEY_REF)
    thread = str(uuid.uuid4())
    result = squad.invoke({"intent": "add a /health endpoint", "workspace": str(repo)},
                          _config(thread, bindings={"forge": "model.test"}))
    blocked = _request(result)["action_requests"][0]
    assert blocked["name"] == "access_recovery" and blocked["args"]["missing"] == [KEY_REF]
    assert model_server.requests == []
    backend.put(KEY_REF, CANARY_KEY)
    result = squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
    assert _request(result)["action_requests"][0]["args"]["files"] == ["src/health.py"]
