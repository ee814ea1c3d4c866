"""Which agents exist: Core-8 plus the opt-in extension packs. Adding one is one file plus one line here."""

from __future__ import annotations

from collections.abc import Iterable

from fractalops.agents import (
    aether,
    atlas,
    beacon,
    cartographer,
    compass,
    conductor,
    forge,
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
from fractalops.agents.spec import AgentSpec
from fractalops.errors import UnknownNameError

__all__ = ["CORE_8", "PACKS", "AGENTS", "resolve_packs", "check_agent_names"]

CORE_8: tuple[AgentSpec, ...] = (
    atlas.SPEC, mercury.SPEC, forge.SPEC, relay.SPEC, sentinel.SPEC, ontos.SPEC, ledger.SPEC, signal.SPEC,
)
PACKS: dict[str, tuple[AgentSpec, ...]] = {
    "design": (aether.SPEC, prism.SPEC, quill.SPEC),
    "ia_pm": (cartographer.SPEC, conductor.SPEC),
    "qa_support": (compass.SPEC, beacon.SPEC),
    "deep_lineage": (scribe.SPEC,),
}
AGENTS: dict[str, AgentSpec] = {spec.name: spec for spec in (*CORE_8, *(s for p in PACKS.values() for s in p))}


def resolve_packs(names: Iterable[str] | str | None) -> list[str]:
    """Validate `configurable.packs`; an unknown name is an error listing the valid packs."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    resolved: list[str] = []
    for name in names:
        if name not in PACKS:
            raise UnknownNameError("pack", str(name), list(PACKS), where="configurable.packs")
        if name not in resolved:
            resolved.append(name)
    return resolved


def check_agent_names(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in AGENTS:
            raise UnknownNameError("agent", str(name), list(AGENTS), where=where)
