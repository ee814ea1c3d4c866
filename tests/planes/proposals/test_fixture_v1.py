"""The persisted proposal record format (v1) still loads byte-for-byte: a format change must be a visible migration."""

from __future__ import annotations

import json
from pathlib import Path

from fractalops.planes.proposals import Proposal, ProposalStatus, content_hash

FIXTURE = Path(__file__).parents[2] / "fixtures" / "proposals" / "v1_evidenced.json"


def test_v1_record_loads_and_round_trips():
    text = FIXTURE.read_text()
    record = Proposal.model_validate_json(text)
    assert record.status == ProposalStatus.EVIDENCED
    assert record.content_hash == content_hash(record.kind, record.target, record.payload)
    assert record.approvers_for_current_hash() == ["alice"]
    assert set(record.evidence) == {"graph", "warehouse", "chronicle"}
    assert json.loads(record.model_dump_json()) == json.loads(text)
