"""CLI start-up: `fractalops --help` and `fractalops threads --json` vs the floor of an SDK-based CLI.

The floor is what any CLI built on `typer` and `langgraph-sdk` pays: `python -c "import typer, langgraph_sdk"`, plus
for `threads` the same HTTP call (`GET /projection` with the key, through the SDK's client). Each side runs as a
fresh process against one `langgraph dev` server (started with `DevServer`); best of BENCH_ROUNDS runs (default 7).
Targets: fractalops/floor <= 1.5 for both, and under 0.5 s for both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._ratio import report_ratio  # noqa: E402
from fractalops.cli.devserver import DevServer, free_port  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
KEY = "bench-key"
FLOOR_HELP = "import typer, langgraph_sdk"
FLOOR_THREADS = (FLOOR_HELP + "\nimport os\nlanggraph_sdk.get_sync_client(url=os.environ['FRACTALOPS_SERVER_URL'], "
                 "api_key=os.environ['FRACTALOPS_API_KEY']).http.get('/projection')")


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def _best_of(argv: list[str], env: dict[str, str], cwd: Path) -> list[float]:
    _timed(argv, env, cwd)  # warm the page cache and the .pyc files
    return [_timed(argv, env, cwd) for _ in range(ROUNDS)]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fo-cli-bench-") as tmp:
        root = Path(tmp)
        keys = json.dumps({KEY: {"identity": "bench", "roles": ["operator", "approver"]}})
        server = DevServer(root / "data", port=free_port(), env={"FRACTALOPS_API_KEYS": keys}).start()
        env = {**os.environ, "FRACTALOPS_SERVER_URL": server.url, "FRACTALOPS_API_KEY": KEY,
               "XDG_CONFIG_HOME": str(root / "config"), "PYTHONPATH": str(ROOT)}
        cli = [sys.executable, "-m", "fractalops.cli.main"]
        try:
            results = {
                "help": (_best_of([*cli, "--help"], env, root), _best_of([sys.executable, "-c", FLOOR_HELP], env, root)),
                "threads": (_best_of([*cli, "threads", "--json"], env, root),
                            _best_of([sys.executable, "-c", FLOOR_THREADS], env, root)),
            }
        finally:
            server.stop()
    for name, (ours, floor) in results.items():
        print(f"== fractalops {'--help' if name == 'help' else 'threads --json'}")
        report_ratio(f"cli_startup_{name}", ours, floor, 1.5, "runs", labels=("fractalops", "floor"), stat="best")
        under = min(ours) < 0.5
        print(f"{'under' if under else 'OVER'} 0.5 s: {min(ours) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
