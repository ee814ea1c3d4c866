"""`tool_call` proposals in the Proposal Plane: payload, review args, edits of `arguments`, the `started_at` marker,
`outcome_unknown`, and the v3 record format (frozen fixture; older records read the same)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from fractalops.errors import DecisionError, IllegalTransitionError, ProposalError
from fractalops.planes.proposals import (
    ApprovalRecord,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    ProposalStore,
    check_transition,
    content_hash,
)
from fractalops.planes.proposals.kinds import check_edit, edited_payload, review_args
from fractalops.planes.proposals.review import build_review_request, parse_decisions
from fractalops.planes.proposals.store import SCHEMA_VERSION
from fractalops.planes.proposals.tool_call import (
    MAX_ARGUMENTS_BYTES,
    ToolCallProposer,
    proposed_message,
    tool_call_payload,
    tool_call_target,
)

S = ProposalStatus
FIXTURES = Path(__file__).parents[2] / "fixtures" / "proposals"
V3 = FIXTURES / "v3_tool_call_outcome_unknown.json"
ENTITY = {"entities": [{"name": "release-42", "entityType": "release", "observations": ["shipped"]}]}


@pytest.fixture
def store(tmp_path: Path) -> ProposalStore:
    return ProposalStore(tmp_path / "proposals.sqlite")


def _proposer(store: ProposalStore, run: int = 1) -> ToolCallProposer:
    return ToolCallProposer(store=store, thread_id="t1", author_agent="forge", requester="alice", run=run)


def _propose(proposer: ToolCallProposer, arguments: dict | None = None) -> str:
    return proposer(target=tool_call_target("memory.mcp"),
                    payload=tool_call_payload("memory.mcp", "create_entities", arguments or ENTITY))


def _published(store: ProposalStore, pid: str) -> Proposal:
    store.transition(pid, S.IN_REVIEW)
    store.transition(pid, S.APPROVED)
    return store.transition(pid, S.PUBLISHED)


def test_the_payload_is_exactly_asset_tool_and_arguments_and_is_content_hashed(store):
    pid = _propose(_proposer(store))
    p = store.get(pid)
    assert (p.kind, p.target, p.payload) == ("tool_call", "mcp://memory.mcp",
                                             {"asset_id": "memory.mcp", "tool": "create_entities", "arguments": ENTITY})
    assert p.content_hash == content_hash("tool_call", "mcp://memory.mcp", p.payload) and p.idempotency_key == "1:tool_call:1"
    assert proposed_message(pid) == f"proposed {pid}: waits for approval"


@pytest.mark.parametrize("arguments, message", [
    (["not", "an", "object"], "must be a JSON object, got list"),
    ({"x": float("nan")}, "must be plain JSON"),
    ({"x": object()}, "must be plain JSON"),
    ({"x": "y" * MAX_ARGUMENTS_BYTES}, f"at most {MAX_ARGUMENTS_BYTES}"),
])
def test_arguments_that_are_not_a_small_json_object_are_refused(arguments, message):
    with pytest.raises(ProposalError, match=message):
        tool_call_payload("memory.mcp", "create_entities", arguments)
    with pytest.raises(ProposalError, match="needs an asset_id and a tool name"):
        tool_call_payload("", "create_entities", {})


def test_a_replayed_step_gets_its_own_proposals_back_and_a_new_run_gets_new_ones(store):
    first = _propose(_proposer(store))
    replay = _proposer(store)
    assert _propose(replay) == first  # the same position in the same run: the same proposal, whatever was asked
    second = _propose(replay)
    assert second != first and replay.proposed == [first, second]
    assert _propose(_proposer(store, run=2)) not in (first, second)
    with pytest.raises(ProposalError, match="records tool_call proposals only"):
        replay(kind="workspace_patch", target="/r", payload={})


def test_review_args_and_description_name_the_tool_and_what_is_editable(store):
    p = store.transition(_propose(_proposer(store)), S.IN_REVIEW)
    args = review_args(p)
    assert {k: args[k] for k in ("asset_id", "tool", "arguments")} == p.payload
    assert args["proposal_id"] == p.id and args["content_hash"] == p.content_hash
    request = build_review_request([p])
    assert request["action_requests"][0]["name"] == "tool_call"
    assert request["review_configs"] == [{"action_name": "tool_call", "allowed_decisions": ["approve", "edit", "reject"]}]
    description = request["action_requests"][0]["description"]
    assert "tool `create_entities`, run once by relay after approval" in description
    assert "editable: arguments" in description


def test_an_edit_changes_only_the_arguments_and_so_the_hash(store):
    p = store.transition(_propose(_proposer(store)), S.IN_REVIEW)
    edited = {"entities": [{"name": "release-43", "entityType": "release", "observations": []}]}
    payload = edited_payload(p, {"arguments": edited, "asset_id": "other.mcp", "tool": "delete_entities"})
    assert payload == {**p.payload, "arguments": edited}  # where the call goes is not editable
    assert edited_payload(p, {"arguments": json.dumps(edited)}) == payload  # a form sends the object back as text
    record = ApprovalRecord(decision="edit", identity="bob", content_hash=p.content_hash, at="t")
    after = store.edit(p.id, payload, record, approval_class=p.approval_class)
    assert after.content_hash == content_hash("tool_call", p.target, payload) != p.content_hash
    assert after.editors == ["bob"] and after.status == S.IN_REVIEW


@pytest.mark.parametrize("args, message", [
    ({}, "must be a JSON object, got NoneType"),
    ({"arguments": ["x"]}, "must be a JSON object, got list"),
    ({"arguments": "{not json"}, "the edited arguments are not JSON"),
    ({"arguments": "[1, 2]"}, "must be a JSON object, got list"),
])
def test_a_bad_edit_is_refused_before_anything_is_recorded(args, message):
    with pytest.raises(DecisionError, match=message):
        check_edit("tool_call", args, 0)
    with pytest.raises(DecisionError, match=message):
        parse_decisions({"decisions": [{"type": "edit", "edited_action": {"name": "tool_call", "args": args}}]}, 1,
                        ["tool_call"])


def test_the_started_marker_is_durable_once_and_only_on_a_published_proposal(store):
    pid = _propose(_proposer(store))
    with pytest.raises(ProposalError, match="only a published proposal is executed"):
        store.mark_started(pid)
    _published(store, pid)
    started = store.mark_started(pid)
    assert started.started_at and started.status == S.PUBLISHED
    with sqlite3.connect(store.path) as db:  # on disk, in the record itself, as soon as mark_started returned
        assert json.loads(db.execute("SELECT record FROM proposals WHERE id = ?", (pid,)).fetchone()[0])["started_at"]
    with pytest.raises(ProposalError, match="never executed twice"):
        store.mark_started(pid)


def test_outcome_unknown_is_reached_only_from_published_and_is_terminal(store):
    pid = _propose(_proposer(store))
    with pytest.raises(IllegalTransitionError, match="in_review -> outcome_unknown"):
        store.transition(store.transition(pid, S.IN_REVIEW).id, S.OUTCOME_UNKNOWN)
    store.transition(pid, S.APPROVED)
    store.transition(pid, S.PUBLISHED)
    assert store.transition(pid, S.OUTCOME_UNKNOWN).status == S.OUTCOME_UNKNOWN
    for nxt in S:
        with pytest.raises(IllegalTransitionError, match="none \\(terminal\\)"):
            check_transition(pid, S.OUTCOME_UNKNOWN, nxt)
    with pytest.raises(IllegalTransitionError):
        store.mark_applied(pid, ExecutionRecord(commit="sha256:" + "0" * 64, applied_hash="h", at="t"))


def test_the_v3_record_loads_and_round_trips_byte_for_byte():
    text = V3.read_text()
    record = Proposal.model_validate_json(text)
    assert (record.kind, record.status, record.executed) == ("tool_call", S.OUTCOME_UNKNOWN, None)
    assert record.started_at == "2026-11-26T10:02:00.000+00:00" and record.approved_by == ["bob"]
    assert record.content_hash == content_hash(record.kind, record.target, record.payload)
    assert json.loads(record.model_dump_json()) == json.loads(text)


@pytest.mark.parametrize("fixture", ["v1_evidenced.json", "v2_edited_elevated.json"])
def test_records_from_before_started_at_serialize_without_it(fixture):
    record = Proposal.model_validate_json((FIXTURES / fixture).read_text())
    assert record.started_at == "" and "started_at" not in json.loads(record.model_dump_json())


def test_a_v2_file_is_raised_to_v3_with_its_records_untouched(tmp_path):
    path = tmp_path / "proposals.sqlite"
    store = ProposalStore(path)
    v2_record = Proposal.model_validate_json((FIXTURES / "v2_edited_elevated.json").read_text())
    store.create(thread_id=v2_record.thread_id, author_agent="forge", requester="alice", kind="workspace_patch",
                 target="/srv/repo", payload=v2_record.payload, proposal_id=v2_record.id)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 2")
        before = db.execute("SELECT id, record FROM proposals").fetchall()
    ProposalStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)] == [(3,)]
        assert db.execute("SELECT id, record FROM proposals").fetchall() == before
