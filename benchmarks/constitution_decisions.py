"""Constitution decisions per second: compiled bundle (what `Constitution` does) vs a per-decision `query()`.

Baseline, measured in the same run: the same policy and inputs through `Interpreter.query(...)`, which
re-runs the Rego compiler for every decision. Run: `PYTHONPATH=. .venv/bin/python benchmarks/constitution_decisions.py`.
"""

from __future__ import annotations

import json
import threading
import time

import regopy

from fractalops.armory.constitution import DEFAULT_POLICY_DIR, PACKAGE, Constitution

PROPOSALS = [
    {"kind": "workspace_patch", "files": ["docs/a.md", "tests/t.py"]},
    {"kind": "workspace_patch", "files": ["fractalops/hud/model.py", "docs/b.md"], "risk": "low"},
    {"kind": "workspace_patch", "files": [".github/workflows/ci.yml"]},
    {"kind": "ontology_mapping", "target": "ontology"},
]
APPROVERS = [{"identity": "alice", "role": "approver"}, {"identity": "bob", "role": "owner"},
             {"identity": "agent:forge", "role": "agent"}]


def _rate(n: int, fn) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    constitution = Constitution.load()
    baseline = regopy.Interpreter()
    for path in sorted(DEFAULT_POLICY_DIR.glob("*.rego")):
        baseline.add_module(path.name, path.read_text())

    def naive(i: int) -> None:
        baseline.set_input_term(json.dumps({"proposal": PROPOSALS[i % len(PROPOSALS)]}))
        baseline.query(f"x := {PACKAGE}.approval_class")

    def classify(i: int) -> None:
        constitution.classify(PROPOSALS[i % len(PROPOSALS)])

    def author(i: int) -> None:
        constitution.check_author(PROPOSALS[i % len(PROPOSALS)], "standard", "agent")

    def approval(i: int) -> None:
        constitution.check_approval("elevated", "agent:forge", APPROVERS)

    base = _rate(40, naive)
    rates = {"classify": _rate(1000, classify), "check_author": _rate(1000, author),
             "check_approval": _rate(1000, approval)}
    threads = [threading.Thread(target=lambda: [classify(i) for i in range(250)]) for _ in range(4)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rates["classify x4 threads"] = 1000 / (time.perf_counter() - start)
    print(f"baseline per-decision query(): {base:8.1f} decisions/s")
    for name, rate in rates.items():
        print(f"{name:>22}: {rate:8.1f} decisions/s  ({rate / base:5.1f}x baseline)")


if __name__ == "__main__":
    main()
