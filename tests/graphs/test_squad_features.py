"""Feature freshness through the squad in-process (real git, SQLite, chdb, Feast): a proven proposal changes its
features within one materialization and the next steps' contexts show it; with the online store deleted the run
still works and the HUD diagnostics name the missing features; a recurring adapter timeout is cited in the HUD."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.planes.features import (
    FEATURE_NAMES,
    FeatureRead,
    FeatureRepo,
    feature_reader,
    materializer,
    read_marker,
)
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.warehouse import get_warehouse
from fractalops.runtime import _step_facts, squad_resources
from tests.graphs._runs import run_config as _config

SETTLE_S = 120


@pytest.fixture
def squad():
    return build_squad().compile(checkpointer=InMemorySaver())


@pytest.fixture
def contexts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, FeatureRead]]:
    """What each step of the squad got as `AgentContext.features` (the step wrapper's one read, observed)."""
    monkeypatch.setenv("FRACTALOPS_FEATURES_BUDGET_MS", "30000")  # a loaded machine must not turn this into a race
    seen: list[tuple[str, FeatureRead]] = []
    read = _step_facts.read_features

    def observed(ctx, asset):
        features = read(ctx, asset)
        seen.append((ctx.agent, features))
        return features

    monkeypatch.setattr("fractalops.runtime.step.read_features", observed)
    return seen


def _launch(squad, repo: Path, thread: str, name: str = "src/app.py", **configurable):
    payload = {"intent": f"write {name}", "workspace": str(repo), "changes": [{"path": name, "content": "X = 1\n"}]}
    return squad.invoke(payload, _config(thread, bindings={"forge": "native"}, **configurable))


def _approve(squad, thread: str):
    return squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))


def _materialize(data_dir: Path) -> None:
    worker = materializer(data_dir)
    assert worker.wait(worker.request(get_warehouse()), SETTLE_S) and worker.last_error == ""


def _settle(data_dir: Path) -> None:
    """Wait for the materialization ledger asked for (its ticket is the latest request)."""
    worker = materializer(data_dir)
    assert worker.wait(worker.requested, SETTLE_S) and worker.last_error == ""


def _forge(data_dir: Path) -> FeatureRead:
    return feature_reader(data_dir).read("forge", "native", budget_s=30)


def _last(seen: list[tuple[str, FeatureRead]], agent: str) -> FeatureRead:
    return [features for name, features in seen if name == agent][-1]


def test_a_proven_proposal_changes_its_features_within_one_materialization(squad, repo, data_dir, contexts):
    thread = str(uuid.uuid4())
    _launch(squad, repo, thread)
    _materialize(data_dir)
    before = _forge(data_dir)
    assert before.get("agent.open_proposals") == 1 and before.get("agent.proof_closure_rate") is None
    runs = materializer(data_dir).runs

    _approve(squad, thread)
    _settle(data_dir)
    assert materializer(data_dir).runs == runs + 1, "exactly one materialization, the one ledger asked for"
    after = _forge(data_dir)
    assert after.fresh
    assert after.get("agent.proof_closure_rate") == 1.0 and after.get("agent.open_proposals") == 0
    assert after.get("agent.approval_latency_p50_s") > 0
    assert after.get("asset.proof_closure_rate") == 1.0, "forge ran native, so `native` is the asset"

    second = str(uuid.uuid4())
    _launch(squad, repo, second, name="src/other.py")
    forge = _last(contexts, "forge")
    assert forge.fresh and forge.as_of == read_marker(FeatureRepo.in_data_dir(data_dir)).as_of
    assert forge.get("agent.proof_closure_rate") == 1.0 and forge.get("agent.open_proposals") == 0
    assert squad_resources().outbox.diagnostics(second)["features_note"] == ""
    recorded = [row["data"]["features"] for row in squad_resources().outbox.steps()
                if row["thread_id"] == second and row["agent"] == "forge"][-1]
    assert recorded["as_of"] == forge.as_of and recorded["stale"] == []
    assert recorded["values"] == dict(forge.values), "the step record holds what forge's context read"


def test_without_the_online_store_the_run_works_and_the_diagnostics_name_the_missing(squad, repo, data_dir,
                                                                                     contexts):
    first = str(uuid.uuid4())
    _launch(squad, repo, first)
    _approve(squad, first)
    _settle(data_dir)
    online = FeatureRepo.in_data_dir(data_dir).online_path
    online.unlink()

    thread = str(uuid.uuid4())
    request = _launch(squad, repo, thread, name="src/other.py")["__interrupt__"][0].value
    note = squad_resources().outbox.diagnostics(thread)["features_note"]
    assert note.startswith("missing " + ", ".join(FEATURE_NAMES)) and f"no online store at {online}" in note
    assert _last(contexts, "forge").missing == FEATURE_NAMES and not _last(contexts, "forge").values
    assert all("features" not in row["data"] for row in squad_resources().outbox.steps()
               if row["thread_id"] == thread), "nothing read, nothing recorded as read"

    _approve(squad, thread)
    pid = request["action_requests"][0]["args"]["proposal_id"]
    assert squad_resources().proposals.get(pid).status == ProposalStatus.EVIDENCED, "the run worked without it"
    _settle(data_dir)
    assert read_marker(FeatureRepo.in_data_dir(data_dir)).full, "the deleted store was reloaded whole"
    forge = _forge(data_dir)
    assert forge.fresh and forge.get("agent.proof_closure_rate") == 1.0 and forge.get("agent.open_proposals") == 0


@pytest.fixture
def slow_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "armory.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "assets": [{
        "asset_id": "slow.builder", "role": "builder", "kind": "workspace_cli",
        "command": [sys.executable, "-c", "import time; time.sleep(60)"], "timeout_s": 0.5,
        "ceiling": "standard", "allowed_roles": ["*"], "env_allow": ["PATH"]}], "bindings": {"forge": "slow.builder"}}))
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    return "slow.builder"


def test_a_recurring_adapter_timeout_is_cited_in_the_recovery_rule(squad, repo, data_dir, contexts, slow_builder):
    for _ in range(2):
        thread = str(uuid.uuid4())
        squad.invoke({"intent": "build", "workspace": str(repo), "changes": [{"path": "a.py", "content": "A\n"}]},
                     _config(thread))
        assert "the build failed" in squad.get_state(_config(thread)).values["summary"]["outcome"]
    _materialize(data_dir)

    thread = str(uuid.uuid4())
    squad.invoke({"intent": "build", "workspace": str(repo), "changes": [{"path": "a.py", "content": "A\n"}]},
                 _config(thread))
    forge = _last(contexts, "forge")
    assert forge.get("asset.adapter_timeouts_24h") == 2 and forge.get("agent.adapter_timeouts_24h") == 2
    assert forge.get("agent.last_failure_family") == "AdapterTimeoutError"
    summary = squad.get_state(_config(thread)).values["summary"]
    assert summary["cited_feature"] == {"name": "asset.adapter_timeouts_24h", "entity": slow_builder, "value": 2}
    hud = compile_hud(summary, resumed=False).hud
    assert hud.recovery_rule.startswith(f"recurring timeout: {slow_builder} timed out 2x in 24 h")
    assert len(hud.model_dump_json().encode()) <= 2048
