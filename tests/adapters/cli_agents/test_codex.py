"""The real `codex` binary (0.169.0) against the scripted Responses server, through `run_asset`."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError, AdapterTimeoutError

from .conftest import CANARY_KEY, WRONG_KEY, TargetWatch, repo_snapshot
from .scripted_openai import OpenAIScript, ScriptedOpenAI, function_call_outputs, start_scripted_openai

SECRET_REF = "openbao://kv/test/codex#api_key"
TASK = AdapterTask(intent="add a notes file", prompt="Create NOTES.md saying hello.", thread_id="t-codex",
                   agent="forge")


def _asset(codex_bin: Path, server: ScriptedOpenAI, timeout_s: float = 60) -> RuntimeAsset:
    return RuntimeAsset(
        asset_id="codex.test", role="codex", kind="codex", command=[str(codex_bin)],
        env={"CODEX_BASE_URL": f"{server.base_url}/v1", "CODEX_MODEL": "gpt-scripted"},
        secrets={"CODEX_API_KEY": SECRET_REF}, timeout_s=timeout_s,
    )


@pytest.fixture
def leaky_server() -> Iterator[ScriptedOpenAI]:
    # The model tries to copy its own key into the workspace: the adapter keeps it out of the commands' env.
    command = "printf 'hello from scripted codex\\n' > NOTES.md; printf 'key=%s\\n' \"$CODEX_API_KEY\" > LEAK.txt"
    server = start_scripted_openai(CANARY_KEY, OpenAIScript(command=command))
    yield server
    server.stop()


def test_codex_writes_a_file_and_the_diff_applies_to_the_target(
        codex_bin: Path, openai_server: ScriptedOpenAI, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    watch = TargetWatch(target_repo)
    run = run_asset(_asset(codex_bin, openai_server), TASK, target_repo, secrets_backend=secrets_backend,
                    on_event=watch)

    assert run.succeeded and run.changed_files == ["NOTES.md"]
    assert "+hello from scripted codex" in run.diff
    assert run.result.final_message == "Wrote NOTES.md."
    assert watch.touched == [] and repo_snapshot(target_repo) == watch.before
    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=run.diff, text=True, check=True)

    kinds = [e["type"] for e in run.events]
    assert kinds[0] == "adapter_started" and kinds[-1] == "adapter_finished"
    assert {"session", "tool_call", "tool_result", "message"} <= set(kinds)
    assert [e["seq"] for e in watch.events] == list(range(len(run.events)))
    assert CANARY_KEY not in json.dumps(run.to_dict())

    posts = openai_server.response_requests()
    assert [r.path for r in openai_server.requests] == ["/v1/responses", "/v1/responses"]
    assert all(r.headers["authorization"] == f"Bearer {CANARY_KEY}" for r in posts)
    assert all(r.body["model"] == "gpt-scripted" and r.body["stream"] is True for r in posts)
    assert "exec_command" in [t.get("name") for t in posts[0].body["tools"]]
    assert not function_call_outputs(posts[0].body)
    assert function_call_outputs(posts[1].body)[0]["call_id"] == "call_scripted_1"


def test_codex_canary_key_never_leaves_the_boundary(
        codex_bin: Path, leaky_server: ScriptedOpenAI, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    seen: list[dict] = []
    run = run_asset(_asset(codex_bin, leaky_server), TASK, target_repo, secrets_backend=secrets_backend,
                    on_event=seen.append)
    assert run.succeeded and run.changed_files == ["LEAK.txt", "NOTES.md"]
    assert "+key=\n" in run.diff and "REDACTED" not in run.diff  # never reached the shell, not just redacted
    for blob in (json.dumps(run.to_dict()), json.dumps(seen), run.diff, run.result.final_message,
                 run.result.stdout, run.result.stderr):
        assert CANARY_KEY not in blob


def test_codex_wrong_key_is_access_blocked_naming_the_ref(
        codex_bin: Path, openai_server: ScriptedOpenAI, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    secrets_backend.put(SECRET_REF, WRONG_KEY)
    with pytest.raises(AccessBlockedError) as caught:
        run_asset(_asset(codex_bin, openai_server), TASK, target_repo, secrets_backend=secrets_backend)
    assert caught.value.missing == [SECRET_REF]
    assert "401" in str(caught.value) and WRONG_KEY not in str(caught.value)
    posts = openai_server.response_requests()
    assert len(posts) == 1 and posts[0].headers["authorization"] == f"Bearer {WRONG_KEY}"


def test_codex_missing_secret_is_access_blocked_before_spawn(
        codex_bin: Path, openai_server: ScriptedOpenAI, target_repo: Path,
        secrets_backend: LocalSecretBackend) -> None:
    seen: list[dict] = []
    with pytest.raises(AccessBlockedError) as caught:
        run_asset(_asset(codex_bin, openai_server), TASK, target_repo, secrets_backend=secrets_backend,
                  on_event=seen.append)
    assert caught.value.missing == [SECRET_REF] and SECRET_REF in str(caught.value)
    assert seen == [] and openai_server.requests == []


def test_codex_sandbox_refuses_writes_outside_the_workspace(
        codex_bin: Path, target_repo: Path, secrets_backend: LocalSecretBackend) -> None:
    # The target repo lives under /tmp, which workspace-write opens by default; the adapter closes it.
    escape = target_repo / "ESCAPE.md"
    server = start_scripted_openai(CANARY_KEY, OpenAIScript(command=f"printf x > {escape}; printf 'ok\\n' > NOTES.md"))
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    watch = TargetWatch(target_repo)
    try:
        run = run_asset(_asset(codex_bin, server), TASK, target_repo, secrets_backend=secrets_backend,
                        on_event=watch)
    finally:
        server.stop()
    assert run.result.exit_code == 0  # codex exits 0 although the command failed: judge by the diff
    assert not escape.exists() and watch.touched == [] and repo_snapshot(target_repo) == watch.before
    assert run.changed_files == ["NOTES.md"]
    tool_result = next(e for e in run.events if e["type"] == "tool_result")
    assert "Read-only file system" in tool_result["text"]


def test_codex_never_gives_up_on_an_unreachable_model_so_the_timeout_ends_it(
        codex_bin: Path, target_repo: Path, secrets_backend: LocalSecretBackend) -> None:
    # Measured: with request/stream retries at 0 codex still loops "Reconnecting... waiting for network".
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    asset = RuntimeAsset(
        asset_id="codex.test", role="codex", kind="codex", command=[str(codex_bin)],
        env={"CODEX_BASE_URL": f"http://127.0.0.1:{closed_port}/v1", "CODEX_MODEL": "gpt-scripted"},
        secrets={"CODEX_API_KEY": SECRET_REF}, timeout_s=3,
    )
    secrets_backend.put(SECRET_REF, CANARY_KEY)
    with pytest.raises(AdapterTimeoutError) as caught:
        run_asset(asset, TASK, target_repo, secrets_backend=secrets_backend)
    run = caught.value.run
    assert run.result.timed_out and run.result.killed and not run.succeeded
    assert any("waiting for network" in e.get("text", "") for e in run.events)
    assert run.result.duration_s < 10
