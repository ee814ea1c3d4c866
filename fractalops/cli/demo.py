"""The demo thread `make dev` launches: a small git workspace and one squad run waiting for approval."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from langgraph_sdk import get_sync_client

__all__ = ["ensure_demo_workspace", "launch_demo_thread", "DEMO_INTENT"]

DEMO_INTENT = "Add a greeting module to the demo workspace"
_DEMO_CHANGE = {
    "path": "src/greeting.py",
    "content": 'def greet(name: str) -> str:\n    return f"Hello, {name}! Proof path: graph, warehouse, chronicle."\n',
}


def ensure_demo_workspace(data_dir: Path) -> Path:
    repo = data_dir / "demo-workspace"
    if (repo / ".git").exists():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "README.md").write_text("# FractalOps demo workspace\n\nChanges arrive only through approved proposals.\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=fractalops demo", "-c", "user.email=demo@fractalops.invalid",
                    "commit", "-qm", "demo workspace"], check=True)
    return repo


def launch_demo_thread(url: str, api_key: str | None, workspace: Path) -> dict[str, Any]:
    """Create a thread, run the squad until its approval interrupt, and return the thread's state."""
    client = get_sync_client(url=url, api_key=api_key)
    thread = client.threads.create(metadata={"demo": True})
    run = client.runs.create(
        thread["thread_id"], "squad",
        input={"intent": DEMO_INTENT, "workspace": str(workspace), "changes": [_DEMO_CHANGE]},
    )
    client.runs.join(thread["thread_id"], run["run_id"])
    return {"thread_id": thread["thread_id"], "state": client.threads.get_state(thread["thread_id"])}
