"""forge on a chat model vs a bare `create_deep_agent`, driven by the same scripted model and tool script.

Candidate: `run_deep_agent` (what forge runs for a `chat_model` asset): the key resolved from its ref, the governed
model (budget, redaction), the guard middleware, the isolated worktree, the redacted diff.
Baseline (same run, interleaved): `isolated_workspace` + `init_chat_model` with the key in hand + `create_deep_agent`
with `FilesystemBackend(root_dir=<worktree>, virtual_mode=True)` + `invoke` + the worktree's diff.
Both talk to one scripted OpenAI Chat Completions server on 127.0.0.1 (streamed), which writes, reads and edits a file
in a 200-file repo. Prints the medians, the ratio (target <= 1.2x), and a final JSON line.

    .venv/bin/python benchmarks/forge_model.py [--reps 15] [--files 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._ratio import report_ratio  # noqa: E402
from fractalops.adapters.deep_agent import FORGE_PROMPT, run_deep_agent  # noqa: E402
from fractalops.adapters.protocol import AdapterTask  # noqa: E402
from fractalops.adapters.workspace import isolated_workspace  # noqa: E402
from fractalops.armory.secrets import LocalSecretBackend  # noqa: E402
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, model_asset  # noqa: E402
from tests.adapters.scripted_models import Call, ModelScript, Turn, start_openai_chat  # noqa: E402

TARGET = 1.2
SCRIPT = ModelScript(turns=[
    Turn(calls=(Call("write_file", {"file_path": "/src/health.py", "content": "def health():\n    return 'ok'\n"}),)),
    Turn(calls=(Call("read_file", {"file_path": "/src/health.py"}),)),
    Turn(calls=(Call("edit_file", {"file_path": "/src/health.py", "old_string": "'ok'",
                                   "new_string": "{'status': 'ok'}"}),)),
], final_text="Added src/health.py.")
TASK = AdapterTask(intent="add a health endpoint", prompt="Add src/health.py.", thread_id="bench", agent="forge")


def make_repo(root: Path, files: int) -> Path:
    repo = root / "repo"
    for i in range(files):
        path = repo / f"pkg{i % 20:02d}" / f"mod{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE_{i} = {i}\n" * 20)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=b@example.invalid", "-c", "user.name=bench", "commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def _check(diff: str, side: str) -> None:
    if "+    return {'status': 'ok'}" not in diff:
        raise SystemExit(f"{side}: unexpected diff ({len(diff)} bytes)")


def candidate_once(asset, repo: Path, backend: LocalSecretBackend) -> float:
    started = time.perf_counter()
    run = run_deep_agent(asset, TASK, repo, secrets_backend=backend)
    elapsed = time.perf_counter() - started
    _check(run.diff, "candidate")
    return elapsed


def baseline_once(base_url: str, repo: Path) -> float:
    from deepagents import create_deep_agent
    from deepagents.backends import FilesystemBackend
    from langchain.chat_models import init_chat_model

    started = time.perf_counter()
    with isolated_workspace(repo) as ws:
        model = init_chat_model("openai:scripted-model", api_key=CANARY_KEY, base_url=base_url, timeout=30,
                                max_retries=1, streaming=True, stream_usage=True)
        agent = create_deep_agent(model=model, system_prompt=FORGE_PROMPT, checkpointer=False,
                                  backend=FilesystemBackend(root_dir=str(ws.path), virtual_mode=True))
        agent.invoke({"messages": [{"role": "user", "content": TASK.prompt}]}, {"recursion_limit": 180})
        diff, _files = ws.diff_and_files()
    elapsed = time.perf_counter() - started
    _check(diff, "baseline")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    server = start_openai_chat(CANARY_KEY, SCRIPT)
    try:
        with tempfile.TemporaryDirectory(prefix="fractalops-bench-") as tmp:
            root = Path(tmp)
            os.environ.setdefault("FRACTALOPS_DATA_DIR", str(root / "data"))
            repo = make_repo(root, args.files)
            backend = LocalSecretBackend(root / "secrets.json")
            backend.put(KEY_REF, CANARY_KEY)
            asset = model_asset("openai", server)
            base_url = f"{server.base_url}/v1"
            candidate_once(asset, repo, backend)  # warm imports and caches for both sides
            baseline_once(base_url, repo)
            cand: list[float] = []
            base: list[float] = []
            for _ in range(args.reps):  # interleaved so drift hits both sides equally
                base.append(baseline_once(base_url, repo))
                cand.append(candidate_once(asset, repo, backend))
    finally:
        server.stop()
    report_ratio("forge_model", cand, base, TARGET, "runs", labels=("forge", "bare"))


if __name__ == "__main__":
    main()
