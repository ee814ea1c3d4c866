"""`feature_rows`: each feature computed from what the planes record, inside its window; `collect_facts` reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fractalops.planes.features import Facts, collect_facts, feature_rows
from fractalops.planes.features.facts import iso
from fractalops.planes.live import LiveOutbox, StepRow
from fractalops.planes.proposals import (
    ApprovalRecord,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    ProposalStore,
)
from fractalops.planes.warehouse import get_warehouse

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _proposal(pid: str, status: str, *, author: str = "forge", created: timedelta = timedelta(hours=2),
              approved_after: float | None = None, applied: bool = False, approver: str = "alice") -> Proposal:
    created_at = NOW - created
    approvals = []
    if approved_after is not None:
        decision = "policy" if approver == "policy:constitution" else "approve"
        approvals = [ApprovalRecord(decision=decision, identity=approver, content_hash="sha256:h",
                                    at=iso(created_at + timedelta(seconds=approved_after)))]
    executed = ExecutionRecord(commit="c", applied_hash="sha256:h", at=iso(created_at + timedelta(minutes=30))) \
        if applied else None
    return Proposal(id=pid, thread_id="t", author_agent=author, kind="workspace_patch", target="/r", payload={},
                    payload_ref="sha256:h", content_hash="sha256:h", status=ProposalStatus(status),
                    approvals=approvals, approved_by=[approver] if approvals else [], executed=executed,
                    created_at=iso(created_at), updated_at=iso(created_at))


def _step(agent: str, ago: timedelta, **data) -> StepRow:
    return StepRow(thread_id="t", agent=agent, at=iso(NOW - ago), data=data)


def _by(rows: list[dict], scope: str) -> dict[str, dict]:
    return {row[scope]: row for row in rows}


def test_each_feature_from_its_facts() -> None:
    proposals = [
        _proposal("p1", "evidenced", approved_after=60, applied=True),
        _proposal("p2", "visible", approved_after=180, applied=True),  # applied, proof still open
        _proposal("p3", "in_review"),
        _proposal("p4", "approved", approved_after=5, approver="policy:constitution"),  # routine: no human latency
        _proposal("p5", "rejected"),
    ]
    steps = [
        _step("forge", timedelta(hours=3), asset="codex.default", proposals=["p1", "p2", "p3"]),
        _step("forge", timedelta(hours=2), asset="codex.default", failure="AdapterTimeoutError", adapter_timeouts=1),
        _step("forge", timedelta(hours=1), asset="codex.default", failure="UnsafePathError"),
        _step("forge", timedelta(hours=30), asset="codex.default", adapter_timeouts=4),  # over 24 h: not counted
        _step("ledger", timedelta(minutes=5), asset="native", failure="WarehouseError"),
    ]
    facts = Facts(as_of=NOW, proposals=proposals, steps=steps, proven=frozenset({"p1", "p2x"}), quarantined_recent=7)
    rows = feature_rows(facts)
    forge = _by(rows["agent"], "agent")["forge"]
    assert forge["proof_closure_rate"] == 0.5, "p1 closed (evidenced + proof fact), p2 applied but open"
    assert forge["approval_latency_p50_s"] == 120.0, "median of 60 s and 180 s; the policy approval is no person"
    assert forge["open_proposals"] == 2, "in review and approved (not yet applied) are open, rejected is not"
    assert forge["last_failure_family"] == "UnsafePathError"
    assert forge["adapter_timeouts_24h"] == 1
    assert _by(rows["agent"], "agent")["ledger"]["last_failure_family"] == "WarehouseError"
    codex = _by(rows["asset"], "asset")["codex.default"]
    assert codex["proof_closure_rate"] == 0.5 and codex["open_proposals"] == 1, "p4 was not made on an asset step"
    assert codex["adapter_timeouts_24h"] == 1
    assert rows["warehouse"] == [{"quarantine_growth_24h": 7}]


def test_nothing_to_compute_from_is_null_not_zero() -> None:
    rows = feature_rows(Facts(as_of=NOW, proposals=[], steps=[_step("atlas", timedelta(minutes=1), asset="native")],
                              proven=frozenset(), quarantined_recent=0))
    atlas = _by(rows["agent"], "agent")["atlas"]
    assert atlas == {"agent": "atlas", "proof_closure_rate": None, "approval_latency_p50_s": None,
                     "last_failure_family": "", "open_proposals": 0, "adapter_timeouts_24h": 0}


def test_old_facts_leave_the_window_and_known_entities_fall_back() -> None:
    old = [_proposal("p1", "evidenced", created=timedelta(days=9), approved_after=60, applied=True)]
    steps = [_step("forge", timedelta(days=8), asset="codex.default", failure="AdapterTimeoutError")]
    facts = Facts(as_of=NOW, proposals=old, steps=steps, proven=frozenset({"p1"}), quarantined_recent=0,
                  known={"agent": frozenset({"forge", "gone"}), "asset": frozenset({"codex.default"})})
    rows = feature_rows(facts)
    assert set(_by(rows["agent"], "agent")) == {"forge", "gone"}, "an entity seen before keeps getting a row"
    forge = _by(rows["agent"], "agent")["forge"]
    assert forge["proof_closure_rate"] is None and forge["approval_latency_p50_s"] is None
    assert forge["last_failure_family"] == ""


def test_collect_facts_reads_the_three_planes(data_dir) -> None:
    store, outbox, wh = ProposalStore.in_data_dir(data_dir), LiveOutbox.in_data_dir(data_dir), get_warehouse()
    p = store.create(thread_id="t1", author_agent="forge", requester="alice", kind="workspace_patch", target="/r",
                     payload={"diff": "", "base_commit": "b", "files": []})
    done = store.create(thread_id="t1", author_agent="forge", requester="alice", kind="workspace_patch", target="/r",
                        payload={"diff": "x", "base_commit": "b", "files": []})
    store.transition(done.id, ProposalStatus.REJECTED)
    projection = {"owner": "o", "status": "running", "current_agent": "forge", "pending_approvals": 0,
                  "live_signal": "x", "hud": {}, "diagnostics": {}}
    outbox.record(thread_id="t1", agent="forge", events=[
        ("k1", "step", "proposed", {"asset": "workspace.default", "proposals": [p.id]}),
        ("k2", "adapter.adapter_finished", "x", {})], projection=projection)
    wh.record_proof_fact(thread_id="t1", proposal_id=p.id, content_hash="sha256:h", commit="c", graph_iri="g",
                         chronicle_ref="chronicle://main/0")
    wh.quarantine("posthog", "unknown event", {"event": "x"})
    facts = collect_facts(store, outbox, wh, as_of=datetime.now(UTC) + timedelta(seconds=1))
    assert {q.id for q in facts.proposals} == {p.id, done.id}
    assert [s["data"] for s in facts.steps] == [{"asset": "workspace.default", "proposals": [p.id]}]
    assert facts.proven == frozenset({p.id}) and facts.quarantined_recent == 1
    later = collect_facts(store, outbox, wh, as_of=datetime.now(UTC) + timedelta(days=30))
    assert [q.id for q in later.proposals] == [p.id], "an open proposal of any age stays; the rejected one left"
    assert later.steps[0]["data"]["proposals"] == [p.id], "the step that made an open proposal names its asset"
    assert later.quarantined_recent == 0 and later.proven == frozenset()
