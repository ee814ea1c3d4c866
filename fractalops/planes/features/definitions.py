"""What the FeaturePlane serves: three feature views, their entities and features, with no Feast import.

Names are `<scope>.<feature>` (`agent.proof_closure_rate`, `asset.adapter_timeouts_24h`,
`warehouse.quarantine_growth_24h`); Feast knows them as `<view>:<feature>` (`feature_ref`). The Feast objects
built from these specs live in `feast_objects.py`, which imports Feast and is loaded only in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = [
    "FeatureSpec",
    "ViewSpec",
    "VIEWS",
    "FEATURES",
    "FEATURE_NAMES",
    "WINDOW",
    "RECENT",
    "HISTORY",
    "OPEN_STATUSES",
    "view_named",
    "view_of",
]

Scope = Literal["agent", "asset", "warehouse"]
Dtype = Literal["float", "int", "string"]

WINDOW = timedelta(days=7)
"""Closure rate, approval latency and last failure look this far back (fresh, not all-time)."""
RECENT = timedelta(hours=24)
"""Adapter timeouts and quarantine growth count this far back."""
HISTORY = timedelta(days=30)
"""The offline store keeps snapshot rows this long (and the views' TTL for point-in-time reads)."""
OPEN_STATUSES = ("proposed", "in_review", "approved", "published", "stale")
"""A proposal in one of these is open: on the change route, not applied and not rejected."""


@dataclass(frozen=True)
class FeatureSpec:
    """One served feature."""

    scope: Scope
    """The entity it describes: `agent`, `asset`, or `warehouse` (one warehouse-wide value)."""
    name: str
    """Its name inside the view (`proof_closure_rate`)."""
    dtype: Dtype
    """Its value type; a float or string feature may hold null (no fact to compute it from)."""
    description: str
    """What it measures, from which plane."""

    @property
    def qualified(self) -> str:
        """`<scope>.<name>`: how agents, the HUD diagnostics, the route and the CLI name it."""
        return f"{self.scope}.{self.name}"

    @property
    def feature_ref(self) -> str:
        """`<view>:<name>`: how Feast names it."""
        return f"{view_of(self.scope).name}:{self.name}"


@dataclass(frozen=True)
class ViewSpec:
    """One Feast feature view over one Parquet export."""

    scope: Scope
    name: str
    """The Feast feature view name."""
    join_key: str
    """The entity's join key (the column naming the agent or asset); empty for the warehouse-wide view."""
    parquet: str
    """The export file, relative to the repository."""


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("agent", "agent_features", "agent", "offline/agent_features.parquet"),
    ViewSpec("asset", "asset_features", "asset", "offline/asset_features.parquet"),
    ViewSpec("warehouse", "warehouse_features", "", "offline/warehouse_features.parquet"),
)


def view_named(name: str) -> ViewSpec:
    for view in VIEWS:
        if view.name == name:
            return view
    raise KeyError(name)


def view_of(scope: str) -> ViewSpec:
    for view in VIEWS:
        if view.scope == scope:
            return view
    raise KeyError(scope)


def _per_entity(scope: Scope, whose: str) -> tuple[FeatureSpec, ...]:
    return (
        FeatureSpec(scope, "proof_closure_rate", "float",
                    f"share of the proposals {whose} applied in the last 7 days whose proof path closed (proposal "
                    "evidenced and its warehouse proof fact present); null when none was applied"),
        FeatureSpec(scope, "approval_latency_p50_s", "float",
                    f"median seconds from proposal to the human approval that counted, over proposals {whose} "
                    "approved by people in the last 7 days; null when none was"),
        FeatureSpec(scope, "last_failure_family", "string",
                    f"error family (errors.py class) of the latest failed step {whose} in the last 7 days; empty "
                    "when none failed"),
        FeatureSpec(scope, "open_proposals", "int",
                    f"proposals {whose} still open on the change route (proposed, in review, approved, published "
                    "or stale)"),
        FeatureSpec(scope, "adapter_timeouts_24h", "int",
                    f"adapter launches {whose} killed at their timeout in the last 24 h"),
    )


FEATURES: tuple[FeatureSpec, ...] = (
    *_per_entity("agent", "of this agent"),
    *_per_entity("asset", "on this asset"),
    FeatureSpec("warehouse", "quarantine_growth_24h", "int",
                "rows the warehouse quarantined in the last 24 h (the quarantine records source, target and "
                "reason, no agent or asset, so this is one warehouse-wide value)"),
)
"""Every served feature, in view order."""

FEATURE_NAMES: tuple[str, ...] = tuple(f.qualified for f in FEATURES)
