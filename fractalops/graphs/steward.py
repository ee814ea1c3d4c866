"""The `steward` graph: scribe's RDF steward run, in the process that owns the warehouse.

Input `{"project_dir": "<path on the server>"}`; `result` says where the RDF, the DataHub JSON and the warehouse
rows went. Spooled rows from CLI runs (made while this server owned the warehouse) are ingested first.

A local term that does not map to the global ontology is refused for reuse and becomes an `ontology_mapping`
proposal (with the closest global term as a suggestion a reviewer may edit). The proposals then take the squad's
own path: sentinel_review (class, ceilings) -> gate (one interrupt) -> relay (applies the mapping) ->
ontos_lineage -> ledger (proof) -> signal (the outcome).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from fractalops.agents import gate, ledger, ontos, relay, scribe, sentinel, signal
from fractalops.graphs.squad import build_review_graph
from fractalops.runtime import SquadOutput, SquadState

__all__ = ["StewardInput", "StewardOutput", "StewardState", "build_steward", "graph"]

_JOBS = (scribe.STEWARD_SPEC, sentinel.REVIEW_SPEC, gate.SPEC, relay.SPEC, ontos.LINEAGE_SPEC, ledger.SPEC,
         signal.SPEC)


@with_config(ConfigDict(use_attribute_docstrings=True))
class StewardInput(TypedDict):
    """What a steward run takes."""

    project_dir: str
    """The project directory to scan (a path on the server)."""


@with_config(ConfigDict(use_attribute_docstrings=True))
class StewardOutput(SquadOutput, total=False):
    result: dict[str, Any]
    """`rdf`, `datahub`, `warehouse` (report id, events), counts, unmapped terms and mapping proposal ids."""


@with_config(ConfigDict(use_attribute_docstrings=True))
class StewardState(SquadState, total=False):
    project_dir: str
    """The project directory to scan (a path on the server)."""
    result: dict[str, Any]
    """`rdf`, `datahub`, `warehouse` (report id, events), counts, unmapped terms and mapping proposal ids."""


def build_steward() -> StateGraph:
    return build_review_graph(StewardState, StewardInput, StewardOutput, _JOBS)


graph = build_steward().compile(name="steward")
