"""The run-input contract: what a squad run takes (input and run options), validated for atlas and the server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fractalops.errors import ConfigError
from fractalops.git_runner import git
from fractalops.repo_paths import path_problem

__all__ = ["validate_run_input", "intent_from_input", "check_git_repo", "MAX_CHANGE_BYTES", "RUN_MODES", "RunOptions",
           "run_options"]

MAX_CHANGE_BYTES = 5_000_000
"""Largest total content a run may ask forge to write (bigger work belongs in a CLI asset)."""
RUN_MODES = ("auto", "observe")
"""`input.mode`: `auto` (default) builds when forge can (from `changes`, or from the intent on a model or CLI agent);
`observe` forces the read-only route."""


def _last_human_text(messages: list[Any]) -> str:
    for message in reversed(messages or []):
        kind = message.get("type") or message.get("role") if isinstance(message, dict) else getattr(message, "type", "")
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
        if kind in {"human", "user"}:
            if isinstance(content, list):
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return ""


def intent_from_input(value: dict[str, Any]) -> str:
    return str(value.get("intent") or "").strip() or _last_human_text(value.get("messages") or []).strip()


def validate_run_input(value: dict[str, Any] | None) -> None:
    """Raise `ConfigError` naming the bad field; resumes (no input) pass."""
    if not value:
        return
    if not isinstance(value, dict):
        raise ConfigError(f"run input must be an object with intent/workspace/changes or messages, got {type(value).__name__}")
    if "intent" in value and not isinstance(value["intent"], str):
        raise ConfigError("input.intent must be a string")
    mode = value.get("mode")
    if mode not in (None, "") and mode not in RUN_MODES:
        raise ConfigError(f"input.mode {mode!r} is not a run mode; use one of {', '.join(RUN_MODES)} "
                          "(`observe` forces the read-only route)")
    changes = value.get("changes")
    if changes is None:
        return
    if not isinstance(changes, list):
        raise ConfigError('input.changes must be a list of {"path": ..., "content": ...}')
    total = 0
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or not isinstance(change.get("path"), str) or not isinstance(change.get("content"), str):
            raise ConfigError(f'input.changes[{i}] must be {{"path": "<relative file>", "content": "<new text>"}}')
        if problem := path_problem(change["path"]):  # the shared policy: absolute, `..`, `.git`, NUL, control chars
            raise ConfigError(f"input.changes[{i}].path {change['path']!r} {problem}; a change must be a relative "
                              "path inside the workspace, outside .git")
        total += len(change["content"].encode())
    if total > MAX_CHANGE_BYTES:
        raise ConfigError(f"input.changes carry {total} bytes; the limit is {MAX_CHANGE_BYTES} (use a CLI forge asset)")
    workspace = value.get("workspace")
    if changes and not workspace:
        raise ConfigError("input.workspace is required when input.changes is given (the path of a git repo)")
    if workspace:
        check_git_repo(str(workspace))


def check_git_repo(workspace: str) -> None:
    path = Path(workspace)
    if not path.is_dir():
        raise ConfigError(f"input.workspace {workspace!r} is not a directory on the server")
    probe = git(path, "rev-parse", "--verify", "HEAD", check=False)
    if probe.returncode != 0:
        raise ConfigError(f"input.workspace {workspace!r} is not a git repo with at least one commit: {probe.stderr.strip()}")


@dataclass(frozen=True)
class RunOptions:
    """The run options a run named; None where it named nothing (the thread keeps what it has)."""

    packs: list[str] | None = None
    """Extension packs to enable."""
    bindings: dict[str, str] | None = None
    """Agent -> asset_id or role."""


def _option(sources: list[Mapping[str, Any]], key: str) -> Any:
    for source in sources:
        if source.get(key) is not None:
            return source[key]
    return None


def run_options(config: Mapping[str, Any] | None, context: Mapping[str, Any] | None = None) -> RunOptions:
    """Packs and bindings from the run's `context` (LangGraph 1.x) or, as before, `config.configurable`.

    Shapes are checked here (`ConfigError` naming the key); names are checked against the registry by atlas.
    """
    sources = [s for s in (context, (config or {}).get("configurable")) if isinstance(s, Mapping)]
    packs, bindings = _option(sources, "packs"), _option(sources, "bindings")
    if isinstance(packs, str):
        packs = [n.strip() for n in packs.split(",") if n.strip()]
    if packs is not None and not (isinstance(packs, list) and all(isinstance(p, str) for p in packs)):
        raise ConfigError(f"run option `packs` must be a list of pack names, got {packs!r}")
    if bindings is not None and not (
        isinstance(bindings, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in bindings.items())
    ):
        raise ConfigError(f"run option `bindings` must be an object of agent -> asset_id or role, got {bindings!r}")
    # An empty list or object names nothing, like an absent key (the CLI always sends both).
    return RunOptions(packs=list(packs) if packs else None, bindings=dict(bindings) if bindings else None)
