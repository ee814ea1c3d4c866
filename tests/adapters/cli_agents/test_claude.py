"""The real `claude` binary (Claude Code 2.1.328) against the scripted Messages server, through the claude adapter."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from fractalops.adapters.claude import ClaudeAdapter
from fractalops.adapters.process import ProcessSpec, run_process
from fractalops.adapters.workspace import isolated_workspace
from fractalops.armory.assets import RuntimeAsset

from .conftest import CANARY_KEY, repo_snapshot
from .scripted_anthropic import ScriptedAnthropic

SECRET_REF = "openbao://kv/test/anthropic#api_key"


@dataclass(frozen=True)
class _Task:
    intent: str = "add a notes file"
    prompt: str = "Create NOTES.md saying hello."
    thread_id: str = "t-claude"
    agent: str = "forge"
    changes: list[str] = field(default_factory=list)


def _asset(claude_bin: Path, server: ScriptedAnthropic) -> RuntimeAsset:
    return RuntimeAsset(
        asset_id="claude.test", role="claude", kind="claude", command=[str(claude_bin)],
        env={"ANTHROPIC_BASE_URL": server.base_url, "ANTHROPIC_MODEL": "claude-scripted"},
        secrets={"ANTHROPIC_API_KEY": SECRET_REF}, timeout_s=60,
    )


def test_claude_writes_a_file_in_its_workspace(claude_bin: Path, anthropic_server: ScriptedAnthropic,
                                               target_repo: Path) -> None:
    adapter, task = ClaudeAdapter(), _Task()
    asset = _asset(claude_bin, anthropic_server)
    before = repo_snapshot(target_repo)
    started = time.monotonic()
    with isolated_workspace(target_repo) as ws:
        env = {"PATH": "/usr/bin:/bin", **adapter.build_env(asset, task, ws), **asset.env,
               "ANTHROPIC_API_KEY": CANARY_KEY}
        result = run_process(ProcessSpec(
            argv=adapter.build_argv(asset, task, ws), cwd=ws.path, env=env, redact=[CANARY_KEY],
            timeout_s=asset.timeout_s, parse_line=adapter.parse_line, final_message=adapter.final_message,
        ))
        diff = ws.diff()
        workdir = str(ws.path)
        assert repo_snapshot(target_repo) == before, "the run touched the target repo"
    elapsed = time.monotonic() - started

    assert result.exit_code == 0 and not result.timed_out, result.stderr
    assert "+++ b/NOTES.md" in diff and "+hello from scripted claude" in diff
    assert result.final_message == "Wrote NOTES.md."
    kinds = [e["type"] for e in result.events]
    assert kinds == ["session", "tool_call", "tool_result", "message", "result"]
    assert result.events[1]["tools"] == ["Write"]
    assert result.events[-1]["is_error"] is False
    assert adapter.classify_failure(result) is None

    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=diff, text=True, check=True)
    for blob in (json.dumps(result.to_dict()), diff, result.final_message):
        assert CANARY_KEY not in blob

    posts = anthropic_server.posts("/v1/messages")
    assert len(posts) == 2 and anthropic_server.main_requests() == posts
    assert all(r.headers["x-api-key"] == CANARY_KEY for r in posts)
    assert all(r.body["model"] == "claude-scripted" and r.body["stream"] is True for r in posts)
    assert "Write" in [t["name"] for t in posts[0].body["tools"]]
    assert f"Primary working directory: {workdir}" in json.dumps(posts[0].body)
    last = posts[1].body["messages"][-1]["content"]
    assert any(b.get("type") == "tool_result" and b.get("tool_use_id") == "toolu_scripted_write" for b in last)
    assert not [r for r in anthropic_server.requests if r.method == "HEAD"], "non-essential traffic not disabled"
    assert elapsed < 30


def test_claude_write_outside_the_workspace_is_refused_yet_exits_0(claude_bin: Path, target_repo: Path) -> None:
    from .scripted_anthropic import AnthropicScript, start_scripted_anthropic

    escape = target_repo / "ESCAPE.md"
    server = start_scripted_anthropic(CANARY_KEY, AnthropicScript(absolute_path=str(escape)))
    try:
        adapter, task = ClaudeAdapter(), _Task()
        asset = _asset(claude_bin, server)
        with isolated_workspace(target_repo) as ws:
            env = {"PATH": "/usr/bin:/bin", **adapter.build_env(asset, task, ws), **asset.env,
                   "ANTHROPIC_API_KEY": CANARY_KEY}
            result = run_process(ProcessSpec(
                argv=adapter.build_argv(asset, task, ws), cwd=ws.path, env=env, redact=[CANARY_KEY],
                timeout_s=asset.timeout_s, parse_line=adapter.parse_line, final_message=adapter.final_message,
            ))
            diff = ws.diff()
    finally:
        server.stop()
    assert result.exit_code == 0 and result.events[-1]["is_error"] is False  # refused, yet "success"
    assert not escape.exists() and diff == ""
    denied = [e for e in result.events if e["type"] == "permission_denied"]
    assert denied and denied[0]["tool"] == "Write"
