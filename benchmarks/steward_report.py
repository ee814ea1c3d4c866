"""Steward end-to-end throughput: scan → RDF → SHACL → DataHub JSON on a generated 100-dataset project.

Baseline (same run): plain rdflib `Graph.add` of the very same triples. Prints triples/s for both, their ratio,
and a final JSON line. Target: end-to-end >= 10k triples/s.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph

from fractalops.planes.catalog import write_mcps
from fractalops.planes.semantics import validate
from fractalops.planes.steward import scan_project, write_sample_project

DATASETS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
ROUNDS = 5
TARGET = 10_000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = write_sample_project(root / "proj", datasets=DATASETS, rows=50)
        validate(Graph())  # warm caches (ontology/shapes parse) outside the timed region
        best_e2e, best_base, triples, stages = float("inf"), float("inf"), 0, {}
        for i in range(ROUNDS):
            t0 = time.perf_counter()
            report = scan_project(project)
            t1 = time.perf_counter()
            graph = report.to_graph()
            t2 = time.perf_counter()
            result = validate(graph)
            t3 = time.perf_counter()
            write_mcps(report, root / f"data{i}")
            t4 = time.perf_counter()
            if not result.conforms:
                raise SystemExit(f"report RDF does not conform:\n{result.text}")
            if t4 - t0 < best_e2e:
                best_e2e = t4 - t0
                stages = {"scan_s": t1 - t0, "rdf_s": t2 - t1, "shacl_s": t3 - t2, "datahub_s": t4 - t3}
            triples = len(graph)
            same = list(graph)
            b0 = time.perf_counter()
            baseline = Graph()
            for t in same:
                baseline.add(t)
            best_base = min(best_base, time.perf_counter() - b0)
        e2e_rate, base_rate = triples / best_e2e, triples / best_base
        print(f"datasets={len(report.datasets)} triples={triples} rounds={ROUNDS} (best of)")
        print("stages: " + ", ".join(f"{k}={v * 1000:.1f}ms" for k, v in stages.items()))
        print(f"end-to-end: {e2e_rate:,.0f} triples/s ({best_e2e * 1000:.1f} ms)")
        print(f"baseline rdflib Graph.add: {base_rate:,.0f} triples/s ({best_base * 1000:.1f} ms)")
        print(f"ratio end-to-end/baseline: {e2e_rate / base_rate:.3f}  target >= {TARGET:,} triples/s: "
              f"{'met' if e2e_rate >= TARGET else 'MISSED'}")
        print(json.dumps({
            "benchmark": "steward_report", "datasets": len(report.datasets), "triples": triples,
            "e2e_triples_per_s": round(e2e_rate), "baseline_triples_per_s": round(base_rate),
            "ratio": round(e2e_rate / base_rate, 4), "target_triples_per_s": TARGET,
            "target_met": e2e_rate >= TARGET, **{k: round(v, 4) for k, v in stages.items()},
        }))


if __name__ == "__main__":
    main()
