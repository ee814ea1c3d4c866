"""The process-adapter extension point: how an asset kind turns a task into argv and output into events.

An adapter is pure translation; it never launches anything. `run_asset` (adapters/run.py) owns the workspace,
the secrets, the containment (`run_process`) and the diff.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from fractalops.errors import UnknownNameError

__all__ = [
    "AdapterTask",
    "ProcessAdapter",
    "adapter_for",
    "adapter_kinds",
    "register_adapter",
]


@dataclass(frozen=True)
class AdapterTask:
    """What one adapter launch should do; written to the task file that deterministic builders read."""

    intent: str
    """The HUD's one intent line."""
    thread_id: str = ""
    """The LangGraph thread the launch belongs to (for events and evidence)."""
    agent: str = ""
    """The agent that launched it (e.g. `forge`)."""
    changes: tuple[Mapping[str, str], ...] = ()
    """Requested file changes `{"path": <repo-relative>, "content": <full new text>}` (lists are accepted)."""
    prompt: str = ""
    """Text for CLI models; empty → adapters build one from the intent and changes."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Free-form JSON-able context an adapter may read (e.g. model hints); written to the task file."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(dict(c) for c in self.changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON payload of the task file."""
        return {
            "intent": self.intent,
            "thread_id": self.thread_id,
            "agent": self.agent,
            "changes": [dict(c) for c in self.changes],
            "prompt": self.prompt,
            "extra": dict(self.extra),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


@runtime_checkable
class ProcessAdapter(Protocol):
    """One adapter kind (`workspace_cli`, `codex`, `claude`, `zai`).

    Optional extra: `build_env(asset, task, workspace) -> dict[str, str]` — plain env the adapter adds to the
    scrubbed environment (e.g. Claude's `CLAUDE_CONFIG_DIR`); `run_asset` uses it when present.
    """

    kind: str
    """The asset `kind` this adapter serves."""

    def build_argv(self, asset: Any, task: AdapterTask, workspace: Any) -> list[str]:
        """The argv to launch for `asset` on `task` in `workspace` (a `Workspace`; cwd is `workspace.path`).

        `run_asset` passes a `workspace` that also carries `task_file` (Path of the task JSON) as an attribute.
        """
        ...

    def parse_line(self, line: str) -> dict[str, Any] | None:
        """One stdout line → a normalized event `{"type": ..., "text": ..., ...}`, or None to skip it."""
        ...

    def final_message(self, events: list[dict[str, Any]], stdout: str) -> str:
        """The run's final answer from its (redacted) events and stdout."""
        ...

    def classify_failure(self, result: Any) -> str | None:
        """A reason when the run failed for a missing/invalid credential (401, invalid api key, missing key).

        The caller then raises `AccessBlockedError(reason, missing=[asset secret refs])`. None otherwise.
        """
        ...


_FACTORIES: dict[str, Callable[[], ProcessAdapter]] = {}
_LAZY: dict[str, tuple[str, str]] = {
    "workspace_cli": ("fractalops.adapters.workspace_cli", "WorkspaceCliAdapter"),
    "codex": ("fractalops.adapters.codex", "CodexAdapter"),
    "claude": ("fractalops.adapters.claude", "ClaudeAdapter"),
    "zai": ("fractalops.adapters.zai", "ZaiAdapter"),
}


def register_adapter(kind: str, factory: Callable[[], ProcessAdapter]) -> None:
    """Add (or replace) the adapter for `kind`; `factory()` is called once per `adapter_for` lookup."""
    _FACTORIES[kind] = factory


def adapter_kinds() -> Sequence[str]:
    """Every kind `adapter_for` can serve, sorted."""
    return sorted(set(_FACTORIES) | set(_LAZY))


def adapter_for(kind: str) -> ProcessAdapter:
    """A fresh adapter instance for an asset kind; `UnknownNameError` for kinds with no process adapter.

    Adapter modules are imported lazily (codex/claude/zai only when used).
    """
    factory = _FACTORIES.get(kind)
    if factory is not None:
        return factory()
    if kind in _LAZY:
        module_name, attr = _LAZY[kind]
        return getattr(importlib.import_module(module_name), attr)()
    raise UnknownNameError(
        "process adapter kind", kind, adapter_kinds(),
        where="fractalops.adapters.protocol (`native` runs in-process and `browser` has its own adapter)",
    )
