"""Private to the runtime: what the step wrapper records about each step (`StepData`) and reads for it (features).

Recorded on the step's `step` event, so the FeaturePlane aggregates one structured row per step:
- `asset`: the Armory asset the agent ran on;
- `failure`: the error family of the step's failure, from the step's own signals — a blocked route
  (`AccessBlockedError`), an adapter killed at its timeout (`AdapterTimeoutError`), or one of the failure events
  below (their `family` datum when the agent gives one), or an exception that escaped the job;
- `adapter_timeouts`, `proposals`: launches killed at their timeout, proposals created;
- `features`: what the step's `AgentContext.features` held (as of which materialization, the values, which were
  stale), so a step's record shows what the agent knew when it acted.
"""

from __future__ import annotations

from typing import Any

from fractalops.armory.assets import NATIVE_ASSET
from fractalops.errors import FractalOpsError
from fractalops.planes.features import FeatureRead, feature_reader
from fractalops.planes.live import StepData
from fractalops.runtime.phases import Route
from fractalops.runtime.spec import AgentContext, AgentResult

__all__ = ["bound_asset", "work_asset", "read_features", "step_data"]

FAILURE_EVENTS: dict[str, str] = {
    "change_refused": "UnsafePathError",
    "decision_refused": "DecisionError",
    "proposal_refused": "AuthorityError",
    "proposal_stale": "StaleProposalError",
    "proof_failed": "FractalOpsError",
    "witness_failed": "EvidenceError",
}
"""Live event kinds that mean the step failed -> the family named when the event carries no `family` datum."""
_ADAPTER_FINISHED = "adapter.adapter_finished"
_TIMED_OUT_TEXT = ", timed out"
"""How `adapters.run` ends an `adapter_finished` line for a killed launch; forge relays the line without its
data today, so the text is what the step can see (the `timed_out` datum wins when an agent relays it)."""


def bound_asset(ctx: AgentContext, agent: str) -> str:
    """The asset `agent` runs on in this thread ('' when the binding does not resolve: its own job reports that)."""
    try:
        return ctx.resources.armory().bind(agent, ctx.binding(agent)).asset_id
    except FractalOpsError:
        return ""


def work_asset(ctx: AgentContext, own: str) -> str:
    """The asset whose features a step reads: its own binding, or for an agent that runs native, the thread's
    launch asset (the one forge builds on), since that is what the squad's work runs on."""
    return own if own and own != NATIVE_ASSET.asset_id else (bound_asset(ctx, "forge") or own)


def read_features(ctx: AgentContext, asset: str) -> FeatureRead:
    """The step's one feature read (within the FeaturePlane's time budget; never raises)."""
    try:
        return feature_reader(ctx.resources.root).read(ctx.agent, asset or NATIVE_ASSET.asset_id)
    except FractalOpsError as exc:  # a bad FRACTALOPS_FEATURES_* value: named, and the step goes on
        return FeatureRead.unread(ctx.agent, asset, str(exc))


def _timed_out(event: dict[str, Any]) -> bool:
    if "timed_out" in event["data"]:
        return bool(event["data"]["timed_out"])
    return event["text"].endswith(_TIMED_OUT_TEXT)


def step_data(ctx: AgentContext, result: AgentResult, asset: str, *, failure: str = "") -> StepData:
    """The `StepData` of this step, from its emitted events and its result."""
    data = StepData(asset=asset)
    timeouts = 0
    for event in ctx.emitted:
        if event["kind"] == _ADAPTER_FINISHED and _timed_out(event):
            timeouts += 1
            failure = failure or "AdapterTimeoutError"
        elif event["kind"] in FAILURE_EVENTS:
            failure = str(event["data"].get("family") or FAILURE_EVENTS[event["kind"]])
    if result.state.get("route") == Route.ACCESS_RECOVERY:
        failure = "AccessBlockedError"
    if failure:
        data["failure"] = failure
    if timeouts:
        data["adapter_timeouts"] = timeouts
    created = [pid for pid in result.state.get("proposal_ids") or [] if pid not in ctx.proposal_ids]
    if created:
        data["proposals"] = created
    if ctx.features.values:
        data["features"] = {"as_of": ctx.features.as_of, "values": dict(ctx.features.values),
                            "stale": list(ctx.features.stale)}
    return data
