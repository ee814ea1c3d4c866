"""The real `claude` binary (Claude Code 2.1.328) against the scripted Messages server, through `run_asset`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError

from .conftest import CANARY_KEY, WRONG_KEY, TargetWatch, repo_snapshot
from .scripted_anthropic import AnthropicScript, ScriptedAnthropic, start_scripted_anthropic

SECRET_REF = "openbao://kv/test/anthropic#api_key"
TASK = AdapterTask(intent="add a notes file", prompt="Create NOTES.md saying hello.", thread_id="t-claude",
                   agent="forge")


def _asset(claude_bin: Path, server: ScriptedAnthropic) -> RuntimeAsset:
    return RuntimeAsset(
        asset_id="claude.test", role="claude", kind="claude", command=[str(claude_bin)],
        env={"ANTHROPIC_BASE_URL": server.base_url, "ANTHROPIC_MODEL": "claude-scripted"},
        secrets={"ANTHROPIC_API_KEY": SECRET_REF}, timeout_s=60,
    )


def test_claude_writes_a_file_and_the_diff_applies_to_the_target(
        claude_bin: Path, anthropic_server: ScriptedAnthropic, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    watch = TargetWatch(target_repo)
    run = run_asset(_asset(claude_bin, anthropic_server), TASK, target_repo, secrets_backend=secrets_backend,
                    on_event=watch)

    assert run.succeeded and run.changed_files == ["NOTES.md"]
    assert "+hello from scripted claude" in run.diff
    assert run.result.exit_code == 0 and run.result.final_message == "Wrote NOTES.md."
    assert watch.touched == [] and repo_snapshot(target_repo) == watch.before
    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=run.diff, text=True, check=True)

    kinds = [e["type"] for e in run.events]
    assert kinds == ["adapter_started", "session", "tool_call", "tool_result", "message", "result",
                     "adapter_finished"]
    assert run.events[2]["tools"] == ["Write"] and run.events[5]["is_error"] is False
    assert CANARY_KEY not in json.dumps(run.to_dict())

    posts = anthropic_server.posts("/v1/messages")
    assert [(r.method, r.path) for r in anthropic_server.requests] == [("POST", "/v1/messages?beta=true")] * 2
    assert anthropic_server.main_requests() == posts  # no tool-less side requests (title, quota, ...)
    assert all(r.headers["x-api-key"] == CANARY_KEY for r in posts)
    assert all(r.body["model"] == "claude-scripted" and r.body["stream"] is True for r in posts)
    assert "Write" in [t["name"] for t in posts[0].body["tools"]]
    assert "Primary working directory: " in json.dumps(posts[0].body)
    last = posts[1].body["messages"][-1]["content"]
    assert any(b.get("type") == "tool_result" and b.get("tool_use_id") == "toolu_scripted_write" for b in last)


def test_claude_canary_key_never_leaves_the_boundary(
        claude_bin: Path, target_repo: Path, secrets_backend: LocalSecretBackend) -> None:
    # The (scripted) model writes its own key into the file and echoes it in its answer.
    server = start_scripted_anthropic(CANARY_KEY, AnthropicScript(content=f"token={CANARY_KEY}\n",
                                                                  final_text=f"Done, key {CANARY_KEY}."))
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    seen: list[dict] = []
    try:
        run = run_asset(_asset(claude_bin, server), TASK, target_repo, secrets_backend=secrets_backend,
                        on_event=seen.append)
    finally:
        server.stop()
    assert run.succeeded and run.changed_files == ["NOTES.md"]
    assert "+token=[REDACTED" in run.diff and "[REDACTED" in run.result.final_message
    for blob in (json.dumps(run.to_dict()), json.dumps(seen), run.diff, run.result.final_message,
                 run.result.stdout, run.result.stderr):
        assert CANARY_KEY not in blob


def test_claude_wrong_key_is_access_blocked_naming_the_ref(
        claude_bin: Path, anthropic_server: ScriptedAnthropic, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    secrets_backend.put(SECRET_REF, WRONG_KEY)
    with pytest.raises(AccessBlockedError) as caught:
        run_asset(_asset(claude_bin, anthropic_server), TASK, target_repo, secrets_backend=secrets_backend)
    assert caught.value.missing == [SECRET_REF]
    assert "401" in str(caught.value) and WRONG_KEY not in str(caught.value)
    posts = anthropic_server.posts("/v1/messages")
    assert len(posts) == 1 and posts[0].headers["x-api-key"] == WRONG_KEY  # CLAUDE_CODE_MAX_RETRIES=0


def test_claude_missing_secret_is_access_blocked_before_spawn(
        claude_bin: Path, anthropic_server: ScriptedAnthropic, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    seen: list[dict] = []
    with pytest.raises(AccessBlockedError) as caught:
        run_asset(_asset(claude_bin, anthropic_server), TASK, target_repo, secrets_backend=secrets_backend,
                  on_event=seen.append)
    assert caught.value.missing == [SECRET_REF] and SECRET_REF in str(caught.value)
    assert seen == [] and anthropic_server.requests == []


def test_claude_write_outside_the_workspace_is_refused_yet_exits_0(
        claude_bin: Path, target_repo: Path, secrets_backend: LocalSecretBackend) -> None:
    escape = target_repo / "ESCAPE.md"
    server = start_scripted_anthropic(CANARY_KEY, AnthropicScript(absolute_path=str(escape)))
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    watch = TargetWatch(target_repo)
    try:
        run = run_asset(_asset(claude_bin, server), TASK, target_repo, secrets_backend=secrets_backend,
                        on_event=watch)
    finally:
        server.stop()
    assert run.result.exit_code == 0 and run.events[-2]["is_error"] is False  # refused, yet "success"
    assert not run.succeeded and run.diff == "" and not escape.exists() and watch.touched == []
    denied = [e for e in run.events if e["type"] == "permission_denied"]
    assert denied and denied[0]["tool"] == "Write"


def test_zai_preset_drives_claude_with_a_bearer_token(
        claude_bin: Path, anthropic_server: ScriptedAnthropic, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    # `zai` is the claude adapter with ANTHROPIC_AUTH_TOKEN (sent as `Authorization: Bearer`) and Z.ai's base URL.
    ref = "openbao://kv/test/zai#api_key"
    secrets_backend.put(ref, CANARY_KEY)
    asset = RuntimeAsset(
        asset_id="zai.test", role="zai", kind="zai", command=[str(claude_bin)],
        env={"ANTHROPIC_BASE_URL": anthropic_server.base_url, "ANTHROPIC_MODEL": "glm-scripted"},
        secrets={"ANTHROPIC_AUTH_TOKEN": ref}, timeout_s=60,
    )
    run = run_asset(asset, TASK, target_repo, secrets_backend=secrets_backend)
    assert run.succeeded and run.changed_files == ["NOTES.md"]
    posts = anthropic_server.posts("/v1/messages")
    assert len(posts) == 2 and all(r.headers["authorization"] == f"Bearer {CANARY_KEY}" for r in posts)
    assert all("x-api-key" not in r.headers for r in posts)
    assert CANARY_KEY not in json.dumps(run.to_dict())
