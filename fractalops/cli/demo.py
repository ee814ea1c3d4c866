"""The demo thread `make dev` shows: a small git workspace and one squad run waiting for approval.

On a second `make dev` the demo is reused, not repeated: the newest demo thread is shown again when it still
waits for a decision, and nothing new is launched when its change is already in the workspace (approved earlier).
Only otherwise (no demo yet, or the last one was rejected) is a new demo thread launched.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["ensure_demo_workspace", "demo_thread", "DemoThread", "DEMO_INTENT"]

DEMO_INTENT = "Add a greeting module to the demo workspace"
_DEMO_CHANGE = {
    "path": "src/greeting.py",
    "content": 'def greet(name: str) -> str:\n    return f"Hello, {name}! Proof path: graph, warehouse, chronicle."\n',
}


@dataclass(frozen=True)
class DemoThread:
    thread_id: str | None
    """The demo thread (None when the change was applied on a thread this server no longer has)."""
    status: Literal["waiting", "applied", "not_waiting"]
    """`waiting` for a decision, `applied` already (nothing to decide), or `not_waiting` for another reason."""
    reused: bool
    """Whether this is a demo thread from an earlier start."""


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


def _applied(workspace: Path) -> bool:
    target = workspace / _DEMO_CHANGE["path"]
    return target.is_file() and target.read_text() == _DEMO_CHANGE["content"]


def _waiting(state: dict[str, Any]) -> bool:
    return bool(state.get("interrupts"))


def demo_thread(url: str, api_key: str, workspace: Path) -> DemoThread:
    """Reuse the newest demo thread when it waits or its change is applied; else launch one and run it to the gate."""
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=url, api_key=api_key)
    newest = client.threads.search(metadata={"demo": True}, limit=1, sort_by="created_at", sort_order="desc")
    if newest:
        thread_id = newest[0]["thread_id"]
        if _waiting(client.threads.get_state(thread_id)):
            return DemoThread(thread_id, "waiting", reused=True)
        if _applied(workspace):
            return DemoThread(thread_id, "applied", reused=True)
    elif _applied(workspace):
        return DemoThread(None, "applied", reused=True)
    thread = client.threads.create(metadata={"demo": True})
    run = client.runs.create(
        thread["thread_id"], "squad",
        input={"intent": DEMO_INTENT, "workspace": str(workspace), "changes": [_DEMO_CHANGE]},
    )
    client.runs.join(thread["thread_id"], run["run_id"])
    waiting = _waiting(client.threads.get_state(thread["thread_id"]))
    return DemoThread(thread["thread_id"], "waiting" if waiting else "not_waiting", reused=False)
