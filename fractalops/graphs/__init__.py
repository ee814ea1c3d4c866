"""The entry graphs `langgraph.json` registers: `squad` and `steward`."""

from fractalops.graphs.squad import build_squad
from fractalops.graphs.steward import build_steward

__all__ = ["build_squad", "build_steward"]
