"""Feast stays off the server's start path: importing what `langgraph.json` names (the graphs, the auth, the app,
the checkpointer) and starting the app's features import neither Feast nor pandas (a fresh data dir loads them with
its first materialization, in the worker); `python -X importtime` agrees with `sys.modules`. (pyarrow is not checked
here: the steward plane's Parquet scan loads it with the graphs, as before the FeaturePlane.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fractalops

_PROBE = """
import asyncio, json, sys
import fractalops.graphs.squad, fractalops.graphs.steward, fractalops.server.auth, fractalops.server.checkpointer
import fractalops.server.app
from fractalops.server.feature_routes import start_features, stop_features
from fractalops.planes.features import materializer
from fractalops.runtime import squad_resources

asyncio.run(start_features())
worker = materializer(squad_resources().root)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("feast", "pandas", "dask"))
asyncio.run(stop_features())
print(json.dumps({"heavy": heavy, "timer": worker.runs == 0 and not worker.running}))
"""


def test_the_start_path_imports_no_feast(tmp_path: Path) -> None:
    checkout = str(Path(fractalops.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": checkout, "FRACTALOPS_DATA_DIR": str(tmp_path / "data"),
           "FRACTALOPS_FEATURES_INTERVAL_S": "3600"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", _PROBE], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"heavy": [], "timer": True}, result
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "fractalops.server.app" in imported and "fractalops.planes.features" in imported, "the probe saw the imports"
    assert sorted(m for m in imported if m.split(".")[0] in ("feast", "pandas")) == []
