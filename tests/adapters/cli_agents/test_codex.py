"""The real `codex` binary (0.169) against the scripted Responses server, through the codex adapter."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from fractalops.adapters.codex import CodexAdapter
from fractalops.adapters.process import ProcessSpec, run_process
from fractalops.adapters.workspace import isolated_workspace
from fractalops.armory.assets import RuntimeAsset

from .conftest import CANARY_KEY, repo_snapshot
from .scripted_openai import ScriptedOpenAI, function_call_outputs

SECRET_REF = "openbao://kv/test/codex#api_key"


@dataclass(frozen=True)
class _Task:
    intent: str = "add a notes file"
    prompt: str = "Create NOTES.md saying hello."
    thread_id: str = "t-codex"
    agent: str = "forge"
    changes: list[str] = field(default_factory=list)


def _asset(codex_bin: Path, server: ScriptedOpenAI) -> RuntimeAsset:
    return RuntimeAsset(
        asset_id="codex.test", role="codex", kind="codex", command=[str(codex_bin)],
        env={"CODEX_BASE_URL": f"{server.base_url}/v1", "CODEX_MODEL": "gpt-scripted"},
        secrets={"CODEX_API_KEY": SECRET_REF}, timeout_s=60,
    )


def test_codex_writes_a_file_in_its_workspace(codex_bin: Path, openai_server: ScriptedOpenAI, target_repo: Path,
                                              git_cmd) -> None:
    adapter, task = CodexAdapter(), _Task()
    asset = _asset(codex_bin, openai_server)
    before = repo_snapshot(target_repo)
    started = time.monotonic()
    with isolated_workspace(target_repo) as ws:
        env = {"PATH": "/usr/bin:/bin", **adapter.build_env(asset, task, ws), **asset.env, "CODEX_API_KEY": CANARY_KEY}
        result = run_process(ProcessSpec(
            argv=adapter.build_argv(asset, task, ws), cwd=ws.path, env=env, redact=[CANARY_KEY],
            timeout_s=asset.timeout_s, parse_line=adapter.parse_line, final_message=adapter.final_message,
        ))
        diff = ws.diff()
        last_message = adapter.read_last_message(ws)
        assert repo_snapshot(target_repo) == before, "the run touched the target repo"
    elapsed = time.monotonic() - started

    assert not result.timed_out, result.stderr
    assert "+++ b/NOTES.md" in diff and "+hello from scripted codex" in diff
    assert result.final_message == "Wrote NOTES.md." == last_message
    kinds = [e["type"] for e in result.events]
    assert kinds[0] == "session" and "tool_call" in kinds and "tool_result" in kinds and kinds[-1] == "turn"
    assert adapter.classify_failure(result) is None

    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=diff, text=True, check=True)
    for blob in (json.dumps(result.to_dict()), diff, result.final_message):
        assert CANARY_KEY not in blob

    posts = openai_server.response_requests()
    assert [r.path for r in posts] == ["/v1/responses", "/v1/responses"]
    assert all(r.headers["authorization"] == f"Bearer {CANARY_KEY}" for r in posts)
    assert "exec_command" in [t.get("name") for t in posts[0].body["tools"]]
    assert not function_call_outputs(posts[0].body)
    assert function_call_outputs(posts[1].body)[0]["call_id"] == "call_scripted_1"
    assert elapsed < 30


def test_codex_sandbox_refuses_writes_outside_the_workspace(codex_bin: Path, target_repo: Path) -> None:
    # The target repo lives under /tmp, which workspace-write opens by default; the adapter closes it.
    from .scripted_openai import OpenAIScript, start_scripted_openai

    escape = target_repo / "ESCAPE.md"
    server = start_scripted_openai(CANARY_KEY, OpenAIScript(command=f"printf x > {escape}; printf 'ok\\n' > NOTES.md"))
    try:
        adapter, task = CodexAdapter(), _Task()
        asset = _asset(codex_bin, server)
        before = repo_snapshot(target_repo)
        with isolated_workspace(target_repo) as ws:
            env = {"PATH": "/usr/bin:/bin", **adapter.build_env(asset, task, ws), **asset.env,
                   "CODEX_API_KEY": CANARY_KEY}
            result = run_process(ProcessSpec(
                argv=adapter.build_argv(asset, task, ws), cwd=ws.path, env=env, redact=[CANARY_KEY],
                timeout_s=asset.timeout_s, parse_line=adapter.parse_line, final_message=adapter.final_message,
            ))
            changed = ws.changed_files()
    finally:
        server.stop()
    assert result.exit_code == 0  # codex exits 0 although the command failed: judge by the diff
    assert not escape.exists() and repo_snapshot(target_repo) == before
    assert changed == ["NOTES.md"]
    tool_result = next(e for e in result.events if e["type"] == "tool_result")
    assert "Read-only file system" in tool_result["text"]
