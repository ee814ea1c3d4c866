"""The `telemetry_mapping` graph: unknown telemetry names → `ontology_mapping` proposals → the gate → applied.

Input `{"project": "<name>" | null, "mappings": {"<local name>": "fo:<Term>"} | null}`: without `mappings`, every
unknown name waiting in the telemetry quarantine (of `project`, or of every project) is proposed with the closest
global term as a suggestion a reviewer may edit; with them, exactly those names of `project` to those terms. The
proposals take the squad's own path: sentinel_review (class, ceilings) -> gate (one interrupt; `fractalops approve
THREAD`) -> relay (applies the mapping to the project's term graph) -> ontos_lineage -> ledger (proof) -> signal.
Then `fractalops telemetry replay-quarantine` classifies what waited.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from fractalops.agents import gate, ledger, ontos, relay, sentinel, signal
from fractalops.graphs.squad import build_review_graph
from fractalops.runtime import SquadOutput, SquadState

__all__ = ["TelemetryMappingInput", "TelemetryMappingOutput", "TelemetryMappingState", "build_telemetry_mapping",
           "graph"]

_JOBS = (signal.MAPPING_SPEC, sentinel.REVIEW_SPEC, gate.SPEC, relay.SPEC, ontos.LINEAGE_SPEC, ledger.SPEC, signal.SPEC)


@with_config(ConfigDict(use_attribute_docstrings=True))
class TelemetryMappingInput(TypedDict, total=False):
    """What a telemetry mapping run takes."""

    project: str | None
    """The project whose quarantined names to map (every project when omitted)."""
    mappings: dict[str, str] | None
    """Local name → global term (`fo:Purchase`); needs `project`. Omitted: every unknown name, with a suggestion."""


@with_config(ConfigDict(use_attribute_docstrings=True))
class TelemetryMappingOutput(SquadOutput, total=False):
    result: dict[str, Any]
    """`proposals` (proposal_id, project, local_term, global_iri, waiting) and `skipped` (with why)."""


@with_config(ConfigDict(use_attribute_docstrings=True))
class TelemetryMappingState(SquadState, total=False):
    project: str | None
    """The project whose quarantined names to map."""
    mappings: dict[str, str] | None
    """Local name → global term."""
    result: dict[str, Any]
    """`proposals` and `skipped`."""


def build_telemetry_mapping() -> StateGraph:
    return build_review_graph(TelemetryMappingState, TelemetryMappingInput, TelemetryMappingOutput, _JOBS)


graph = build_telemetry_mapping().compile(name="telemetry_mapping")
