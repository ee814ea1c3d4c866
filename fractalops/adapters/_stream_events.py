"""Shared pieces of the CLI-agent adapters: JSON-line decoding, normalized events, auth-failure detection.

Not public API: `fractalops.adapters.claude` and `fractalops.adapters.codex` are.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fractalops.errors import AdapterError

__all__ = [
    "CLI_AGENTS_BIN_ENV",
    "EVENT_TEXT_CAP",
    "auth_failure_text",
    "clip",
    "event",
    "executable",
    "json_line",
    "plain_env",
    "result_events",
    "result_text",
    "task_prompt",
    "workspace_dir",
]

CLI_AGENTS_BIN_ENV = "FRACTALOPS_CLI_AGENTS_BIN"
"""A directory holding `codex` / `claude` binaries to use when the asset names them bare and PATH lacks them."""
_PROJECT_BIN = Path(__file__).resolve().parents[2] / ".cache" / "cli-agents" / "node_modules" / ".bin"

EVENT_TEXT_CAP = 4000
"""Longest `text` a normalized event carries; the full output stays in the process result."""

_AUTH = re.compile(
    r"\b401\b|unauthori[sz]ed|authentication[_ ]error|authentication[_ ]failed|invalid[_ ]api[_ ]key"
    r"|incorrect api key|invalid x-api-key|not logged in|please run /login|missing api key|no api key"
    r"|missing environment variable: `?\w*(?:KEY|TOKEN)\b",
    re.IGNORECASE,
)


def clip(text: str, cap: int = EVENT_TEXT_CAP) -> str:
    """`text` cut to `cap` characters, marking the cut."""
    return text if len(text) <= cap else text[:cap] + f"… [{len(text) - cap} more chars]"


def event(type_: str, text: str = "", **fields: Any) -> dict[str, Any]:
    """A normalized adapter event: `{"type", "text", ...fields}` with `text` clipped; None fields dropped."""
    out: dict[str, Any] = {"type": type_, "text": clip(text)}
    out.update({k: v for k, v in fields.items() if v is not None})
    return out


def json_line(line: str | bytes) -> dict[str, Any] | None:
    """The JSON object on one output line, or None for a blank line or a line that is not a JSON object."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def auth_failure_text(texts: Iterable[str]) -> str | None:
    """The first text that reads like an authentication failure (HTTP 401, invalid key, ...), else None."""
    for text in texts:
        if text and _AUTH.search(text):
            return text
    return None


def _field(result: Any, name: str, default: Any) -> Any:
    if isinstance(result, Mapping):
        return result.get(name, default)
    return getattr(result, name, default)


def result_events(result: Any) -> list[dict[str, Any]]:
    """The normalized events of a process result (object with `.events` or a mapping)."""
    return [e for e in _field(result, "events", None) or [] if isinstance(e, Mapping)]


def result_text(result: Any, name: str) -> str:
    """`stdout` / `stderr` of a process result as text ('' when absent)."""
    value = _field(result, name, "") or ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def workspace_dir(workspace: Any) -> Path:
    """The directory the agent works in: a `Workspace`'s `.path`, or the path itself."""
    return Path(getattr(workspace, "path", workspace)).resolve()


def executable(asset: Any, default: str) -> str:
    """The program to run: the first word of the asset's `command`, else `default`.

    The rest of an asset's command template is ignored: the CLI adapters own their flags, because the
    flags that work are pinned to the CLI version (e.g. codex 0.169 rejects `--full-auto`). A bare name that
    is not on PATH resolves to the pinned project-local install (`CLI_AGENTS_BIN_ENV`, else
    `<repo>/.cache/cli-agents/node_modules/.bin`, written by `scripts/install-cli-agents.sh`) when it is there.
    """
    command = getattr(asset, "command", None)
    if isinstance(command, str):
        command = shlex.split(command)
    program = str(command[0]) if command else default
    if os.sep in program or shutil.which(program):
        return program
    for base in (os.environ.get(CLI_AGENTS_BIN_ENV), _PROJECT_BIN):
        candidate = Path(base) / program if base else None
        if candidate is not None and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return program


def task_prompt(task: Any) -> str:
    """The prompt for a CLI agent: the task's `prompt`, else its intent plus the requested file changes."""
    prompt = getattr(task, "prompt", None)
    if prompt:
        return str(prompt)
    parts = [str(getattr(task, "intent", "") or "")]
    for change in getattr(task, "changes", None) or ():
        if isinstance(change, Mapping) and "path" in change:
            parts.append(f"Write the file {change['path']} with exactly this content:\n```\n{change.get('content', '')}\n```")
        else:
            parts.append(f"- {change}")
    text = "\n\n".join(p for p in parts if p)
    if not text:
        raise AdapterError("the adapter task has neither a prompt nor an intent; give the CLI agent something to do")
    return text


def plain_env(asset: Any) -> dict[str, str]:
    """The asset's plain (non-secret) env as str → str."""
    env = getattr(asset, "env", None) or {}
    return {str(k): str(v) for k, v in dict(env).items()}
