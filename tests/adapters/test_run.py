"""`run_asset` end to end with real processes, a real local secret backend and a real git target."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError, AdapterTimeoutError

CANARY = "cnry-5e1f0a9d-b7c2-4d3e"
CANARY_REF = "openbao://kv/tests/canary#value"
ALLOW = ["PATH", "LANG", "LC_ALL", "HOME", "TMPDIR"]


@pytest.fixture
def backend(tmp_path: Path) -> LocalSecretBackend:
    b = LocalSecretBackend(tmp_path / "secrets" / "local.json")
    b.put(CANARY_REF, CANARY)
    return b


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def _asset(command: list[str], **kw) -> RuntimeAsset:
    data = {"asset_id": "test.cli", "role": "tester", "kind": "workspace_cli", "command": command,
            "timeout_s": 20, "output_cap_bytes": 100_000, "env_allow": ALLOW}
    data.update(kw)
    return RuntimeAsset.model_validate(data)


def _head_and_status(repo: Path, git_cmd) -> tuple[str, str]:
    return git_cmd(repo, "rev-parse", "HEAD"), git_cmd(repo, "status", "--porcelain", "--ignored")


def test_default_builder_diff_applies_and_target_untouched(target_repo: Path, git_cmd) -> None:
    from fractalops.armory.assets import load_armory

    asset = load_armory().asset("workspace.default")
    before = _head_and_status(target_repo, git_cmd)
    events: list[dict] = []
    task = AdapterTask(intent="add a module", thread_id="t-1", agent="forge",
                       changes=[{"path": "src/new.py", "content": "print('hi')\n"},
                                {"path": "README.md", "content": "hello\nagain\n"}])
    run = run_asset(asset, task, target_repo, on_event=events.append)
    assert run.succeeded and run.failure_reason is None
    assert run.changed_files == ["README.md", "src/new.py"]  # the task file is never in the diff
    assert run.base_commit == before[0].strip()
    assert [e["type"] for e in events] == ["adapter_started", "file_written", "file_written", "done",
                                           "adapter_finished"]
    assert [e["seq"] for e in events] == list(range(5)) and events == run.events
    assert all(e["asset_id"] == "workspace.default" for e in events)
    assert run.result.final_message.startswith("wrote 2 file(s)")
    assert _head_and_status(target_repo, git_cmd) == before
    subprocess.run(["git", "apply", "--index", "-"], cwd=target_repo, input=run.diff.encode(), check=True)
    assert (target_repo / "src" / "new.py").read_text() == "print('hi')\n"
    json.dumps(run.to_dict())  # the run is plain JSON for the lead


def test_refused_write_exit_code_is_not_success(target_repo: Path) -> None:
    from fractalops.armory.assets import load_armory

    asset = load_armory().asset("workspace.default")
    run = run_asset(asset, AdapterTask(intent="escape", changes=[{"path": "../x", "content": "x"}]), target_repo)
    assert not run.succeeded and run.diff == ""
    assert "escapes the workspace" in (run.failure_reason or "")
    noop = _asset(["true"])
    run = run_asset(noop, AdapterTask(intent="nothing"), target_repo)
    assert run.result.exit_code == 0 and not run.succeeded


CANARY_BODY = """
    import json, os, sys
    secret = os.environ["CANARY"]
    for ch in secret:  # one byte per write: the secret is split across many pipe reads
        sys.stdout.write(ch); sys.stdout.flush()
    sys.stdout.write("\\n")
    for ch in secret:
        sys.stderr.write(ch); sys.stderr.flush()
    print(json.dumps({"type": "leak", "text": "token " + secret, "nested": {secret: [secret]}}), flush=True)
    print(json.dumps({"type": "done", "message": "final " + secret}), flush=True)
    with open("leaked.txt", "w") as fh:
        fh.write("key=" + secret + "\\n")
    with open("blob.bin", "wb") as fh:
        fh.write(bytes(range(256)) + secret.encode() + b"\\0" * 64)
    with open("name-" + secret + ".txt", "w") as fh:
        fh.write("named\\n")
    sys.stdout.write("y" * 300000 + secret)  # past the output cap
    """


def test_canary_secret_never_leaves(tmp_path: Path, target_repo: Path, backend, git_cmd) -> None:
    script = _script(tmp_path, "canary.py", CANARY_BODY)
    asset = _asset([sys.executable, str(script)], secrets={"CANARY": CANARY_REF})
    seen: list[dict] = []
    run = run_asset(asset, AdapterTask(intent="leak it"), target_repo, secrets_backend=backend,
                    on_event=seen.append)
    assert run.succeeded
    everything = json.dumps(run.to_dict()) + repr(run) + json.dumps(seen)
    assert CANARY not in everything
    assert "[REDACTED:CANARY]" in run.result.stdout
    assert "[REDACTED:CANARY]" in run.result.stderr
    assert run.result.final_message == "final [REDACTED:CANARY]"
    assert "name-[REDACTED:CANARY].txt" in run.changed_files
    # Binary hunks are base85: prove the applied diff carries no canary bytes either.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(target_repo), str(clone)], check=True)
    subprocess.run(["git", "apply", "-"], cwd=clone, input=run.diff.encode(), check=True)
    for path in clone.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert CANARY.encode() not in path.read_bytes(), path
    assert (clone / "leaked.txt").read_text() == "key=[REDACTED:CANARY]\n"


def test_env_is_scrubbed_through_run_asset(tmp_path: Path, target_repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_SHOULD_NOT_PASS", "nope")
    monkeypatch.setenv("LANG", "C.UTF-8")
    script = _script(tmp_path, "env.py", """
        import json, os
        print(json.dumps({"type": "env", "env": dict(os.environ)}))
        """)
    asset = _asset([sys.executable, str(script)], env={"PLAIN": "v"})
    run = run_asset(asset, AdapterTask(intent="env"), target_repo)
    [event] = [e for e in run.events if e["type"] == "env"]
    env = event["env"]
    assert "FRACTALOPS_SHOULD_NOT_PASS" not in env
    assert env["LANG"] == "C.UTF-8" and env["PLAIN"] == "v"
    assert env["HOME"] != str(Path.home()) and "fractalops-run-" in env["HOME"]
    assert not Path(env["HOME"]).exists()


def test_missing_secret_blocks_before_launch(tmp_path: Path, target_repo: Path) -> None:
    marker = tmp_path / "launched"
    asset = _asset(["touch", str(marker)], secrets={"CANARY": "openbao://kv/tests/absent#value"})
    empty = LocalSecretBackend(tmp_path / "empty" / "local.json")
    with pytest.raises(AccessBlockedError) as info:
        run_asset(asset, AdapterTask(intent="x"), target_repo, secrets_backend=empty)
    assert info.value.missing == ["openbao://kv/tests/absent#value"]
    assert not marker.exists()


def test_auth_failure_raises_access_blocked(tmp_path: Path, target_repo: Path, backend) -> None:
    script = _script(tmp_path, "auth.py", """
        import os, sys
        sys.stderr.write("error: 401 Unauthorized: invalid api key " + os.environ["CANARY"] + "\\n")
        sys.exit(1)
        """)
    asset = _asset([sys.executable, str(script)], secrets={"CANARY": CANARY_REF})
    with pytest.raises(AccessBlockedError) as info:
        run_asset(asset, AdapterTask(intent="x"), target_repo, secrets_backend=backend)
    assert info.value.missing == [CANARY_REF]
    assert CANARY not in str(info.value) and "401" in str(info.value)


def test_timeout_is_a_failure_after_cleanup(target_repo: Path, git_cmd) -> None:
    asset = _asset(["sh", "-c", "echo started; sleep 1000"], timeout_s=1)
    with pytest.raises(AdapterTimeoutError, match="hit its timeout") as info:
        run_asset(asset, AdapterTask(intent="hang"), target_repo)
    run = info.value.run
    assert run.result.timed_out and not run.succeeded
    assert run.result.stdout.strip() == "started"
    assert git_cmd(target_repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_isolated_copy_mode(target_repo: Path, git_cmd) -> None:
    asset = _asset(["sh", "-c", "echo new > copy.txt"], workdir="isolated_copy")
    run = run_asset(asset, AdapterTask(intent="copy"), target_repo)
    assert run.changed_files == ["copy.txt"]
    assert not (target_repo / "copy.txt").exists()
    assert git_cmd(target_repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_concurrent_launches_on_one_target(target_repo: Path, git_cmd) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from fractalops.armory.assets import load_armory

    asset = load_armory().asset("workspace.default")

    def one(i: int) -> list[str]:
        task = AdapterTask(intent=f"t{i}", changes=[{"path": f"f{i}.txt", "content": f"{i}\n"}])
        return run_asset(asset, task, target_repo).changed_files

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(8)))
    assert results == [[f"f{i}.txt"] for i in range(8)]
    assert git_cmd(target_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git_cmd(target_repo, "status", "--porcelain") == ""
