"""From what the planes record to one snapshot of feature rows: `collect_facts`, then `feature_rows`.

Sources, each read where it is recorded:
- the Proposal Plane: every open proposal, and every proposal changed in the window (timestamps, approvals,
  execution, status);
- the live outbox: each squad step's `StepData` (the asset it ran on, its failure family, adapter timeouts, the
  proposals it created) — the step wrapper writes it on the step's `step` event;
- the warehouse: proof facts (the warehouse part of a closed proof) and the quarantine table.

`feature_rows` is pure: the same facts give the same rows.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fractalops.errors import FractalOpsError
from fractalops.planes.features.definitions import OPEN_STATUSES, RECENT, WINDOW
from fractalops.planes.live import LiveOutbox, StepRow
from fractalops.planes.proposals import Proposal, ProposalStatus, ProposalStore
from fractalops.planes.warehouse import WarehouseProtocol

__all__ = ["Facts", "QUARANTINE_GROWTH", "collect_facts", "feature_rows", "iso"]

_POLICY = "policy:constitution"
QUARANTINE_GROWTH = "warehouse.quarantine_growth_24h"
_APPROVED = {ProposalStatus.APPROVED, ProposalStatus.PUBLISHED, ProposalStatus.APPLIED, ProposalStatus.VISIBLE,
             ProposalStatus.EVIDENCED}


def iso(at: datetime) -> str:
    """The planes' timestamp text (ISO 8601 UTC, milliseconds), comparable as strings."""
    return at.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Facts:
    """What one snapshot is computed from."""

    as_of: datetime
    """When the facts were read (UTC); the snapshot's event timestamp."""
    proposals: list[Proposal]
    """Open proposals of any age, plus every proposal changed in the window."""
    steps: list[StepRow]
    """Step events in the window, plus every step that created a proposal."""
    proven: frozenset[str]
    """Proposal ids with a warehouse proof fact recorded in the window."""
    quarantined_recent: int | None
    """Warehouse quarantine rows from the last 24 h; None when the quarantine table could not be read."""
    known: dict[str, frozenset[str]] = field(default_factory=dict)
    """Entity keys already in the offline store, per scope: they keep getting rows (values fall back to zero)."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Qualified feature name -> why its source could not be read (its value is null and readers name it missing)."""


def collect_facts(proposals: ProposalStore, outbox: LiveOutbox, warehouse: WarehouseProtocol, *,
                  as_of: datetime) -> Facts:
    """Read the facts of the window ending at `as_of` from the three planes."""
    since = iso(as_of - WINDOW)
    by_id = {p.id: p for p in proposals.list(updated_since=since)}
    for status in OPEN_STATUSES:
        by_id.update({p.id: p for p in proposals.list(status=ProposalStatus(status))})
    proven = warehouse.query("SELECT DISTINCT proposal_id FROM proof_facts WHERE ts >= {since:DateTime64(3)}",
                             {"since": as_of - WINDOW})
    quarantined, unavailable = _quarantined_recent(warehouse, as_of)
    return Facts(as_of=as_of, proposals=sorted(by_id.values(), key=lambda p: (p.created_at, p.id)),
                 steps=outbox.steps(since=since, proposing=True),
                 proven=frozenset(str(r["proposal_id"]) for r in proven),
                 quarantined_recent=quarantined, unavailable=unavailable)


def _quarantined_recent(warehouse: WarehouseProtocol, as_of: datetime) -> tuple[int | None, dict[str, str]]:
    """Quarantine rows of the last 24 h, or None and why (a warehouse without a readable quarantine table serves
    every other feature; this one is named missing, never zero)."""
    try:
        rows = warehouse.query("SELECT count() AS n FROM quarantine WHERE ts >= {since:DateTime64(3)}",
                               {"since": as_of - RECENT})
    except FractalOpsError as exc:
        return None, {QUARANTINE_GROWTH: f"the warehouse's quarantine table could not be read ({str(exc)[:200]})"}
    return (int(rows[0]["n"]) if rows else 0), {}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _approved_at(p: Proposal) -> datetime | None:
    """When people approved the current hash (the latest approval that counted); None for policy or unapproved."""
    if p.status not in _APPROVED or not p.approved_by or p.approved_by == [_POLICY]:
        return None
    times = [_at(a.at) for a in p.approvals_for_current_hash() if a.decision == "approve"]
    return max(times) if times else None


class _Tally:
    """The running aggregates of one entity."""

    def __init__(self) -> None:
        self.applied = 0
        self.closed = 0
        self.latencies: list[float] = []
        self.last_failure: tuple[str, str] = ("", "")
        self.open = 0
        self.timeouts = 0

    def row(self) -> dict[str, Any]:
        return {
            "proof_closure_rate": self.closed / self.applied if self.applied else None,
            "approval_latency_p50_s": round(statistics.median(self.latencies), 3) if self.latencies else None,
            "last_failure_family": self.last_failure[1],
            "open_proposals": self.open,
            "adapter_timeouts_24h": self.timeouts,
        }


def _tally_proposals(facts: Facts, keys_of: dict[str, list[str]], tallies: defaultdict[str, _Tally]) -> None:
    since = facts.as_of - WINDOW
    for p in facts.proposals:
        keys = keys_of.get(p.id, [])
        applied = p.executed is not None and _at(p.executed.at) >= since
        closed = applied and p.status == ProposalStatus.EVIDENCED and p.id in facts.proven
        approved = _approved_at(p)
        latency = (approved - _at(p.created_at)).total_seconds() if approved and approved >= since else None
        for key in keys:
            tally = tallies[key]
            tally.applied += applied
            tally.closed += closed
            tally.open += str(p.status) in OPEN_STATUSES
            if latency is not None:
                tally.latencies.append(max(latency, 0.0))


def _tally_steps(facts: Facts, scope: str, tallies: defaultdict[str, _Tally]) -> None:
    window, recent = iso(facts.as_of - WINDOW), iso(facts.as_of - RECENT)
    for step in facts.steps:
        key = step["agent"] if scope == "agent" else step["data"].get("asset", "")
        if not key or step["at"] < window:
            continue
        tally = tallies[key]
        if (failure := step["data"].get("failure")) and step["at"] >= tally.last_failure[0]:
            tally.last_failure = (step["at"], failure)
        if step["at"] >= recent:
            tally.timeouts += int(step["data"].get("adapter_timeouts", 0) or 0)


def _proposal_assets(steps: Iterable[StepRow]) -> dict[str, str]:
    """Proposal id -> the asset its creating step ran on."""
    return {pid: step["data"].get("asset", "") for step in steps for pid in step["data"].get("proposals", [])}


def feature_rows(facts: Facts) -> dict[str, list[dict[str, Any]]]:
    """Per scope (`agent`, `asset`, `warehouse`), one row per entity: its join key and its feature values."""
    assets = _proposal_assets(facts.steps)
    rows: dict[str, list[dict[str, Any]]] = {}
    for scope in ("agent", "asset"):
        tallies: defaultdict[str, _Tally] = defaultdict(_Tally)
        for key in facts.known.get(scope, frozenset()):
            tallies[key]  # noqa: B018 - an entity seen before keeps a row, with values back to zero
        keys_of = {p.id: [p.author_agent] if scope == "agent" else ([assets[p.id]] if assets.get(p.id) else [])
                   for p in facts.proposals}
        _tally_proposals(facts, keys_of, tallies)
        _tally_steps(facts, scope, tallies)
        rows[scope] = [{scope: key, **tallies[key].row()} for key in sorted(tallies)]
    rows["warehouse"] = [{"quarantine_growth_24h": facts.quarantined_recent}]
    return rows
