"""Blocked route -> `access_recovery` -> fix the credential -> the SAME thread resumes the same step and succeeds.

Real Claude Code CLI against the scripted Anthropic server on 127.0.0.1; the squad runs in-process on a SQLite
checkpointer inside the data dir, so the canary scan covers checkpoints, proposals, outbox, HUD and evidence.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from fractalops.armory.secrets import open_secret_backend
from fractalops.graphs.squad import build_squad
from fractalops.runtime.resources import squad_resources
from tests.adapters.cli_agents.conftest import CANARY_KEY, WRONG_KEY, cli_agent_bin
from tests.adapters.cli_agents.scripted_anthropic import AnthropicScript, start_scripted_anthropic
from tests.graphs._runs import run_config as _config

REF = "openbao://kv/test/anthropic#api_key"


@pytest.fixture
def claude_armory(tmp_path, monkeypatch):
    claude_bin = cli_agent_bin("claude")
    server = start_scripted_anthropic(CANARY_KEY, AnthropicScript(file_name="src/notes.py", content="NOTES = 'hi'\n"))
    armory = {"version": 1, "assets": [{
        "asset_id": "claude.test", "role": "builder", "kind": "claude", "command": [str(claude_bin)],
        "env": {"ANTHROPIC_BASE_URL": server.base_url, "ANTHROPIC_MODEL": "claude-scripted"},
        "secrets": {"ANTHROPIC_API_KEY": REF}, "timeout_s": 90, "ceiling": "standard"}],
        "bindings": {"forge": "claude.test"}}
    path = tmp_path / "armory.yaml"
    path.write_text(yaml.safe_dump(armory))
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    yield server
    server.stop()


def _only_request(result: dict) -> dict:
    interrupts = result["__interrupt__"]
    assert len(interrupts) == 1
    return interrupts[0].value


def _scan_for(secret: str, root: Path) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and path.relative_to(root).parts[0] != "secrets" and secret.encode() in path.read_bytes():
            hits.append(str(path.relative_to(root)))
    return hits


@pytest.mark.parametrize("first_key", [None, WRONG_KEY], ids=["missing-key", "401-wrong-key"])
def test_blocked_route_recovers_on_the_same_thread(first_key, claude_armory, data_dir, repo):
    backend = open_secret_backend()
    if first_key:
        backend.put(REF, first_key)
    thread = str(uuid.uuid4())
    with SqliteSaver.from_conn_string(str(data_dir / "checkpoints.sqlite")) as saver:
        squad = build_squad().compile(checkpointer=saver)
        result = squad.invoke({"intent": "add notes", "workspace": str(repo), "changes": [], "mode": "observe"},
                              _config(thread))
        assert "__interrupt__" not in result, "mode observe: the read-only route finishes, nothing blocks"

        result = squad.invoke({"intent": "write notes with claude", "workspace": str(repo),
                               "changes": [{"path": "src/notes.py", "content": "placeholder\n"}]}, _config(thread))
        blocked = _only_request(result)
        action = blocked["action_requests"][0]
        assert action["name"] == "access_recovery"
        assert action["args"]["missing"] == [REF]
        assert action["args"]["resume_at"] == ("sentinel" if first_key is None else "forge")
        assert f"fractalops secrets put {REF}" in action["args"]["fix"][0]
        state = squad.get_state(_config(thread))
        assert state.values["route"] == "access_recovery"
        hud = squad_resources().outbox.projection(thread)["hud"]
        assert hud["route"] == "access_recovery" and REF in hud["launch_action"] and hud["continuity"] == "resume"

        backend.put(REF, CANARY_KEY)
        result = squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
        gate = _only_request(result)["action_requests"][0]
        assert gate["name"] == "workspace_patch" and gate["args"]["files"] == ["src/notes.py"]
        squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))

        assert (repo / "src/notes.py").read_text() == "NOTES = 'hi'\n"
        events = squad_resources().outbox.events(thread_id=thread)
        assert any(e["kind"].startswith("adapter.") for e in events), "the CLI's stream events reach the live outbox"
        forge_step = [e["text"] for e in events if e["agent"] == "forge" and e["kind"] == "step"][-1]
        assert forge_step.endswith("Wrote NOTES.md."), "the CLI's final message is the forge live signal"
        final = squad.get_state(_config(thread)).values
        assert set(final["summary"]["proof"]) == {"graph", "warehouse", "chronicle"}
        assert CANARY_KEY not in json.dumps(final, default=str)
    assert claude_armory.main_requests(), "the real CLI talked to the scripted model"
    assert _scan_for(CANARY_KEY, data_dir) == []
    assert _scan_for(WRONG_KEY, data_dir) == []
