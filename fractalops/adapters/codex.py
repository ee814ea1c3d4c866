"""The Codex CLI adapter: `codex exec --json -s workspace-write --skip-git-repo-check -C <dir> -o <file>`.

Measured with codex 0.169.0 against a scripted `/v1/responses` server:
- `--full-auto` no longer exists; `-s workspace-write` confines writes to `-C <dir>` (and EXITS 0 even when the
  model's command failed): judge a run by the workspace diff, never by the exit code.
- The key is read from `CODEX_API_KEY` (OPENAI_API_KEY and OPENAI_BASE_URL are ignored); a base URL is set with a
  custom provider via `-c model_providers.<id>.*` overrides and `-c model_provider=<id>`.
- The tools it offers are `exec_command`, `write_stdin`, `request_user_input`, `view_image`, … (no `shell`, no
  `apply_patch`).
- Without network or credentials it NEVER exits by itself: the runner's timeout is what ends it.
- It reads stdin when stdin is not a TTY ("Reading additional input from stdin..."): give it /dev/null.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from fractalops.adapters._stream_events import (
    auth_failure_text,
    event,
    executable,
    json_line,
    plain_env,
    result_events,
    result_text,
    task_prompt,
    workspace_dir,
)
from fractalops.errors import ConfigError

__all__ = ["CODEX_PROVIDER_ID", "CodexAdapter", "last_message_file"]

CODEX_PROVIDER_ID = "fractalops"
"""The `model_providers.<id>` the adapter defines when the asset sets `CODEX_BASE_URL`."""

_AUTH_ENV = "CODEX_API_KEY"
_SANDBOXES = ("workspace-write", "read-only")


def last_message_file(workspace: Any) -> Path:
    """Where `-o` writes the final message: beside the workspace checkout, never inside it (so not in the diff)."""
    wdir = workspace_dir(workspace)
    return wdir.parent / f".codex-last-message-{wdir.name}.txt"


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string.
    return json.dumps(value)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def _secret_names(asset: Any) -> list[str]:
    """Env names the model's commands must not see: the key, every asset secret, and the usual patterns."""
    names = {_AUTH_ENV, *(getattr(asset, "secrets", None) or {})}
    return sorted(names) + ["*KEY*", "*SECRET*", "*TOKEN*"]


class CodexAdapter:
    """Runs `codex exec --json`; its JSONL thread/turn/item events become normalized events.

    Asset plain env read by `build_argv`: `CODEX_BASE_URL` (Responses API base, e.g. `http://host/v1`),
    `CODEX_MODEL` (`-m`), `CODEX_SANDBOX` (default `workspace-write`). The key comes from the asset's secret
    bound to `CODEX_API_KEY`.
    """

    kind: ClassVar[str] = "codex"
    """Adapter kind an asset names to use this adapter."""

    def __init__(self) -> None:
        self._last_message: Path | None = None

    def build_argv(self, asset: Any, task: Any, workspace: Any) -> list[str]:
        env = plain_env(asset)
        wdir = workspace_dir(workspace)
        self._last_message = last_message_file(workspace)
        self._last_message.unlink(missing_ok=True)
        sandbox = env.get("CODEX_SANDBOX", "workspace-write")
        if sandbox not in _SANDBOXES:
            raise ConfigError(f"asset {getattr(asset, 'asset_id', '?')!r}: CODEX_SANDBOX={sandbox!r} is not allowed; "
                              f"use one of {', '.join(_SANDBOXES)} (the harness never runs codex unsandboxed)")
        argv = [executable(asset, "codex"), "exec", "--json", "--color", "never", "--ephemeral",
                "--ignore-user-config", "-s", sandbox,
                "--skip-git-repo-check", "-C", str(wdir), "-o", str(self._last_message),
                # workspace-write also opens /tmp and $TMPDIR by default, where the target repo may live.
                "-c", "sandbox_workspace_write.exclude_slash_tmp=true",
                "-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true",
                # codex hands its whole env, CODEX_API_KEY included, to the model's commands unless told not to.
                "-c", "shell_environment_policy.ignore_default_excludes=false",
                "-c", f"shell_environment_policy.exclude={_toml_list(_secret_names(asset))}"]
        base_url = env.get("CODEX_BASE_URL")
        if base_url:
            provider = f"model_providers.{CODEX_PROVIDER_ID}"
            for key, value in (("name", _toml(CODEX_PROVIDER_ID)), ("base_url", _toml(base_url)),
                               ("env_key", _toml(_AUTH_ENV)), ("wire_api", _toml("responses")),
                               ("request_max_retries", "0"), ("stream_max_retries", "0")):
                argv += ["-c", f"{provider}.{key}={value}"]
            argv += ["-c", f"model_provider={_toml(CODEX_PROVIDER_ID)}"]
        if env.get("CODEX_MODEL"):
            argv += ["-m", env["CODEX_MODEL"]]
        argv += ["--", task_prompt(task)]
        return argv

    def build_env(self, asset: Any, task: Any, workspace: Any) -> dict[str, str]:
        """Env to add to the scrubbed environment: a private `CODEX_HOME` beside the workspace (not in the diff)."""
        wdir = workspace_dir(workspace)
        home = wdir.parent / f".codex-home-{wdir.name}"
        home.mkdir(parents=True, exist_ok=True)
        return {"CODEX_HOME": str(home), "NO_COLOR": "1"}

    def parse_line(self, line: str | bytes) -> dict[str, Any] | None:
        """One JSONL line → a normalized event; None for blank lines."""
        data = json_line(line)
        if data is None:
            text = (line.decode("utf-8", "replace") if isinstance(line, bytes) else line).strip()
            return event("output", text) if text else None
        kind = str(data.get("type") or "unknown")
        if kind == "thread.started":
            return event("session", f"codex thread {data.get('thread_id')}", thread_id=data.get("thread_id"))
        if kind == "turn.started":
            return event("turn", "turn started")
        if kind == "turn.completed":
            return event("turn", "turn completed", usage=data.get("usage"))
        if kind == "turn.failed":
            error = data.get("error") or {}
            return event("error", str(error.get("message") if isinstance(error, dict) else error))
        if kind == "error":
            return event("error", str(data.get("message", "")))
        if kind.startswith("item."):
            return self._item(kind, data.get("item") or {})
        return event(kind, "")

    def _item(self, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        item_type = item.get("type")
        done = kind == "item.completed"
        if item_type == "agent_message":
            return event("message", str(item.get("text", "")), partial=None if done else True)
        if item_type == "command_execution":
            if not done:
                return event("tool_call", str(item.get("command", "")), tools=["exec_command"])
            return event("tool_result", str(item.get("aggregated_output", "")), tool="exec_command",
                         command=str(item.get("command", "")), exit_code=item.get("exit_code"),
                         status=item.get("status"))
        if item_type == "reasoning":
            return event("thinking", str(item.get("text", "")))
        if item_type == "file_change":
            changes = item.get("changes") or []
            paths = [f"{c.get('kind', '?')} {c.get('path', '?')}" for c in changes if isinstance(c, dict)]
            return event("file_change", "\n".join(paths), status=item.get("status"))
        if item_type == "error":
            return event("warning", str(item.get("message", "")))
        return event(str(item_type or kind), json.dumps(item)[:500])

    def final_message(self, events: list[dict[str, Any]], stdout: str = "") -> str:
        """The `-o` file this instance's last `build_argv` named, else the last completed agent message, else ''."""
        if self._last_message is not None and self._last_message.is_file():
            text = self._last_message.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                return text
        for ev in reversed(events):
            if ev.get("type") == "message" and not ev.get("partial") and ev.get("text"):
                return str(ev["text"])
        return ""

    def read_last_message(self, workspace: Any) -> str | None:
        """The `-o` file's content after a run, or None when codex did not write it."""
        path = last_message_file(workspace)
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else None

    def classify_failure(self, result: Any) -> str | None:
        """A reason string when the model API refused the credential (401 / unauthorized / invalid key)."""
        texts = [str(ev.get("text", "")) for ev in result_events(result) if ev.get("type") in ("error", "output")]
        found = auth_failure_text([*texts, result_text(result, "stderr")])
        if found:
            return f"codex: no valid credential for the model API: {found.strip()[:300]}"
        return None
