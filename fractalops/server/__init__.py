"""What runs inside the LangGraph server: `http.app`, the auth handler, API keys and the checkpointer."""
