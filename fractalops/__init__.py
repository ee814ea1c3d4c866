"""FractalOps Harness: governed multi-agent squads on a LangGraph Agent Server."""

__version__ = "0.1.0"
