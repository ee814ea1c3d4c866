"""forge's Deep Agent against scripted OpenAI and Anthropic endpoints, through the real provider clients.

Each test drives the real `langchain-openai` / `langchain-anthropic` client (streamed and plain) against a server on
127.0.0.1 that answers with scripted Deep Agents tool calls, and judges the run by the worktree's diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from fractalops.adapters.deep_agent import run_deep_agent
from fractalops.adapters.protocol import AdapterTask
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError, ModelRunError
from tests.adapters.cli_agents.conftest import repo_snapshot
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, PROVIDERS, model_asset, scripted_model
from tests.adapters.scripted_models import Call, ModelScript, Turn

TASK = AdapterTask(intent="add a health endpoint", prompt="Add src/health.py with a health() function.",
                   thread_id="t-model", agent="forge")
DEEP_AGENT_FILE_TOOLS = {"ls", "read_file", "write_file", "edit_file", "glob", "grep"}
BOTH = pytest.mark.parametrize("provider, stream", [(p, s) for p in PROVIDERS for s in (True, False)],
                               ids=[f"{p}-{'stream' if s else 'plain'}" for p in PROVIDERS for s in (True, False)])


@pytest.fixture
def backend(tmp_path: Path) -> LocalSecretBackend:
    store = LocalSecretBackend(tmp_path / "secrets" / "local.json")
    store.put(KEY_REF, CANARY_KEY)
    return store


def _write(path: str, content: str) -> Turn:
    return Turn(calls=(Call("write_file", {"file_path": path, "content": content}),))


def _tool_names(body: dict) -> set[str]:
    return {t.get("name") or t.get("function", {}).get("name") for t in body.get("tools") or []}


def _tool_results(body: dict) -> list[str]:
    """The tool results the client sent back, in either wire format."""
    out: list[str] = []
    for m in body.get("messages") or []:
        if m.get("role") == "tool":
            out.append(str(m.get("content")))
        elif isinstance(m.get("content"), list):
            out += [json.dumps(b.get("content")) for b in m["content"] if b.get("type") == "tool_result"]
    return out


@BOTH
def test_forge_writes_and_edits_files_through_the_deep_agents_tools(provider, stream, target_repo, backend):
    script = ModelScript(turns=[
        Turn(calls=(Call("read_file", {"file_path": "/src/app.py"}),), text="Looking at the app first."),
        _write("/src/health.py", "def health():\n    return 'ok'\n"),
        Turn(calls=(Call("edit_file", {"file_path": "/src/app.py", "old_string": "x = 1",
                                       "new_string": "from src.health import health\nx = 1"}),)),
    ], final_text="Added src/health.py and imported it in src/app.py.")
    before = repo_snapshot(target_repo)
    events: list[dict] = []
    with scripted_model(provider, script) as server:
        run = run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend,
                             on_event=events.append, stream=stream)
        requests = server.model_requests()

    assert run.changed_files == ["src/app.py", "src/health.py"]
    assert "+def health():" in run.diff and "+from src.health import health" in run.diff
    assert run.final_message == "Added src/health.py and imported it in src/app.py."
    assert run.usage["steps"] == 4 and run.usage["output_tokens"] == 40  # 4 calls x 10 reported tokens
    assert repo_snapshot(target_repo) == before  # the target is never written
    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=run.diff, text=True, check=True)

    assert len(requests) == 4 and all(bool(r.body.get("stream")) == stream for r in requests)
    assert DEEP_AGENT_FILE_TOOLS <= _tool_names(requests[0].body)
    assert "x = 1" in _tool_results(requests[1].body)[0]  # read_file answered with the worktree's file
    assert [e["tool"] for e in events if e["type"] == "tool_call"] == ["read_file", "write_file", "edit_file"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_path_outside_the_worktree_is_refused(provider, target_repo, backend, tmp_path, git_cmd):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, target_repo / "link")  # a committed symlink pointing out of the repo
    git_cmd(target_repo, "add", "link")
    git_cmd(target_repo, "commit", "-qm", "link")
    script = ModelScript(turns=[_write("/../escape.txt", "x"), _write("/link/escape.txt", "x"),
                                Turn(calls=(Call("read_file", {"file_path": "/../../../etc/hostname"}),))])
    with scripted_model(provider, script) as server:
        run = run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend)
        last = server.model_requests()[-1].body
    results = _tool_results(last)
    assert len(results) == 3 and all("traversal" in r.lower() or "outside root" in r.lower() for r in results), results
    assert run.diff == "" and run.changed_files == []
    assert list(outside.iterdir()) == [] and not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_step_budget_stops_the_run(provider, target_repo, backend):
    script = ModelScript(turns=[_write(f"/f{i}.txt", f"{i}\n") for i in range(10)])
    with scripted_model(provider, script) as server, pytest.raises(ModelRunError) as caught:
        run_deep_agent(model_asset(provider, server, max_steps=3), TASK, target_repo, secrets_backend=backend)
    assert caught.value.reason == "budget" and "3 model call(s)" in str(caught.value)
    assert len(server.model_requests()) == 3  # the fourth call is refused before it is sent


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_output_token_budget_counts_the_whole_run(provider, target_repo, backend):
    script = ModelScript(turns=[Turn(calls=(Call("ls", {"path": "/"}),), output_tokens=40) for _ in range(10)])
    with scripted_model(provider, script) as server, pytest.raises(ModelRunError) as caught:
        run_deep_agent(model_asset(provider, server, max_output_tokens=100), TASK, target_repo,
                       secrets_backend=backend)
    assert caught.value.reason == "budget" and "spent 120 output tokens" in str(caught.value)
    assert len(server.model_requests()) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_timeout_stops_a_model_that_hangs(provider, target_repo, backend):
    script = ModelScript(turns=[_write("/a.txt", "a\n"), Turn(text="late", delay_s=30)])
    started = time.monotonic()
    with scripted_model(provider, script) as server, pytest.raises(ModelRunError) as caught:
        run_deep_agent(model_asset(provider, server, timeout_s=1.5), TASK, target_repo, secrets_backend=backend)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 15  # the hung call gets only what is left of the run, never its 30 s
    assert len(server.model_requests()) == 2  # a timeout is not retried


@BOTH
def test_a_malformed_tool_call_is_answered_and_the_model_recovers(provider, stream, target_repo, backend):
    script = ModelScript(turns=[
        Turn(calls=(Call("write_file", '{"file_path": "/a.txt", "content": '),)),  # cut-off JSON
        Turn(calls=(Call("write_file", {"file_path": "/a.txt"}),)),  # valid JSON, missing argument
        _write("/a.txt", "fixed\n"),
    ])
    with scripted_model(provider, script) as server:
        run = run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend, stream=stream)
        results = _tool_results(server.model_requests()[-1].body)
    assert run.changed_files == ["a.txt"] and "+fixed" in run.diff
    assert len(results) == 3 and all("rror" in r for r in results[:2]), results


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_model_500_stops_the_run_with_a_model_error(provider, target_repo, backend):
    script = ModelScript(turns=[_write("/a.txt", "a\n"), Turn(status=500)])
    with scripted_model(provider, script) as server, pytest.raises(ModelRunError) as caught:
        run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend)
    assert caught.value.reason == "model_error" and "500" in str(caught.value)
    assert len(server.model_requests()) == 3  # one success, the failing call and its one retry


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_key_blocks_naming_the_ref(provider, target_repo, backend):
    with scripted_model(provider, ModelScript(), key="sk-other-key-000000") as server, \
            pytest.raises(AccessBlockedError) as caught:
        run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend)
    assert caught.value.missing == [KEY_REF] and CANARY_KEY not in str(caught.value)


def test_a_missing_key_blocks_before_any_call(target_repo, tmp_path):
    empty = LocalSecretBackend(tmp_path / "empty.json")
    with scripted_model("openai", ModelScript()) as server, pytest.raises(AccessBlockedError) as caught:
        run_deep_agent(model_asset("openai", server), TASK, target_repo, secrets_backend=empty)
    assert caught.value.missing == [KEY_REF] and server.requests == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_key_never_leaves_the_client_even_when_the_model_repeats_it(provider, target_repo, backend, git_cmd):
    (target_repo / "notes.txt").write_text(f"key={CANARY_KEY}\n")  # a file in the repo holding the key
    git_cmd(target_repo, "add", "notes.txt")
    git_cmd(target_repo, "commit", "-qm", "notes")
    script = ModelScript(turns=[
        Turn(calls=(Call("read_file", {"file_path": "/notes.txt"}),), text=f"I see {CANARY_KEY}"),
        _write("/leak.txt", f"token={CANARY_KEY}\n"),
    ], final_text=f"Done, the key is {CANARY_KEY}.")
    events: list[dict] = []
    with scripted_model(provider, script) as server:
        run = run_deep_agent(model_asset(provider, server), TASK, target_repo, secrets_backend=backend,
                             on_event=events.append)
        bodies = json.dumps([r.body for r in server.model_requests()])
    assert "+token=[REDACTED:api_key]" in run.diff and run.final_message == "Done, the key is [REDACTED:api_key]."
    assert CANARY_KEY not in json.dumps([run.diff, run.final_message, run.changed_files, events])
    # What the model was sent back (its own echoed text, the tool result) is redacted too; only headers carry it.
    assert CANARY_KEY not in bodies
