"""Squad run in-process vs a bare LangGraph graph with the same nodes and the same checkpointer.

Each iteration is one full journey on a fresh thread and repo: launch -> interrupt -> approve -> applied commit.
Both graphs use a SQLite checkpointer (the durable one the server uses). Target: squad / bare <= 1.25x.
Features are on, as in the server: every squad step reads its features, and ledger asks for a materialization
every journey (run by the FeaturePlane's worker thread while the next journeys run); the warm-up waits until Feast
has loaded, as a server's first materialization does once.
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
from fractalops.planes.features import FeatureRepo, feature_reader, materializer, read_marker  # noqa: E402
from fractalops.runtime import squad_resources  # noqa: E402

USER = {"identity": "bench", "roles": ["operator", "approver"]}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


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
            features = materializer(squad_resources().root)
            assert features.wait(features.requested, 300) and feature_reader(squad_resources().root).ready(300)
            runs_before = features.runs
            squad_t, bare_t = [], []
            for i in range(ROUNDS):  # interleaved so machine load hits both alike
                bare_t.append(_journey(bare, root, i))
                squad_t.append(_journey(squad, root, i))
            features.wait(features.requested, 300)
            marker = read_marker(FeatureRepo.in_data_dir(squad_resources().root))
            notes = {row["thread_id"]: squad_resources().outbox.diagnostics(row["thread_id"]).get("features_note")
                     for row in squad_resources().outbox.projections()}
            print(f"features: {features.runs - runs_before} materialization(s) during the {ROUNDS} squad runs, "
                  f"online store as of {marker.as_of if marker else 'never'} (the last took {marker.duration_ms if marker else 0} ms); last steps with every feature fresh: "
                  f"{sum(1 for note in notes.values() if note == '')}/{len(notes)} thread(s)")
    report_ratio("squad_overhead", squad_t, bare_t, 1.25, "runs")

if __name__ == "__main__":
    main()
