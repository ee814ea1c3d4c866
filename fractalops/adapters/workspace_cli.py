"""The generic workspace-CLI adapter: any command template, JSON lines become events.

Placeholders in an asset's `command` (each argv item, substring replacement):
`{python}` → this interpreter (`sys.executable`), `{workspace}` / `{workdir}` → the checkout dir,
`{task_file}` → the task JSON, `{prompt}` → the task prompt (or intent), `{intent}` → the intent.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path
from typing import Any, ClassVar

from fractalops.adapters._stream_events import auth_failure_text, clip
from fractalops.adapters.process import default_parse_line
from fractalops.adapters.protocol import AdapterTask
from fractalops.errors import ConfigError

__all__ = ["WorkspaceCliAdapter", "fill_template"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def fill_template(command: list[str], values: dict[str, str]) -> list[str]:
    """Substitute `{name}` placeholders in each argv item; unknown `{...}` text is left as-is."""
    argv = []
    for item in command:
        for name, value in values.items():
            item = item.replace("{" + name + "}", value)
        argv.append(item)
    return argv


def _installed() -> bool:
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    return purelib in Path(__file__).resolve().parents


class WorkspaceCliAdapter:
    """Runs an asset's own command template in the workspace; used by `workspace.default` (write_changes)."""

    kind: ClassVar[str] = "workspace_cli"
    """Adapter kind an asset names to use this adapter."""

    def build_argv(self, asset: Any, task: AdapterTask, workspace: Any) -> list[str]:
        command = list(getattr(asset, "command", None) or [])
        if not command:
            raise ConfigError(f"asset {getattr(asset, 'asset_id', '?')!r} (workspace_cli) has no `command`; "
                              "give an argv template such as [\"{python}\", \"-m\", \"...\", \"{task_file}\"]")
        path = Path(getattr(workspace, "path", workspace))
        task_file = getattr(workspace, "task_file", None)
        values = {
            "python": sys.executable,
            "workspace": str(path),
            "workdir": str(path),
            "task_file": str(task_file or ""),
            "prompt": task.prompt or task.intent,
            "intent": task.intent,
        }
        return fill_template(command, values)

    def build_env(self, asset: Any, task: AdapterTask, workspace: Any) -> dict[str, str]:
        """`PYTHONPATH` to this package's source root when `{python}` runs and the package is not installed."""
        command = list(getattr(asset, "command", None) or [])
        if command and command[0] == "{python}" and not _installed():
            return {"PYTHONPATH": str(_PACKAGE_ROOT)}
        return {}

    def parse_line(self, line: str) -> dict[str, Any] | None:
        """A JSON object line is the event as-is (`type` defaults to `event`); other lines → `output` events."""
        event = default_parse_line(line)
        if event is not None and isinstance(event.get("text"), str):
            event["text"] = clip(event["text"])
        return event

    def final_message(self, events: list[dict[str, Any]], stdout: str) -> str:
        """The last `done` event's message; else the last event text; else the last stdout line."""
        for event in reversed(events):
            if event.get("type") == "done":
                return str(event.get("message") or event.get("text") or "")
        for event in reversed(events):
            for key in ("message", "text"):
                if isinstance(event.get(key), str) and event[key].strip():
                    return event[key]
        return stdout.strip().splitlines()[-1] if stdout.strip() else ""

    def classify_failure(self, result: Any) -> str | None:
        """An auth failure reason from stderr/error events, only when the command failed (non-zero exit)."""
        if getattr(result, "exit_code", 0) == 0:
            return None
        texts = [str(e.get("text") or e.get("message") or "") for e in getattr(result, "events", [])
                 if e.get("type") == "error"]
        found = auth_failure_text([*texts, str(getattr(result, "stderr", ""))])
        return f"workspace_cli: authentication failed: {found.strip()[:300]}" if found else None
