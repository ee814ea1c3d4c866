"""relay executes an approved `tool_call` at most once, against real MCP servers: classed by sentinel, decided with the
gate's constitution checks, executed by relay, proven by ontos and ledger; a crash between the call and its record
(a real process death), a timeout or a lost server end it `outcome_unknown`, and it is never called again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from fractalops.agents import ledger, relay, sentinel
from fractalops.agents.gate import review_checks
from fractalops.agents.ontos import record_lineage
from fractalops.armory import load_armory
from fractalops.errors import McpServerError
from fractalops.identity import Principal
from fractalops.planes.evidence import EvidenceRef
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.proposals.review import apply_decisions
from fractalops.planes.proposals.tool_call import ToolCallProposer, tool_call_payload, tool_call_target
from fractalops.planes.warehouse import close_warehouse
from fractalops.runtime import AgentContext, Phase
from fractalops.runtime.resources import squad_resources
from tests.adapters.mcp_servers.servers import REPO_ROOT, memory_entry, notes, sdk_entry

S = ProposalStatus
ALICE = Principal("alice", frozenset({"operator", "approver"}))
BOB = Principal("bob", frozenset({"approver"}))
CAROL = Principal("carol", frozenset({"approver"}))
NEW = {"entities": [{"name": "release-42", "entityType": "release", "observations": ["shipped"]}]}
BUILDER = {"asset_id": "workspace.default", "role": "builder", "kind": "workspace_cli",
           "command": ["{python}", "-m", "fractalops.adapters.write_changes", "{task_file}"]}


@pytest.fixture(autouse=True)
def _own_warehouse():
    close_warehouse()
    yield
    close_warehouse()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"memory": tmp_path / "memory.jsonl", "notes": tmp_path / "notes.txt", "armory": tmp_path / "armory.yaml"}


@pytest.fixture
def armory(files, data_dir, monkeypatch):
    """Write the Armory (memory + SDK servers, forge on the no-model builder) and point the squad at it."""

    def write(*entries: dict, ceiling: str = "standard") -> Path:
        doc = {"assets": [{**BUILDER, "ceiling": ceiling}, *entries], "bindings": {"forge": "workspace.default"}}
        files["armory"].write_text(yaml.safe_dump(doc, sort_keys=False))
        load_armory(files["armory"])  # the file is valid
        return files["armory"]

    monkeypatch.setenv("FRACTALOPS_ARMORY", str(files["armory"]))
    write(memory_entry(files["memory"]), sdk_entry(files["notes"], timeout_s=2))
    return write


def _ctx(thread: str, pids: list[str], agent: str = "relay") -> AgentContext:
    return AgentContext(thread_id=thread, agent=agent, requester=ALICE, workspace="", changes_ref="", phase=Phase.APPLY,
                        run=1, proposal_ids=list(pids), bindings={}, packs=[], resources=squad_resources())


def _proposed(thread: str, asset_id: str, tool: str, arguments: dict) -> str:
    """What forge's loop does for a mutate call, then sentinel's classification of the batch."""
    proposer = ToolCallProposer(store=squad_resources().proposals, thread_id=thread, author_agent="forge",
                                requester="alice")
    pid = proposer(target=tool_call_target(asset_id), payload=tool_call_payload(asset_id, tool, arguments))
    sentinel.review(None, _ctx(thread, [pid], "sentinel"))  # type: ignore[arg-type]
    return pid


def _decide(pid: str, decision: dict, who: Principal = BOB) -> None:
    resources = squad_resources()
    armory = resources.armory()
    check, check_edit = review_checks(resources.constitution(), lambda p: p.author_ceiling or armory.bind("forge").ceiling)
    p = resources.proposals.get(pid)
    apply_decisions(resources.proposals, [p], [decision], who, check=check, check_edit=check_edit)


def _approved(thread: str, asset_id: str, tool: str, arguments: dict) -> str:
    pid = _proposed(thread, asset_id, tool, arguments)
    _decide(pid, {"type": "approve"})
    assert squad_resources().proposals.get(pid).status == S.APPROVED
    return pid


def _relay(thread: str, pid: str):
    return relay.run(None, ctx := _ctx(thread, [pid])), ctx  # type: ignore[arg-type]


def test_an_approved_call_runs_once_after_approval_and_its_result_closes_the_proof(armory, files):
    thread = str(uuid.uuid4())
    pid = _proposed(thread, "memory.mcp", "create_entities", NEW)
    store = squad_resources().proposals
    assert (store.get(pid).status, store.get(pid).approval_class) == (S.IN_REVIEW, "standard")
    assert not files["memory"].exists(), "proposed and classified: the server has seen nothing"
    _decide(pid, {"type": "approve"})
    assert not files["memory"].exists(), "approved but not yet executed: still nothing"
    result, ctx = _relay(thread, pid)
    entities = [json.loads(line) for line in files["memory"].read_text().splitlines()]
    assert [e["name"] for e in entities if e["type"] == "entity"] == ["release-42"], "exactly once"
    p = store.get(pid)
    assert p.status == S.VISIBLE and p.started_at and p.executed.applied_hash == p.content_hash
    evidence = squad_resources().get_payload(p.executed.commit)
    assert evidence["type"] == "mcp_tool_result" and evidence["arguments"] == NEW and not evidence["is_error"]
    assert "release-42" in json.dumps(evidence["content"])
    assert result.signal == f"applied {pid}" and [e["kind"] for e in ctx.emitted][-1] == "tool_call_executed"
    _relay(thread, pid)  # a replay finds it applied and calls nothing
    assert len(files["memory"].read_text().splitlines()) == len(entities)
    record_lineage(None, _ctx(thread, [pid], "ontos"))  # type: ignore[arg-type]
    proven = ledger.run(None, _ctx(thread, [pid], "ledger"))  # type: ignore[arg-type]
    p = store.get(pid)
    assert p.status == S.EVIDENCED and set(proven.summary["proof"]) == {"graph", "warehouse", "chronicle"}
    entry = squad_resources().chronicle().lookup(p.evidence["chronicle"])
    assert (entry["kind"], entry["commit"], entry["proposal_id"]) == ("tool_call", p.executed.commit, pid)
    assert EvidenceRef.parse(p.evidence["chronicle"])


def test_a_crash_between_the_call_and_its_record_ends_outcome_unknown_and_is_never_called_again(armory, files):
    thread = str(uuid.uuid4())
    pid = _approved(thread, "sdk.mcp", "note", {"text": "deploy #7"})
    child = subprocess.run([sys.executable, "-m", "tests.agents._relay_crash", thread, pid], cwd=REPO_ROOT,
                           env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=120)
    assert child.returncode == 9, child.stderr[-2000:]
    assert notes(files["notes"]) == ["deploy #7"], "the call reached the server before the crash"
    store = squad_resources().proposals
    crashed = store.get(pid)
    assert (crashed.status, crashed.executed) == (S.PUBLISHED, None) and crashed.started_at, "the marker survived"
    result, ctx = _relay(thread, pid)
    p = store.get(pid)
    assert p.status == S.OUTCOME_UNKNOWN and "interrupted between the call and its record" in p.feedback
    assert "outcome unknown" in result.signal and result.summary["last_feedback"].startswith("tool call outcome unknown")
    assert [e["kind"] for e in ctx.emitted] == ["tool_call_outcome_unknown"]
    _relay(thread, pid)
    assert notes(files["notes"]) == ["deploy #7"] and store.get(pid).status == S.OUTCOME_UNKNOWN, "at most once"


@pytest.mark.parametrize("tool, why", [("note_then_hang", "gave no answer"), ("note_then_crash", "failed during")])
def test_a_call_left_unanswered_is_outcome_unknown_at_once(armory, files, tool, why):
    thread = str(uuid.uuid4())
    pid = _approved(thread, "sdk.mcp", tool, {"text": "maybe"})
    _relay(thread, pid)
    p = squad_resources().proposals.get(pid)
    assert p.status == S.OUTCOME_UNKNOWN and why in p.feedback and p.executed is None
    _relay(thread, pid)
    assert notes(files["notes"]) == ["maybe"]


def test_the_edited_arguments_are_what_is_executed(armory, files):
    thread = str(uuid.uuid4())
    pid = _proposed(thread, "sdk.mcp", "note", {"text": "as the model wrote it"})
    _decide(pid, {"type": "edit", "edited_action": {"name": "tool_call",
                                                    "args": {"arguments": {"text": "as the reviewer fixed it"}}}})
    store = squad_resources().proposals
    assert store.get(pid).status == S.IN_REVIEW and store.get(pid).editors == ["bob"]
    _decide(pid, {"type": "approve"}, CAROL)  # the editor may not approve their own edit
    _relay(thread, pid)
    assert notes(files["notes"]) == ["as the reviewer fixed it"]
    evidence = squad_resources().get_payload(store.get(pid).executed.commit)
    assert evidence["arguments"] == {"text": "as the reviewer fixed it"}


def test_a_call_the_server_refuses_or_the_armory_no_longer_has_is_rejected_unsent(armory, files):
    thread = str(uuid.uuid4())
    pid = _proposed(thread, "sdk.mcp", "note", {"text": "fine"})
    _decide(pid, {"type": "edit", "edited_action": {"name": "tool_call", "args": {"arguments": {"text": 5}}}})
    _decide(pid, {"type": "approve"}, CAROL)
    _relay(thread, pid)
    store = squad_resources().proposals
    p = store.get(pid)
    assert p.status == S.REJECTED and "5 is not of type 'string'" in p.feedback and not p.started_at
    other = str(uuid.uuid4())  # (on `thread`, the same position of the same run is the same proposal)
    gone = _approved(other, "sdk.mcp", "note", {"text": "x"})
    armory(memory_entry(files["memory"]))  # the SDK server left the Armory after approval
    _relay(other, gone)
    assert store.get(gone).status == S.REJECTED and "unknown asset_id 'sdk.mcp'" in store.get(gone).feedback
    assert notes(files["notes"]) == []


def test_a_server_that_cannot_be_reached_leaves_the_call_for_a_retry(armory, files):
    armory(memory_entry(files["memory"]), {**sdk_entry(files["notes"]), "command": ["/nonexistent/mcp-server"]})
    thread = str(uuid.uuid4())
    pid = _approved(thread, "sdk.mcp", "note", {"text": "later"})
    with pytest.raises(McpServerError, match="could not be connected"):
        _relay(thread, pid)
    p = squad_resources().proposals.get(pid)
    assert (p.status, p.started_at) == (S.PUBLISHED, ""), "nothing was sent, so nothing is unknown"
    armory(memory_entry(files["memory"]), sdk_entry(files["notes"]))
    _relay(thread, pid)
    assert squad_resources().proposals.get(pid).status == S.VISIBLE and notes(files["notes"]) == ["later"]


def test_the_assets_approval_class_raises_the_call_and_the_model_assets_ceiling_bounds_it(armory, files):
    armory(memory_entry(files["memory"]), sdk_entry(files["notes"], approval_class={"note": "elevated"}))
    refused = _proposed(str(uuid.uuid4()), "sdk.mcp", "note", {"text": "x"})
    p = squad_resources().proposals.get(refused)
    assert (p.status, p.approval_class) == (S.REJECTED, "elevated")
    assert "above the author's ceiling standard" in p.feedback
    armory(memory_entry(files["memory"]), sdk_entry(files["notes"], approval_class={"note": "elevated"}),
           ceiling="elevated")
    pid = _proposed(str(uuid.uuid4()), "sdk.mcp", "note", {"text": "x"})
    assert squad_resources().proposals.get(pid).approval_class == "elevated"
    _decide(pid, {"type": "approve"})
    assert squad_resources().proposals.get(pid).status == S.IN_REVIEW, "elevated needs a second human"
    _decide(pid, {"type": "approve"}, CAROL)
    assert squad_resources().proposals.get(pid).status == S.APPROVED
