"""Process-wide settings read from the environment (the documented `FRACTALOPS_*` variables)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

__all__ = ["data_dir", "server_url", "DEFAULT_SERVER_URL"]

DEFAULT_SERVER_URL = "http://127.0.0.1:2024"


def data_dir() -> Path:
    """All on-disk state lives under `FRACTALOPS_DATA_DIR` (default `./.fractalops`)."""
    return _resolved(os.environ.get("FRACTALOPS_DATA_DIR", ".fractalops"), os.getcwd())


@lru_cache(maxsize=16)
def _resolved(value: str, cwd: str) -> Path:
    # Every squad step asks for the data dir; resolve and create it once per (value, cwd).
    path = (Path(cwd) / Path(value).expanduser()).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # private: keys, secrets, diffs under review
    return path


def server_url() -> str:
    """The LangGraph server the CLI talks to (`FRACTALOPS_SERVER_URL`)."""
    return os.environ.get("FRACTALOPS_SERVER_URL", DEFAULT_SERVER_URL).rstrip("/")
