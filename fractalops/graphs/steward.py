"""The `steward` graph: the deep-lineage `scribe` agent's RDF steward run, in the process that owns the warehouse.

Input `{"project_dir": "<path on the server>"}`; output `result` with where the RDF, the DataHub JSON and the
warehouse rows went. Spooled rows from CLI runs (made while this server owned the warehouse) are ingested first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from fractalops.agents._resources import squad_resources
from fractalops.errors import ConfigError
from fractalops.planes.steward import run_steward
from fractalops.planes.steward.pending import ingest_pending

__all__ = ["StewardInput", "build_steward", "graph"]


class StewardInput(TypedDict):
    project_dir: str
    """The project directory to scan (a path on the server)."""


class StewardState(StewardInput, total=False):
    result: dict[str, Any]
    """`rdf`, `datahub`, `warehouse` (report id, events), counts, unmapped terms and notes."""


def scribe(state: StewardState, config: RunnableConfig) -> dict[str, Any]:
    project = Path(state.get("project_dir") or "")
    if not project.is_dir():
        raise ConfigError(f"project_dir {str(project)!r} is not a directory on the server")
    resources = squad_resources()
    warehouse = resources.warehouse()
    ingested = ingest_pending(resources.root, warehouse)
    thread_id = str((config.get("configurable") or {}).get("thread_id") or "")
    result = run_steward(project, resources.root, warehouse=warehouse, thread_id=thread_id)
    doc = result.to_json()
    doc["warehouse"] = {"ok": True, "report_id": result.warehouse_report_id, "events": result.events,
                        "ingested_pending": ingested}
    return {"result": doc}


def build_steward() -> StateGraph:
    builder = StateGraph(StewardState, input_schema=StewardInput)
    builder.add_node("scribe", scribe)
    builder.add_edge(START, "scribe")
    builder.add_edge("scribe", END)
    return builder


graph = build_steward().compile(name="steward")
