"""SDK journey through `langgraph dev`: the squad vs the bare graph registered on the same server.

Both graphs are served by one `langgraph dev` process (a temp config adds `bare` beside `squad`), and each
journey is launch -> join -> resume(approve) -> join on a fresh thread and repo, driven by `langgraph-sdk`.
Target: squad / bare <= 1.2.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph_sdk import get_sync_client  # noqa: E402

from benchmarks._ratio import report_ratio  # noqa: E402
from benchmarks._servers import BENCH_KEY as KEY  # noqa: E402
from benchmarks._servers import squad_and_bare_server  # noqa: E402
from benchmarks.squad_overhead import _repo  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))


def _journey(client, assistant: str, root: Path, i: int) -> float:
    repo = _repo(root / f"repo-{uuid.uuid4().hex[:8]}")
    payload = {"intent": "bench change", "workspace": str(repo), "changes": [{"path": "src/m.py", "content": f"X = {i}\n"}]}
    start = time.perf_counter()
    thread = client.threads.create()["thread_id"]
    run = client.runs.create(thread, assistant, input=payload)
    client.runs.join(thread, run["run_id"])
    assert client.threads.get_state(thread)["interrupts"], f"{assistant}: expected an approval interrupt"
    run = client.runs.create(thread, assistant, command={"resume": {"decisions": [{"type": "approve"}]}})
    client.runs.join(thread, run["run_id"])
    elapsed = time.perf_counter() - start
    assert (repo / "src/m.py").exists(), f"{assistant}: the change must be applied"
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fo-sdk-bench-") as tmp:
        root = Path(tmp)
        server = squad_and_bare_server(root)
        try:
            client = get_sync_client(url=server.url, api_key=KEY)
            _journey(client, "squad", root, -1), _journey(client, "bare", root, -1)
            squad_t, bare_t = [], []
            for i in range(ROUNDS):
                bare_t.append(_journey(client, "bare", root, i))
                squad_t.append(_journey(client, "squad", root, i))
        finally:
            server.stop()
    report_ratio("sdk_overhead", squad_t, bare_t, 1.2, "journeys")

if __name__ == "__main__":
    main()
