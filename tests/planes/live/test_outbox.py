"""`portal_live_events` and `harness-projection`: monotonic ids, idempotent replays, one row per thread."""

from __future__ import annotations

from fractalops.planes.live import LiveOutbox

PROJECTION = {"owner": "alice", "status": "running", "current_agent": "atlas", "pending_approvals": 0,
              "live_signal": "atlas: routed", "hud": {"route": "change"}, "diagnostics": {"continuity_reason": "new"}}


def test_replayed_step_writes_nothing_twice_and_ids_are_monotonic(tmp_path):
    outbox = LiveOutbox(tmp_path / "live.sqlite")
    step = [("t1:0:atlas:0", "dispatch", "go", {}), ("t1:0:atlas:1", "step", "routed", {"n": 1})]
    outbox.record(thread_id="t1", agent="atlas", events=step, projection=PROJECTION)
    outbox.record(thread_id="t1", agent="atlas", events=step, projection=PROJECTION)
    outbox.record(thread_id="t2", agent="atlas", events=[("t2:0:atlas:0", "step", "other", {})], projection=PROJECTION)
    events = outbox.events()
    assert [e["text"] for e in events] == ["go", "routed", "other"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert outbox.events(thread_id="t1", after=events[0]["id"])[0]["data"] == {"n": 1}


def test_projection_is_one_row_per_thread_with_its_owner_kept(tmp_path):
    outbox = LiveOutbox(tmp_path / "live.sqlite")
    outbox.record(thread_id="t1", agent="atlas", events=[("k1", "step", "a", {})], projection=PROJECTION)
    later = {**PROJECTION, "owner": "mallory", "status": "awaiting_approval", "pending_approvals": 1}
    outbox.record(thread_id="t1", agent="gate", events=[("k2", "step", "b", {})], projection=later)
    row = outbox.projection("t1")
    assert row["status"] == "awaiting_approval" and row["pending_approvals"] == 1
    assert row["owner"] == "alice", "the first recorder owns the thread row"
    assert row["last_event_id"] == outbox.events()[-1]["id"]
    assert [r["thread_id"] for r in outbox.projections(owner="alice")] == ["t1"]
    assert outbox.projections(owner="mallory") == []
    assert outbox.diagnostics("t1") == {"continuity_reason": "new"}
