"""The v2 proposal record (requester, editors, author ceiling, approved_by, idempotency key) loads byte-for-byte."""

from __future__ import annotations

import json
from pathlib import Path

from fractalops.armory import Constitution
from fractalops.planes.proposals import Proposal, ProposalStatus, content_hash
from fractalops.planes.proposals.ids import PROPOSAL_ID_PATTERN

FIXTURE = Path(__file__).parents[2] / "fixtures" / "proposals" / "v2_edited_elevated.json"


def test_v2_record_loads_and_round_trips():
    text = FIXTURE.read_text()
    record = Proposal.model_validate_json(text)
    assert PROPOSAL_ID_PATTERN.match(record.id)
    assert record.status == ProposalStatus.EVIDENCED and record.approval_class == "elevated"
    assert record.content_hash == content_hash(record.kind, record.target, record.payload)
    assert record.proposed["content_hash"] != record.content_hash, "edited after it was proposed"
    assert (record.requester, record.principal, record.editors) == ("alice", "alice", ["bob"])
    assert record.approvers_for_current_hash() == ["alice", "carol"] == record.approved_by
    assert json.loads(record.model_dump_json()) == json.loads(text)


def test_the_recorded_approvals_are_what_the_constitution_counts():
    record = Proposal.model_validate_json(FIXTURE.read_text())
    approvers = [{"identity": a.identity, "roles": list(a.roles)} for a in record.approvals_for_current_hash()]
    decision = Constitution.load().check_approval(
        str(record.approval_class), record.author_identity, approvers, author_agent=record.author_agent,
        requester=record.requester, editors=record.editors)
    assert decision.allowed and list(decision.approvers) == record.approved_by
