"""The persisted proposal record format (v1) still loads: a format change must be a visible migration.

v2 added `idempotency_key`, `author_ceiling`, `requester`, `editors` and `approved_by`; a v1 record loads with their
defaults, and its `principal` (who the agent acted for) becomes its `requester`. Nothing else changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from fractalops.planes.proposals import Proposal, ProposalStatus, content_hash

FIXTURE = Path(__file__).parents[2] / "fixtures" / "proposals" / "v1_evidenced.json"
V2_FIELDS_OF_A_V1_RECORD = {"idempotency_key": "", "author_ceiling": "", "requester": "agent:forge", "editors": [],
                            "approved_by": []}


def test_v1_record_loads_and_round_trips():
    text = FIXTURE.read_text()
    record = Proposal.model_validate_json(text)
    assert record.status == ProposalStatus.EVIDENCED
    assert record.content_hash == content_hash(record.kind, record.target, record.payload)
    assert record.approvers_for_current_hash() == ["alice"]
    assert set(record.evidence) == {"graph", "warehouse", "chronicle"}
    assert record.requester == record.principal == "agent:forge"
    assert json.loads(record.model_dump_json()) == {**json.loads(text), **V2_FIELDS_OF_A_V1_RECORD}
    assert Proposal.model_validate_json(record.model_dump_json()) == record
