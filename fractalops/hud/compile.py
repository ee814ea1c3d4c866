"""`compile_hud`: a deterministic, O(1) compile of the compact thread summary into the Agent HUD."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fractalops.hud.features import cited_text
from fractalops.hud.model import AgentHUD, HUDDiagnostics
from fractalops.hud.summary import ThreadSummary

__all__ = ["CompiledHUD", "compile_hud", "PROOF_PLANES", "proof_is_closed", "outcome_of", "DONE_PREFIX"]

DONE_PREFIX = "done: "
"""How the launch action starts once a run has ended; what follows is the outcome sentence."""

PROOF_PLANES = ("graph", "warehouse", "chronicle")
"""The three planes whose records together close the proof path (DataHub alone never does)."""

_PROOF_PATH = "graph (semantic identity) -> warehouse (ClickHouse fact) -> chronicle (Chronicle evidence)"
_RECOVERY = {
    "change": "blocked credential -> access_recovery, fix it, resume this thread; stale target -> rebase, re-review",
    "observe": "read-only: on failure report the blocked step; nothing is mutated, resume retries it",
    "access_recovery": "provide the missing identity or credential, then resume this same thread at the same step",
}


@dataclass(frozen=True)
class CompiledHUD:
    hud: AgentHUD
    diagnostics: HUDDiagnostics


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def _cap(text: str, limit: int) -> str:
    """Cut `text` so its JSON-encoded UTF-8 form fits in `limit` bytes (escapes and wide characters count)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    if _json_bytes(text) <= limit:
        return text
    keep = min(len(text), limit)
    while keep and _json_bytes(text[:keep]) > limit - 3:
        keep -= max(1, (_json_bytes(text[:keep]) - limit + 3) // 4)
    return text[:keep] + "…"


def proof_is_closed(proof: dict[str, str]) -> bool:
    return all(proof.get(plane) for plane in PROOF_PLANES)


def _completion_proof(proof: dict[str, str]) -> str:
    if proof_is_closed(proof):
        refs = " ".join(f"{plane}={proof[plane]}" for plane in PROOF_PLANES)
        return _cap(f"closed: {refs}", 300)
    missing = [plane for plane in PROOF_PLANES if not proof.get(plane)]
    have = [f"{plane}={proof[plane]}" for plane in PROOF_PLANES if proof.get(plane)]
    tail = f"; have {' '.join(have)}" if have else ""
    return _cap(f"open: missing {', '.join(missing)}{tail}", 280)


def _launch_action(summary: ThreadSummary) -> str:
    route = summary.get("route", "change")
    if route == "access_recovery":
        needs = ", ".join(summary.get("blocked_on", [])) or "an identity or credential"
        return _cap(f"operator: provide {needs}, then resume this thread", 240)
    pending = int(summary.get("proposals_pending", 0))
    if pending:
        return f"gate: review {pending} pending proposal(s): approve, edit or reject"
    if outcome := summary.get("outcome"):
        why = summary.get("route_note") if route == "observe" else ""
        return _cap(DONE_PREFIX + outcome + (f" ({why})" if why else ""), 240)
    asset = summary.get("launch_asset") or "native"
    if route == "observe":
        why = summary.get("route_note")
        return _cap("atlas: observe the workspace read-only" + (f" ({why})" if why else f" on {asset}"), 240)
    if int(summary.get("proposals_applied", 0)):
        if proof_is_closed(summary.get("proof", {})):
            return DONE_PREFIX + "the change is applied and proven; launch more work on this thread to resume it"
        return "ledger: record warehouse fact and Chronicle evidence for the applied change"
    return _cap(f"forge: build the change on {asset} ({summary.get('launch_kind', 'native')}) and propose it", 240)


def _recovery_rule(summary: ThreadSummary, route: str) -> str:
    """The route's rule; a cited feature that changes it (a recurring adapter timeout) goes first."""
    base = _RECOVERY.get(route, _RECOVERY["change"])
    cited = summary.get("cited_feature") or {}
    return _cap(cited_text(cited, "recovery_rule", route) + base, 240) if cited else base


def outcome_of(hud: AgentHUD) -> str:
    """The outcome sentence of an ended run (empty while it runs or waits)."""
    return hud.launch_action.removeprefix(DONE_PREFIX) if hud.launch_action.startswith(DONE_PREFIX) else ""


def compile_hud(summary: ThreadSummary, *, resumed: bool) -> CompiledHUD:
    """Compile the HUD from the compact summary only; never reads history, so cost is flat in its length."""
    route = summary.get("route", "change")
    agent = summary.get("last_agent") or "atlas"
    event = summary.get("last_event") or "launched"
    hud = AgentHUD(
        intent=_cap(summary.get("intent", "") or "(no intent)", 400),
        route=route,  # type: ignore[arg-type]
        launch_action=_launch_action(summary),
        proof_path=_PROOF_PATH,
        recovery_rule=_recovery_rule(summary, route),
        completion_proof=_completion_proof(summary.get("proof", {})),
        live_signal=_cap(f"{agent}: {event}", 240),
        continuity="resume" if resumed else "fresh",
    )
    diagnostics = HUDDiagnostics(
        continuity_reason=(
            f"existing thread, run {int(summary.get('runs', 0))}, checkpoint step {int(summary.get('step', 0))}"
            if resumed
            else "new thread"
        ),
        first_tool_family=summary.get("launch_kind", "native") or "native",
        launch_contract_status=summary.get("launch_contract", "pending") or "pending",
        bindings_note=summary.get("bindings_note", "") or "",
        features_note=summary.get("features_note", "") or "",
        plan_note=summary.get("plan_note", "") or "",
    )
    return CompiledHUD(hud=hud, diagnostics=diagnostics)
