"""The step wrapper: every step reads its features once, records its `StepData`, names what it could not read,
cites at most one feature, and a resumed step's events get keys of their own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.errors import WarehouseError
from fractalops.graphs.squad import build_squad
from fractalops.hud import new_summary
from fractalops.planes.features import FEATURE_NAMES, feature_reader, materializer
from fractalops.planes.warehouse import get_warehouse
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, agent_node, squad_resources

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}


def _config(thread: str, **configurable) -> dict:
    return {"configurable": {"thread_id": thread, "langgraph_auth_user": ALICE, **configurable}}


def _state(thread_summary: dict | None = None, **values) -> dict:
    return {"summary": thread_summary or dict(new_summary("probe")), "phase": "launch", **values}


def _probe(agent: str, run) -> object:
    return agent_node(AgentSpec(name=f"probe_{agent}", agent=agent, pack="core", role="probe", run=run))


def _steps(thread: str) -> list[dict]:
    return [e for e in squad_resources().outbox.events(thread_id=thread) if e["kind"] == "step"]


@pytest.fixture
def armory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "armory.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "assets": [{
        "asset_id": "builder.test", "role": "builder", "kind": "workspace_cli", "command": ["true"],
        "ceiling": "standard", "allowed_roles": ["*"]}], "bindings": {"forge": "builder.test"}}))
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    return path


def test_a_step_reads_its_features_and_names_what_is_missing(data_dir: Path, armory: Path) -> None:
    seen: list[AgentContext] = []

    def run(hud, ctx: AgentContext) -> AgentResult:
        seen.append(ctx)
        return AgentResult(signal="probed")

    thread = str(uuid.uuid4())
    out = _probe("ledger", run)(_state(), _config(thread), None)
    features = seen[0].features
    assert (features.agent, features.asset) == ("ledger", "builder.test"), (
        "ledger runs native, so it reads the asset the thread's work runs on: forge's")
    assert features.missing == FEATURE_NAMES and "no online store" in features.reason
    assert out["summary"]["features_note"].startswith("missing agent.proof_closure_rate, ")
    assert out["summary"]["cited_feature"] == {}
    diagnostics = squad_resources().outbox.diagnostics(thread)
    assert diagnostics["features_note"] == out["summary"]["features_note"]
    assert _steps(thread)[-1]["data"] == {"asset": "native"}, "ledger itself ran on no asset"


def test_features_in_context_and_the_cited_timeout(data_dir: Path, armory: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_FEATURES_BUDGET_MS", "30000")  # the first read opens the store: no race here
    thread = str(uuid.uuid4())
    timed_out = {"kind": "adapter.adapter_finished", "text": "builder.test finished: exit -9, 0 file(s) changed, "
                                                             "timed out", "data": {}}

    def forge(hud, ctx: AgentContext) -> AgentResult:
        ctx.emitted.append(timed_out)
        return AgentResult(signal="build failed")

    for n in range(2):
        _probe("forge", forge)(_state(), _config(f"{thread}-{n}"), None)
    assert _steps(f"{thread}-0")[-1]["data"] == {"asset": "builder.test", "failure": "AdapterTimeoutError",
                                                 "adapter_timeouts": 1}
    worker = materializer(data_dir)
    assert worker.wait(worker.request(get_warehouse()), 120) and worker.last_error == ""
    assert feature_reader(data_dir).ready(120)
    seen: list[AgentContext] = []

    def sentinel(hud, ctx: AgentContext) -> AgentResult:
        seen.append(ctx)
        return AgentResult(signal="launch contract ok")

    out = _probe("sentinel", sentinel)(_state(), _config(thread), None)
    features = seen[0].features
    assert features.get("asset.adapter_timeouts_24h") == 2 and features.get("asset.last_failure_family") == (
        "AdapterTimeoutError")
    assert features.missing == tuple(n for n in FEATURE_NAMES if n.startswith("agent.")), (
        "sentinel has no row yet: named missing, not zero")
    assert out["summary"]["cited_feature"] == {"name": "asset.adapter_timeouts_24h", "entity": "builder.test",
                                               "value": 2}
    hud = squad_resources().outbox.projection(thread)["hud"]
    assert hud["recovery_rule"].startswith("recurring timeout: builder.test timed out 2x in 24 h -> raise its "
                                           "timeout_s in the Armory or bind another asset; ")


def test_an_escaping_error_is_recorded_with_its_family_and_still_raised(data_dir: Path) -> None:
    def run(hud, ctx: AgentContext) -> AgentResult:
        raise WarehouseError("the warehouse is gone")

    thread = str(uuid.uuid4())
    with pytest.raises(WarehouseError, match="the warehouse is gone"):
        _probe("ledger", run)(_state(), _config(thread), None)
    (step,) = _steps(thread)
    assert step["data"] == {"asset": "native", "failure": "WarehouseError"}
    assert step["text"] == "failed: WarehouseError: the warehouse is gone"


def test_a_resumed_gate_step_records_its_decision_events(data_dir: Path, repo: Path) -> None:
    squad = build_squad().compile(checkpointer=InMemorySaver())
    thread = str(uuid.uuid4())
    squad.invoke({"intent": "add", "workspace": str(repo), "changes": [{"path": "a.py", "content": "A = 1\n"}]},
                 _config(thread, bindings={"forge": "native"}))
    squad.invoke(Command(resume={"decisions": [{"type": "nope"}]}), _config(thread))
    gate = [(e["kind"], e["text"]) for e in squad_resources().outbox.events(thread_id=thread) if e["agent"] == "gate"]
    assert gate[:2] == [("approval_requested", "waiting for approval of 1 proposal(s)"),
                        ("step", "waiting for approval of 1 proposal(s)")]
    refused = [text for kind, text in gate if kind == "decision_refused"]
    assert len(refused) == 1, "the resumed part of the step is recorded, once"
    closing = [e for e in _steps(thread) if e["agent"] == "gate" and e["text"].startswith("decision refused")]
    assert closing[0]["data"] == {"asset": "native", "failure": "DecisionError"}
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
    decisions = [e["text"] for e in squad_resources().outbox.events(thread_id=thread) if e["kind"] == "decision"]
    assert len(decisions) == 1 and "approved" in decisions[0]
