"""Launch overhead of the workspace-CLI adapter vs a bare worktree + subprocess, in a 1,000-file repo.

Candidate: `run_asset` with a `workspace_cli` asset running `true` (workspace, containment, diff, cleanup).
Baseline (same run): `git worktree add --detach` + `subprocess.run(["true"])` + `git worktree remove --force`.
Prints the medians, the ratio (target <= 1.2x), and a final JSON line.

    .venv/bin/python benchmarks/adapter_launch.py [--reps 20] [--files 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fractalops.adapters.protocol import AdapterTask  # noqa: E402
from fractalops.adapters.run import run_asset  # noqa: E402
from fractalops.armory.assets import RuntimeAsset  # noqa: E402


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_repo(root: Path, files: int) -> Path:
    repo = root / "repo"
    for i in range(files):
        path = repo / f"pkg{i % 20:02d}" / f"mod{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE_{i} = {i}\n" * 20)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=b@example.invalid", "-c", "user.name=bench", "commit", "-q", "-m", "base")
    return repo


def baseline_once(repo: Path, scratch: Path) -> float:
    started = time.perf_counter()
    wt = scratch / "wt"
    _git(repo, "worktree", "add", "--detach", "--quiet", str(wt), "HEAD")
    subprocess.run(["true"], check=True)
    _git(repo, "worktree", "remove", "--force", str(wt))
    return time.perf_counter() - started


def candidate_once(repo: Path, asset: RuntimeAsset, task: AdapterTask) -> float:
    started = time.perf_counter()
    run = run_asset(asset, task, repo)
    elapsed = time.perf_counter() - started
    if run.result.exit_code != 0 or run.diff:
        raise SystemExit(f"unexpected candidate result: exit {run.result.exit_code}, diff {len(run.diff)} bytes")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fractalops-bench-") as tmp:
        root = Path(tmp)
        os.environ.setdefault("FRACTALOPS_DATA_DIR", str(root / "data"))
        repo = make_repo(root, args.files)
        asset = RuntimeAsset(asset_id="bench.true", role="bench", kind="workspace_cli", command=["true"],
                             timeout_s=60, env_allow=["PATH"])
        task = AdapterTask(intent="benchmark")
        baseline_once(repo, root)  # warm the page cache for both sides
        candidate_once(repo, asset, task)
        base_times: list[float] = []
        cand_times: list[float] = []
        for _ in range(args.reps):  # interleaved so drift hits both sides equally
            base_times.append(baseline_once(repo, root))
            cand_times.append(candidate_once(repo, asset, task))
    base_ms = statistics.median(base_times) * 1000
    cand_ms = statistics.median(cand_times) * 1000
    ratio = cand_ms / base_ms
    print(f"repo files:            {args.files}")
    print(f"repetitions:           {args.reps}")
    print(f"baseline median:       {base_ms:8.2f} ms  (worktree add + subprocess.run(true) + worktree remove)")
    print(f"run_asset median:      {cand_ms:8.2f} ms  (workspace_cli asset running `true`)")
    print(f"ratio:                 {ratio:8.3f}x  (target <= 1.2x)")
    print(json.dumps({"benchmark": "adapter_launch", "files": args.files, "reps": args.reps,
                      "baseline_median_ms": round(base_ms, 3), "candidate_median_ms": round(cand_ms, 3),
                      "ratio": round(ratio, 4), "target_ratio": 1.2, "within_target": ratio <= 1.2}))


if __name__ == "__main__":
    main()
