"""The Claude Code CLI adapter: `claude -p --output-format stream-json --verbose ... -- <prompt>`.

Measured with claude 2.1.328 against a scripted `/v1/messages` server:
- It has no `--cwd`: the process cwd is the working directory (the prompt's environment section says
  `Primary working directory: <cwd>`), so the runner must start it in the workspace.
- It writes files only under `--permission-mode acceptEdits` (or a bypass mode, which as root needs
  `IS_SANDBOX=1`), and it EXITS 0 EVEN WHEN A WRITE WAS REFUSED. A failed API call ends with a `result` event
  whose `subtype` is still `"success"` but `is_error` is true. Judge a run by the exit code AND `is_error`
  AND the workspace diff. A write outside the cwd is refused with a `system`/`permission_denied` line
  (normalized to a `permission_denied` event).
- `ANTHROPIC_API_KEY` (or `ANTHROPIC_AUTH_TOKEN`) and `ANTHROPIC_BASE_URL` are honoured;
  `CLAUDE_CODE_MAX_RETRIES=0` stops the retry loop; `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` stops the
  `HEAD /api/hello` connectivity probe, leaving only the `/v1/messages?beta=true` calls (2.1.328 in `-p` mode
  sent no session-title request; the environment section with the working directory is a `system`-role message).
"""

from __future__ import annotations

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

__all__ = ["CLAUDE_ENV", "ClaudeAdapter"]

CLAUDE_ENV: dict[str, str] = {
    "CLAUDE_CODE_MAX_RETRIES": "0",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_BUG_COMMAND": "1",
    "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1",
    "CLAUDE_CODE_DISABLE_TERMINAL_TITLE": "1",
}
"""Env the adapter always sets: no retries, no telemetry, error reporting, auto-update or side traffic."""

_MODEL_ENV = ("CLAUDE_MODEL", "ANTHROPIC_MODEL")


def _summarize_tool_input(name: str, tool_input: Any) -> str:
    if not isinstance(tool_input, dict):
        return name
    for key in ("file_path", "command", "path", "pattern", "url", "description"):
        if key in tool_input:
            return f"{name} {tool_input[key]}"
    return name


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_content_text(b.get("text", b.get("content", ""))) for b in content if isinstance(b, dict))
    return ""


class ClaudeAdapter:
    """Runs Claude Code headless; its stream-json lines become normalized events."""

    kind: ClassVar[str] = "claude"
    """Adapter kind an asset names to use this adapter."""
    permission_mode: str = "acceptEdits"
    """Lets the agent edit files in its cwd without prompting; it never prompts in `-p` mode anyway."""

    def build_argv(self, asset: Any, task: Any, workspace: Any) -> list[str]:
        """`claude -p --output-format stream-json --verbose --permission-mode acceptEdits [--model M] -- <prompt>`.

        Start it with cwd = the workspace (Claude Code has no `--cwd`). The model comes from the asset's plain
        env `CLAUDE_MODEL` or `ANTHROPIC_MODEL`.
        """
        argv = [executable(asset, "claude"), "-p", "--output-format", "stream-json", "--verbose",
                "--permission-mode", self.permission_mode]
        env = plain_env(asset)
        model = next((env[name] for name in _MODEL_ENV if env.get(name)), None)
        if model:
            argv += ["--model", model]
        # `--` so a prompt that starts with "-" is never read as an option.
        return [*argv, "--", task_prompt(task)]

    def build_env(self, asset: Any, task: Any, workspace: Any) -> dict[str, str]:
        """Env to add to the scrubbed environment: `CLAUDE_ENV` plus a private `CLAUDE_CONFIG_DIR` beside the
        workspace (Claude Code otherwise writes `~/.claude*` under HOME)."""
        wdir = workspace_dir(workspace)
        config_dir = wdir.parent / f".claude-config-{wdir.name}"
        config_dir.mkdir(parents=True, exist_ok=True)
        return {**CLAUDE_ENV, "CLAUDE_CONFIG_DIR": str(config_dir)}

    def parse_line(self, line: str | bytes) -> dict[str, Any] | None:
        """One stream-json line → a normalized event; None for blank lines and non-JSON noise."""
        data = json_line(line)
        if data is None:
            text = (line.decode("utf-8", "replace") if isinstance(line, bytes) else line).strip()
            return event("output", text) if text else None
        kind = data.get("type")
        if kind == "system":
            subtype = data.get("subtype")
            if subtype == "init":
                return event("session", f"claude {data.get('claude_code_version', '?')} model={data.get('model')}",
                             session_id=data.get("session_id"), model=data.get("model"),
                             permission_mode=data.get("permissionMode"))
            if subtype == "permission_denied":
                return event("permission_denied", str(data.get("message") or data.get("decision_reason") or ""),
                             tool=data.get("tool_name"), reason=data.get("decision_reason"))
            return event("system", str(subtype or ""))
        if kind == "assistant":
            return self._assistant(data)
        if kind == "user":
            content = (data.get("message") or {}).get("content")
            blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
            results = [b for b in blocks if b.get("type") == "tool_result"]
            if results:
                return event("tool_result", "\n".join(_content_text(b.get("content")) for b in results),
                             is_error=any(bool(b.get("is_error")) for b in results) or None)
            return event("user", _content_text(content))
        if kind == "result":
            return event("result", str(data.get("result") or ""), subtype=data.get("subtype"),
                         is_error=bool(data.get("is_error")), api_error_status=data.get("api_error_status"),
                         num_turns=data.get("num_turns"), duration_ms=data.get("duration_ms"),
                         permission_denials=len(data.get("permission_denials") or []) or None)
        return event(str(kind or "unknown"), "")

    def _assistant(self, data: dict[str, Any]) -> dict[str, Any]:
        message = data.get("message") or {}
        blocks = [b for b in message.get("content") or [] if isinstance(b, dict)]
        text = "\n".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        if data.get("is_api_error_message") or data.get("error"):
            return event("error", text or str(data.get("error")), error=data.get("error"),
                         status=data.get("api_error_status"), error_type=data.get("api_error_type"))
        tools = [b for b in blocks if b.get("type") == "tool_use"]
        if tools:
            summary = "\n".join(_summarize_tool_input(str(b.get("name")), b.get("input")) for b in tools)
            return event("tool_call", "\n".join(p for p in (text, summary) if p),
                         tools=[str(b.get("name")) for b in tools])
        if any(b.get("type") == "thinking" for b in blocks) and not text:
            return event("thinking", "\n".join(str(b.get("thinking", "")) for b in blocks))
        return event("message", text)

    def final_message(self, events: list[dict[str, Any]], stdout: str = "") -> str:
        """The `result` event's text; else the last assistant message; else ''."""
        for wanted in ("result", "message"):
            for ev in reversed(events):
                if ev.get("type") == wanted and ev.get("text"):
                    return str(ev["text"])
        return ""

    def classify_failure(self, result: Any) -> str | None:
        """A reason string when the run failed for lack of a valid credential (401, invalid key), else None."""
        events = result_events(result)
        for ev in events:
            status = ev.get("status") or ev.get("api_error_status")
            if status in (401, 403) or ev.get("error") == "authentication_failed" \
                    or ev.get("error_type") == "authentication_error":
                http = f" (HTTP {status})" if status else ""
                return f"claude: the model API refused the credential{http}: {ev.get('text', '')}"
        texts = [str(ev.get("text", "")) for ev in events if ev.get("type") in ("error", "result", "output")
                 and (ev.get("type") != "result" or ev.get("is_error"))]
        found = auth_failure_text([*texts, result_text(result, "stderr")])
        if found:
            return f"claude: authentication failed: {found.strip()[:300]}"
        return None
