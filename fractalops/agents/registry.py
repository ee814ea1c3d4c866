"""Which jobs exist: the Core-8 squad's (some members do two), gate and access recovery, and the opt-in packs.

Adding one is one file plus one line here.
"""

from __future__ import annotations

from collections.abc import Iterable

from fractalops.agents import (
    access_recovery,
    aether,
    atlas,
    beacon,
    cartographer,
    compass,
    conductor,
    forge,
    gate,
    ledger,
    mercury,
    ontos,
    prism,
    quill,
    relay,
    scribe,
    sentinel,
    signal,
)
from fractalops.errors import UnknownNameError
from fractalops.runtime import AgentSpec

__all__ = ["CORE_8", "SQUAD_JOBS", "PACKS", "AGENTS", "resolve_packs", "check_agent_names"]

CORE_8 = ("atlas", "mercury", "forge", "relay", "sentinel", "ontos", "ledger", "signal")
"""The squad's members, in the seed's order."""

SQUAD_JOBS: tuple[AgentSpec, ...] = (
    atlas.SPEC, sentinel.LAUNCH_SPEC, mercury.SPEC, forge.SPEC, ontos.IDENTITY_SPEC, sentinel.REVIEW_SPEC,
    gate.SPEC, relay.SPEC, ontos.LINEAGE_SPEC, ledger.SPEC, signal.SPEC, access_recovery.SPEC,
)
"""Every node of the squad graph besides the packs, in flow order."""

PACKS: dict[str, tuple[AgentSpec, ...]] = {
    "design": (aether.SPEC, prism.SPEC, quill.SPEC),
    "ia_pm": (cartographer.SPEC, conductor.SPEC),
    "qa_support": (compass.SPEC, beacon.SPEC),
    "deep_lineage": (scribe.PACK_SPEC,),
}
AGENTS: tuple[str, ...] = (*CORE_8, *(s.member for p in PACKS.values() for s in p))
"""Every agent a run may bind to an Armory asset."""


def resolve_packs(names: Iterable[str] | str | None) -> list[str]:
    """Validate the `packs` run option; an unknown name is an error listing the valid packs."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    resolved: list[str] = []
    for name in names:
        if name not in PACKS:
            raise UnknownNameError("pack", str(name), list(PACKS), where="run option packs")
        if name not in resolved:
            resolved.append(name)
    return resolved


def check_agent_names(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in AGENTS:
            raise UnknownNameError("agent", str(name), list(AGENTS), where=where)
