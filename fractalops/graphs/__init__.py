"""The entry graphs `langgraph.json` registers: `squad`, `steward` and `telemetry_mapping`."""

from fractalops.graphs.squad import build_squad
from fractalops.graphs.steward import build_steward
from fractalops.graphs.telemetry_mapping import build_telemetry_mapping

__all__ = ["build_squad", "build_steward", "build_telemetry_mapping"]
