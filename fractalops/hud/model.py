"""The Agent HUD: the one compact view every agent reads instead of the raw thread state."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AgentHUD", "HUDDiagnostics", "Continuity", "Route", "HUD_MAX_BYTES"]

Continuity = Literal["fresh", "resume"]
Route = Literal["change", "observe", "access_recovery"]

HUD_MAX_BYTES = 2048
"""The compiled HUD's JSON never exceeds this many bytes, however long the thread's history.

Each line is capped in JSON-encoded bytes by the compiler (intent 400, completion proof 300, others 240), so the
whole document stays under this bound whatever characters the requester typed.
"""


class AgentHUD(BaseModel):
    """Seven public lines plus continuity. Nothing else is public."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: str = Field(max_length=400)
    """One intent: what the thread is for, in the requester's words (truncated)."""
    route: Route
    """One route: `change` (build and propose), `observe` (read-only), or `access_recovery` (blocked on access)."""
    launch_action: str = Field(max_length=240)
    """One launch action: the next concrete step and the asset it runs on."""
    proof_path: str = Field(max_length=240)
    """One proof path: the planes that must hold a record before the work counts as done."""
    recovery_rule: str = Field(max_length=240)
    """One recovery rule: what happens when the current step fails or is blocked."""
    completion_proof: str = Field(max_length=300)
    """One completion proof: `open (...)` naming what is missing, or `closed (...)` naming the three refs."""
    live_signal: str = Field(max_length=240)
    """One live signal line: the latest thing that happened, as an operator would say it."""
    continuity: Continuity
    """`fresh` for a new thread, `resume` when the launch continues an existing thread's checkpoint."""


class HUDDiagnostics(BaseModel):
    """Operator-only launch diagnostics; recorded beside the HUD, never part of it."""

    model_config = ConfigDict(frozen=True)

    continuity_reason: str
    """Why continuity is `fresh` or `resume` (e.g. `new thread`, `checkpoint at step 7`)."""
    first_tool_family: str
    """The family of the first tool the launch action uses (`native`, `workspace_cli`, `codex`, ...)."""
    launch_contract_status: str
    """`ok`, `blocked: <reason>`, or `pending` before sentinel has checked the launch contract."""
    bindings_note: str = ""
    """Set when a run named other agent bindings than the thread keeps (the thread's own stay in force)."""
    features_note: str = ""
    """The FeaturePlane features the latest step could not use, named with the reason: `missing ...` (no online
    store, no row yet, over the read budget) or `stale ...` (older than the freshness bound); empty when fresh."""
    plan_note: str = ""
    """How atlas planned the run when bound to a chat model: the model's plan was used, or why it was not (an invalid
    or failed plan falls back to the deterministic route, and this says so)."""
