"""Helpers for one user journey through the server: launch, read the interrupt, decide."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from langgraph_sdk.client import SyncLangGraphClient


def launch(client: SyncLangGraphClient, repo: Path, content: str = 'print("hello")\n',
           path: str = "src/app.py", **config: Any) -> str:
    thread = client.threads.create()["thread_id"]
    run = client.runs.create(thread, "squad", config={"configurable": config},
                             input={"intent": f"write {path}", "workspace": str(repo),
                                    "changes": [{"path": path, "content": content}]})
    client.runs.join(thread, run["run_id"])
    return thread


def request_of(client: SyncLangGraphClient, thread: str) -> dict[str, Any]:
    interrupts = client.threads.get_state(thread)["interrupts"]
    assert len(interrupts) == 1, interrupts
    return interrupts[0]["value"]


def decide(client: SyncLangGraphClient, thread: str, *decisions: dict[str, Any]) -> dict[str, Any]:
    run = client.runs.create(thread, "squad", command={"resume": {"decisions": list(decisions)}})
    client.runs.join(thread, run["run_id"])
    return client.threads.get_state(thread)


def commits_for(repo: Path, proposal_id: str) -> int:
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%B"], capture_output=True, text=True, check=True).stdout
    return log.count(f"Fractalops-Proposal: {proposal_id}\n")
