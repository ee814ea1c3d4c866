"""The `fractalops` command line: a thin client of the LangGraph server (langgraph-sdk and its routes)."""
