"""Squad run in-process vs a bare LangGraph graph with the same nodes and the same checkpointer.

Each iteration is one full journey on a fresh thread and repo: launch -> interrupt -> approve -> applied commit.
Both graphs use a SQLite checkpointer (the durable one the server uses). Target: squad / bare <= 1.25x.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph.types import Command  # noqa: E402

from benchmarks._bare_graph import build_bare  # noqa: E402
from benchmarks._ratio import report_ratio  # noqa: E402
from fractalops.graphs.squad import build_squad  # noqa: E402

USER = {"identity": "bench", "roles": ["operator", "approver"]}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "12"))


def _repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / "README.md").write_text("# bench\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "i"], check=True)
    return root


def _journey(graph, root: Path, i: int) -> float:
    repo = _repo(root / f"repo-{uuid.uuid4().hex[:8]}")
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": USER}}
    payload = {"intent": "bench change", "workspace": str(repo), "changes": [{"path": "src/m.py", "content": f"X = {i}\n"}]}
    start = time.perf_counter()
    result = graph.invoke(payload, config)
    assert "__interrupt__" in result, "expected one approval interrupt"
    graph.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
    elapsed = time.perf_counter() - start
    assert (repo / "src/m.py").exists(), "the change must be applied"
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fo-bench-") as tmp:
        root = Path(tmp)
        os.environ["FRACTALOPS_DATA_DIR"] = str(root / "data")
        with SqliteSaver.from_conn_string(str(root / "squad.sqlite")) as s1, \
             SqliteSaver.from_conn_string(str(root / "bare.sqlite")) as s2:
            squad = build_squad().compile(checkpointer=s1)
            bare = build_bare().compile(checkpointer=s2)
            _journey(squad, root, -1), _journey(bare, root, -1)  # warm-up: imports, Rego compile, caches
            squad_t, bare_t = [], []
            for i in range(ROUNDS):  # interleaved so machine load hits both alike
                bare_t.append(_journey(bare, root, i))
                squad_t.append(_journey(squad, root, i))
    report_ratio("squad_overhead", squad_t, bare_t, 1.25, "runs")

if __name__ == "__main__":
    main()
