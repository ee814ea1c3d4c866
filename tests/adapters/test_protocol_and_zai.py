"""The adapter registry, the workspace-CLI template, and the zai preset over a stand-in `claude` program."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from fractalops.adapters.protocol import AdapterTask, ProcessAdapter, adapter_for, adapter_kinds
from fractalops.adapters.run import run_asset
from fractalops.adapters.workspace import Workspace
from fractalops.adapters.workspace_cli import WorkspaceCliAdapter
from fractalops.adapters.zai import ZAI_DEFAULT_BASE_URL, ZaiAdapter
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError, ConfigError, UnknownNameError

ZAI_REF = "openbao://kv/tests/zai#api_key"
ZAI_TOKEN = "zai-token-4b8e1c2d9f"


def test_registry_kinds_and_protocol() -> None:
    assert {"workspace_cli", "codex", "claude", "zai"} <= set(adapter_kinds())
    for kind in ("workspace_cli", "codex", "claude", "zai"):
        adapter = adapter_for(kind)
        assert adapter.kind == kind
        assert isinstance(adapter, ProcessAdapter)
    with pytest.raises(UnknownNameError, match="native"):
        adapter_for("native")


def test_task_is_frozen_json() -> None:
    task = AdapterTask(intent="i", changes=[{"path": "a", "content": "b"}])
    assert isinstance(task.changes, tuple)
    assert json.loads(task.to_json())["changes"] == [{"path": "a", "content": "b"}]
    with pytest.raises(AttributeError):
        task.intent = "other"  # type: ignore[misc]


def test_workspace_cli_template(tmp_path: Path) -> None:
    asset = RuntimeAsset(asset_id="t", role="r", kind="workspace_cli",
                         command=["{python}", "{workspace}/x", "--task={task_file}", "{prompt}", "{intent}", "{other}"])
    ws = Workspace(path=tmp_path, target=tmp_path, base_commit="0" * 40, task_file=tmp_path / "task.json")
    argv = WorkspaceCliAdapter().build_argv(asset, AdapterTask(intent="do it", prompt="the prompt"), ws)
    assert argv == [sys.executable, f"{tmp_path}/x", f"--task={tmp_path}/task.json", "the prompt", "do it", "{other}"]
    adapter = WorkspaceCliAdapter()
    assert adapter.parse_line("not json") == {"type": "output", "text": "not json"}
    assert adapter.parse_line('{"type": "done", "message": "m"}') == {"type": "done", "message": "m", "text": "m"}
    assert adapter.parse_line("   ") is None


def _zai_asset(command: list[str], **kw) -> RuntimeAsset:
    data = {"asset_id": "zai.test", "role": "zai", "kind": "zai", "command": command,
            "env": {"ANTHROPIC_MODEL": "glm-4.6"}, "secrets": {"ANTHROPIC_AUTH_TOKEN": ZAI_REF},
            "timeout_s": 20, "env_allow": ["PATH"]}
    data.update(kw)
    return RuntimeAsset.model_validate(data)


def test_zai_maps_onto_claude(tmp_path: Path) -> None:
    adapter = ZaiAdapter()
    ws = Workspace(path=tmp_path / "checkout", target=tmp_path, base_commit="0" * 40)
    (tmp_path / "checkout").mkdir()
    asset = _zai_asset(["claude"])
    argv = adapter.build_argv(asset, AdapterTask(intent="fix the bug"), ws)
    assert Path(argv[0]).name == "claude" and "-p" in argv and "stream-json" in argv
    assert argv[argv.index("--model") + 1] == "glm-4.6"
    env = adapter.build_env(asset, AdapterTask(intent="x"), ws)
    assert env["ANTHROPIC_BASE_URL"] == ZAI_DEFAULT_BASE_URL
    custom = _zai_asset(["claude"], env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9/api/anthropic"})
    assert adapter.build_env(custom, AdapterTask(intent="x"), ws)["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1")
    with pytest.raises(ConfigError, match="ANTHROPIC_AUTH_TOKEN"):
        adapter.build_argv(_zai_asset(["claude"], secrets={}), AdapterTask(intent="x"), ws)


FAKE_CLAUDE = """
    #!{python}
    # Stands in for Claude Code: stream-json out; 401 unless the bearer token is the expected one.
    import json, os, sys
    def out(obj): print(json.dumps(obj), flush=True)
    out({{"type": "system", "subtype": "init", "model": "glm-4.6", "session_id": "s",
         "claude_code_version": "fake", "permissionMode": "acceptEdits"}})
    token = os.environ.get("ANTHROPIC_AUTH_TOKEN")
    if token != {token!r} or "ANTHROPIC_API_KEY" in os.environ:
        out({{"type": "result", "subtype": "success", "is_error": True, "api_error_status": 401,
             "result": "Invalid API key"}})
        sys.exit(0)  # Claude Code exits 0 even then
    with open("glm.txt", "w") as fh:
        fh.write(os.environ["ANTHROPIC_BASE_URL"] + " " + sys.argv[sys.argv.index("--model") + 1] + "\\n")
    out({{"type": "result", "subtype": "success", "is_error": False, "result": "done via " + token}})
    """


@pytest.fixture
def fake_claude(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "claude"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(FAKE_CLAUDE.format(python=sys.executable, token=ZAI_TOKEN)).lstrip())
    path.chmod(0o755)
    return path


def test_zai_end_to_end_with_token_and_base_url(tmp_path: Path, target_repo: Path, fake_claude: Path) -> None:
    backend = LocalSecretBackend(tmp_path / "s" / "local.json")
    backend.put(ZAI_REF, ZAI_TOKEN)
    asset = _zai_asset([str(fake_claude)], env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9/api/anthropic",
                                                "ANTHROPIC_MODEL": "glm-4.6"})
    run = run_asset(asset, AdapterTask(intent="write glm.txt"), target_repo, secrets_backend=backend)
    assert run.succeeded and run.changed_files == ["glm.txt"]
    assert "+http://127.0.0.1:9/api/anthropic glm-4.6" in run.diff
    assert run.result.final_message == "done via [REDACTED:ANTHROPIC_AUTH_TOKEN]"
    assert ZAI_TOKEN not in json.dumps(run.to_dict())


def test_zai_bad_token_is_access_blocked(tmp_path: Path, target_repo: Path, fake_claude: Path) -> None:
    backend = LocalSecretBackend(tmp_path / "s" / "local.json")
    backend.put(ZAI_REF, "wrong-token-value")
    asset = _zai_asset([str(fake_claude)])
    with pytest.raises(AccessBlockedError, match="zai") as info:
        run_asset(asset, AdapterTask(intent="x"), target_repo, secrets_backend=backend)
    assert info.value.missing == [ZAI_REF]
