"""What the in-process squad tests pass as a run's config: the thread and the caller, as the server would."""

from __future__ import annotations

from typing import Any

__all__ = ["ALICE", "run_config"]

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}


def run_config(thread: str, user: dict[str, Any] = ALICE, **configurable: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, "langgraph_auth_user": user, **configurable}}
