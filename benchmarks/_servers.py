"""One `langgraph dev` serving the squad and the bare benchmark graph side by side (the SDK benchmarks' baseline)."""

from __future__ import annotations

import json
from pathlib import Path

from fractalops.cli.devserver import PROJECT_CONFIG, DevServer, free_port

__all__ = ["BENCH_KEY", "squad_and_bare_server"]

BENCH_KEY = "bench-key"
"""An operator + approver key, the only one the benchmark server knows."""


def squad_and_bare_server(root: Path, jobs_per_worker: int = 10) -> DevServer:
    """Start a server whose config adds `bare` (benchmarks/_bare_graph.py) beside the project's own graphs."""
    config = json.loads(PROJECT_CONFIG.read_text())
    config["graphs"]["bare"] = f"{Path(__file__).resolve().with_name('_bare_graph.py')}:graph"
    config_path = root / "langgraph.json"
    config_path.write_text(json.dumps(config))
    keys = json.dumps({BENCH_KEY: {"identity": "bench", "roles": ["operator", "approver"]}})
    return DevServer(root / "data", port=free_port(), config=config_path, jobs_per_worker=jobs_per_worker,
                     env={"FRACTALOPS_API_KEYS": keys}).start()
