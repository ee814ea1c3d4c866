"""Feature read per agent step (the `AgentContext.features` path) vs a bare Feast `get_online_features`.

The context path is what the step wrapper runs for every step: `runtime._step_facts.read_features(ctx, asset)` —
two `stat()`s, the cache, and on a miss one budgeted Feast call in the reader's worker thread. The bare side is
`FeatureStore.get_online_features` of the same features for the same entity row, on a store opened once.

One round is one squad run's steps (13 steps over 9 agents, the squad's order), timed per step, for both sides in
the same three states of the online store (a read right after a materialization is slower for Feast too: SQLite
re-reads the pages another connection changed). Every materialization here follows a new fact, so it loads rows
into the online store (one that loads nothing keeps the readers' cache):
- `after_materialization` (the target): a materialization just happened (ledger asks for one every run), so the
  run's first step misses and refreshes every pair it has seen (9 agents here) with one Feast call, the others hit
  the cache;
- `steady`: no materialization since the last run (the timer's case between ticks): every step hits the cache;
- `every_step_new`: a materialization that loaded rows before every step (worst case, not a real pattern: requested
  runs are spaced 1 s apart): every step misses, so this is the budgeted Feast read (worker-thread hand-off,
  marker, freshness, and the refresh of every seen pair: 9 entity rows against the bare call's 1).
Target: after_materialization context / bare <= 1.2 (per-step means, median over interleaved rounds).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._ratio import report_ratio  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
STEPS = ("atlas", "sentinel", "mercury", "forge", "ontos", "sentinel", "gate", "gate", "relay", "ontos", "ledger",
         "signal", "scribe")
ASSET = "workspace.default"
PROJECTION = {"owner": "bench", "status": "running", "current_agent": "forge", "pending_approvals": 0,
              "live_signal": "x", "hud": {}, "diagnostics": {}}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fo-bench-features-") as tmp:
        os.environ["FRACTALOPS_DATA_DIR"] = str(Path(tmp) / "data")
        from fractalops.hud import new_summary
        from fractalops.planes.features import (
            FEATURE_REFS,
            FeastHandle,
            FeatureRepo,
            entity_row,
            feature_reader,
            materialize_once,
            open_online_store,
        )
        from fractalops.planes.warehouse import get_warehouse
        from fractalops.runtime import make_context, squad_resources
        from fractalops.runtime._step_facts import read_features

        resources = squad_resources()
        for i, agent in enumerate(sorted(set(STEPS))):
            resources.outbox.record(thread_id="seed", agent=agent, projection=PROJECTION,
                                    events=[(f"seed:{i}", "step", "seeded", {"asset": ASSET, "adapter_timeouts": i})])
        repo, handle = FeatureRepo.in_data_dir(resources.root), FeastHandle(FeatureRepo.in_data_dir(resources.root))

        facts = iter(range(10**9))

        def materialize() -> None:
            # A new fact first (one more adapter timeout on the asset), so every run loads rows into the online
            # store, as ledger's after a run: a run that loads nothing keeps the readers' cache (not measured here).
            n = next(facts)
            resources.outbox.record(thread_id="seed", agent="atlas", projection=PROJECTION,
                                    events=[(f"fact:{n}", "step", "seeded", {"asset": ASSET, "adapter_timeouts": 1})])
            done = materialize_once(repo, handle, proposals=resources.proposals, outbox=resources.outbox,
                                    warehouse=get_warehouse())
            assert done.written == done.generation, "the online store was written"

        materialize()
        reader = feature_reader(resources.root)
        assert reader.ready(120), "Feast did not load in the reader"
        state = {"summary": dict(new_summary("bench")), "phase": "launch"}
        contexts = {a: make_context(state, {"configurable": {"thread_id": "bench"}}, a) for a in set(STEPS)}
        bare = open_online_store(repo)

        def context_step(agent: str) -> float:
            started = time.perf_counter()
            features = read_features(contexts[agent], ASSET)
            took = time.perf_counter() - started
            assert not features.missing, features.reason
            return took

        def bare_step(agent: str) -> float:
            started = time.perf_counter()
            bare.get_online_features(features=list(FEATURE_REFS), entity_rows=[entity_row(agent, ASSET)],
                                     full_feature_names=True).to_dict()
            return time.perf_counter() - started

        for agent in STEPS:  # warm-up: both sides' first calls, every pair seen once
            context_step(agent), bare_step(agent)
        sides = ("after_materialization", "steady", "every_step_new")
        runs: dict[str, list[float]] = {f"{side}:{who}": [] for side in sides for who in ("context", "bare")}
        for _ in range(ROUNDS):  # interleaved so machine load hits every side alike
            for who, step in (("bare", bare_step), ("context", context_step)):
                materialize()
                runs[f"after_materialization:{who}"].append(statistics.mean(step(a) for a in STEPS))
                runs[f"steady:{who}"].append(statistics.mean(step(a) for a in STEPS))
                worst = []
                for agent in STEPS:
                    materialize()
                    worst.append(step(agent))
                runs[f"every_step_new:{who}"].append(statistics.mean(worst))
    for side in sides:
        report_ratio("feature_read" if side == sides[0] else f"feature_read_{side}", runs[f"{side}:context"],
                     runs[f"{side}:bare"], 1.2 if side == sides[0] else None, "runs (13 steps each)",
                     labels=("context", "bare"))


if __name__ == "__main__":
    main()
