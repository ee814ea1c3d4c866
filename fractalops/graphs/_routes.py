"""Private: the conditional edges shared by the squad and steward graphs (they read only `route` and `phase`)."""

from __future__ import annotations

from typing import Any

__all__ = ["after_sentinel", "after_forge", "after_ontos", "after_gate", "after_relay", "after_recovery"]


def after_sentinel(state: dict[str, Any]) -> str:
    if state.get("route") == "access_recovery":
        return "access_recovery"
    return "mercury" if state.get("phase") == "build" else "gate"


def after_forge(state: dict[str, Any]) -> str:
    # Even with nothing built, ontos and ledger run: they finish lineage and proof of anything applied earlier.
    return "access_recovery" if state.get("route") == "access_recovery" else "ontos"


def after_ontos(state: dict[str, Any]) -> str:
    return "sentinel" if state.get("phase") == "classify" else "ledger"


def after_gate(state: dict[str, Any]) -> str:
    return "relay" if state.get("phase") == "apply" else "gate"


def after_relay(state: dict[str, Any]) -> str:
    return "gate" if state.get("phase") == "review" else "ontos"


def after_recovery(state: dict[str, Any]) -> str:
    if state.get("blocked"):
        return "access_recovery"
    return {"launch": "sentinel", "build": "forge"}.get(str(state.get("phase")), "ledger")
