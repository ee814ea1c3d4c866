"""Process-wide settings read from the environment (the documented `FRACTALOPS_*` variables)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "server_url", "DEFAULT_SERVER_URL"]

DEFAULT_SERVER_URL = "http://127.0.0.1:2024"


def data_dir() -> Path:
    """All on-disk state lives under `FRACTALOPS_DATA_DIR` (default `./.fractalops`)."""
    path = Path(os.environ.get("FRACTALOPS_DATA_DIR", ".fractalops")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def server_url() -> str:
    """The LangGraph server the CLI talks to (`FRACTALOPS_SERVER_URL`)."""
    return os.environ.get("FRACTALOPS_SERVER_URL", DEFAULT_SERVER_URL).rstrip("/")
