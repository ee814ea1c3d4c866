"""Which one FeaturePlane feature the HUD cites: the first rule whose feature changes the next action.

The HUD carries no features (it stays seven lines within 2 KB); a step puts at most one cited feature into the
compact summary (`{"name", "entity", "value"}`), and `compile_hud` turns it into words on the line it changes.
Stale or missing features are never cited. Plain values in, plain dict out: the HUD knows no plane.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CitationRule", "CITATION_RULES", "RECURRING_TIMEOUTS", "cite_feature", "cited_text"]

RECURRING_TIMEOUTS = 2
"""Adapter timeouts in 24 h from which a timeout counts as recurring (one can be bad luck)."""


@dataclass(frozen=True)
class CitationRule:
    """One feature that changes one HUD line when its value passes a threshold."""

    name: str
    """The qualified feature name (`asset.adapter_timeouts_24h`)."""
    line: str
    """The HUD line it changes (`recovery_rule`)."""
    routes: frozenset[str]
    """Routes whose next action it changes."""
    applies: Callable[[Any], bool]
    """True for a value that changes the next action."""
    text: Callable[[str, Any], str]
    """What the line says, from (entity, value)."""


CITATION_RULES: tuple[CitationRule, ...] = (
    CitationRule(
        name="asset.adapter_timeouts_24h", line="recovery_rule", routes=frozenset({"change"}),
        applies=lambda v: isinstance(v, int) and v >= RECURRING_TIMEOUTS,
        text=lambda entity, v: (f"recurring timeout: {entity} timed out {v}x in 24 h -> raise its timeout_s in "
                                "the Armory or bind another asset; "),
    ),
)
"""In priority order; the first that applies is the one cited."""


def cite_feature(values: Mapping[str, Any], entities: Mapping[str, str], *, route: str,
                 stale: Collection[str] = ()) -> dict[str, Any]:
    """The feature to cite for the next action on `route` (`{"name", "entity", "value"}`), or `{}`.

    `values`: fresh features by qualified name; `entities`: scope -> entity key (`{"asset": "codex.default"}`).
    """
    for rule in CITATION_RULES:
        value = values.get(rule.name)
        if route in rule.routes and rule.name not in stale and value is not None and rule.applies(value):
            return {"name": rule.name, "entity": entities.get(rule.name.split(".")[0], ""), "value": value}
    return {}


def cited_text(cited: Mapping[str, Any], line: str, route: str) -> str:
    """What the cited feature adds to `line` on `route` ('' when it changes another line, or nothing)."""
    for rule in CITATION_RULES:
        if cited.get("name") == rule.name and rule.line == line and route in rule.routes:
            return rule.text(str(cited.get("entity", "")), cited.get("value"))
    return ""
