"""The compiled Agent HUD: model, compact summary and compiler."""

from fractalops.hud.compile import (
    DONE_PREFIX,
    PROOF_PLANES,
    CompiledHUD,
    compile_hud,
    outcome_of,
    proof_is_closed,
)
from fractalops.hud.features import CITATION_RULES, RECURRING_TIMEOUTS, cite_feature
from fractalops.hud.model import HUD_MAX_BYTES, AgentHUD, Continuity, HUDDiagnostics, Route
from fractalops.hud.summary import ThreadSummary, new_summary, observe

__all__ = [
    "CITATION_RULES",
    "RECURRING_TIMEOUTS",
    "AgentHUD",
    "CompiledHUD",
    "DONE_PREFIX",
    "Continuity",
    "HUDDiagnostics",
    "HUD_MAX_BYTES",
    "PROOF_PLANES",
    "Route",
    "ThreadSummary",
    "cite_feature",
    "compile_hud",
    "new_summary",
    "observe",
    "outcome_of",
    "proof_is_closed",
]
