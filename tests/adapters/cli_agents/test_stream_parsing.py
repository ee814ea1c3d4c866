"""The adapters' parsers on frozen stdout recorded from the real CLIs (codex 0.169.0, claude 2.1.328).

Fixtures were recorded against the scripted servers: `<cli>_success.jsonl` (writes NOTES.md) and
`<cli>_auth_401.jsonl` (wrong key → 401). A CLI upgrade that changes its stream shape shows up here first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fractalops.adapters.claude import ClaudeAdapter
from fractalops.adapters.codex import CodexAdapter
from fractalops.adapters.process import ProcessResult
from fractalops.adapters.protocol import AdapterTask, ProcessAdapter, adapter_for

FIXTURES = Path(__file__).with_name("fixtures")


def _result(adapter: Any, name: str, exit_code: int) -> ProcessResult:
    stdout = (FIXTURES / f"{name}.jsonl").read_text()
    events = [e for e in map(adapter.parse_line, stdout.splitlines()) if e is not None]
    return ProcessResult(exit_code=exit_code, timed_out=False, killed=False, stdout=stdout,
                         stderr=(FIXTURES / f"{name}.stderr").read_text(), truncated=False, events=events,
                         final_message=adapter.final_message(events, stdout))


@pytest.mark.parametrize("kind, cls", [("codex", CodexAdapter), ("claude", ClaudeAdapter)])
def test_registry_serves_the_adapters(kind: str, cls: type) -> None:
    adapter = adapter_for(kind)
    assert isinstance(adapter, cls) and isinstance(adapter, ProcessAdapter) and adapter.kind == kind


def test_claude_success_stream() -> None:
    result = _result(ClaudeAdapter(), "claude_success", 0)
    assert [e["type"] for e in result.events] == ["session", "tool_call", "tool_result", "message", "result"]
    assert result.events[0]["permission_mode"] == "acceptEdits"
    assert result.events[1] == {"type": "tool_call", "text": "Write /tmp/fixture-ws/checkout/NOTES.md",
                                "tools": ["Write"]}
    assert result.events[-1]["is_error"] is False and result.events[-1]["subtype"] == "success"
    assert result.final_message == "Wrote NOTES.md."
    assert ClaudeAdapter().classify_failure(result) is None


def test_claude_401_is_an_auth_failure_even_though_subtype_says_success() -> None:
    result = _result(ClaudeAdapter(), "claude_auth_401", 1)
    error = next(e for e in result.events if e["type"] == "error")
    assert error["status"] == 401 and error["error"] == "authentication_failed"
    assert result.events[-1]["subtype"] == "success" and result.events[-1]["is_error"] is True
    reason = ClaudeAdapter().classify_failure(result)
    assert reason is not None and "401" in reason and "Invalid API key" in reason


def test_codex_success_stream() -> None:
    adapter = CodexAdapter()
    result = _result(adapter, "codex_success", 0)
    kinds = [e["type"] for e in result.events]
    assert kinds == ["session", "warning", "turn", "tool_call", "tool_result", "message", "turn"]
    tool_result = result.events[4]
    assert tool_result["exit_code"] == 0 and "NOTES.md" in tool_result["command"]
    assert result.final_message == "Wrote NOTES.md."
    assert adapter.classify_failure(result) is None


def test_codex_401_is_an_auth_failure() -> None:
    result = _result(CodexAdapter(), "codex_auth_401", 1)
    assert [e["type"] for e in result.events][-2:] == ["error", "error"]  # `error` then `turn.failed`
    reason = CodexAdapter().classify_failure(result)
    assert reason is not None and "401 Unauthorized" in reason
    assert result.final_message == ""


@pytest.mark.parametrize("adapter", [CodexAdapter(), ClaudeAdapter()])
def test_noise_lines(adapter: Any) -> None:
    assert adapter.parse_line("") is None and adapter.parse_line("   \n") is None
    assert adapter.parse_line("not json") == {"type": "output", "text": "not json"}
    assert adapter.parse_line('{"type": "brand.new"}')["type"] == "brand.new"


def test_event_text_is_capped() -> None:
    event = ClaudeAdapter().parse_line('{"type":"result","result":"' + "x" * 10_000 + '"}')
    assert event is not None and len(event["text"]) < 4100 and event["text"].endswith("more chars]")


def test_argv_shapes(tmp_path: Path) -> None:
    from fractalops.armory.assets import RuntimeAsset

    ws = tmp_path / "checkout"
    ws.mkdir()
    task = AdapterTask(intent="add notes", changes=[{"path": "NOTES.md", "content": "hi"}])
    codex = RuntimeAsset(asset_id="c", role="c", kind="codex", command=["/bin/codex", "exec", "--full-auto"],
                         env={"CODEX_BASE_URL": "http://127.0.0.1:9/v1", "CODEX_MODEL": "m"})
    argv = CodexAdapter().build_argv(codex, task, ws)
    assert argv[:2] == ["/bin/codex", "exec"] and "--full-auto" not in argv  # 0.169 rejects --full-auto
    assert argv[argv.index("-C") + 1] == str(ws) and argv[argv.index("-s") + 1] == "workspace-write"
    assert 'model_providers.fractalops.base_url="http://127.0.0.1:9/v1"' in argv
    assert 'model_provider="fractalops"' in argv and argv[argv.index("-m") + 1] == "m"
    assert argv[-2] == "--" and "NOTES.md" in argv[-1] and "add notes" in argv[-1]
    assert not Path(argv[argv.index("-o") + 1]).is_relative_to(ws)  # the -o file stays out of the diff

    claude = RuntimeAsset(asset_id="a", role="a", kind="claude", command=["/bin/claude"],
                          env={"ANTHROPIC_MODEL": "claude-x"})
    argv = ClaudeAdapter().build_argv(claude, AdapterTask(intent="i", prompt="--do it"), ws)
    assert argv == ["/bin/claude", "-p", "--output-format", "stream-json", "--verbose",
                    "--permission-mode", "acceptEdits", "--model", "claude-x", "--", "--do it"]
    env = ClaudeAdapter().build_env(claude, task, ws)
    assert env["CLAUDE_CODE_MAX_RETRIES"] == "0" and env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert not Path(env["CLAUDE_CONFIG_DIR"]).is_relative_to(ws)


def _classify(adapter: Any, *lines: str) -> str | None:
    events = [e for e in map(adapter.parse_line, lines) if e is not None]
    return adapter.classify_failure(ProcessResult(exit_code=1, timed_out=False, killed=False, stdout="", stderr="",
                                                  truncated=False, events=events))


def test_missing_credentials_are_auth_failures_but_network_errors_are_not() -> None:
    # Lines measured from the real CLIs run with no key / against a closed port.
    codex, claude = CodexAdapter(), ClaudeAdapter()
    assert "CODEX_API_KEY" in (_classify(codex, '{"type":"error","message":"Missing environment variable: '
                                                '`CODEX_API_KEY`."}') or "")
    assert _classify(codex, '{"type":"error","message":"Reconnecting... waiting for network (Connection '
                            'failed: error sending request)"}') is None
    not_logged_in = ('{"type":"result","subtype":"success","is_error":true,'
                     '"result":"Not logged in · Please run /login"}')
    reason = _classify(claude, not_logged_in)
    assert reason is not None and "Not logged in" in reason and "401" not in reason
    refused = ('{"type":"result","subtype":"success","is_error":true,"result":"API Error: Connection refused '
               '— a firewall or proxy may be blocking it (ECONNREFUSED)"}')
    assert _classify(claude, refused) is None


def test_codex_refuses_an_unsandboxed_asset(tmp_path: Path) -> None:
    from fractalops.armory.assets import RuntimeAsset
    from fractalops.errors import ConfigError

    asset = RuntimeAsset(asset_id="c", role="c", kind="codex", command=["codex"],
                         env={"CODEX_SANDBOX": "danger-full-access"})
    with pytest.raises(ConfigError, match="CODEX_SANDBOX"):
        CodexAdapter().build_argv(asset, AdapterTask(intent="i"), tmp_path)


def test_bare_program_resolves_to_the_pinned_install_only_when_not_on_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from fractalops.adapters._stream_events import CLI_AGENTS_BIN_ENV, executable

    pinned, on_path = tmp_path / "pinned", tmp_path / "on_path"
    for d in (pinned, on_path):
        d.mkdir()
    (pinned / "codex").write_text("#!/bin/sh\n")
    (pinned / "codex").chmod(0o755)
    monkeypatch.setenv(CLI_AGENTS_BIN_ENV, str(pinned))
    monkeypatch.setenv("PATH", str(on_path))
    asset = SimpleNamespace(command=["codex", "exec", "--full-auto", "{prompt}"])
    assert executable(asset, "codex") == str(pinned / "codex")
    (on_path / "codex").write_text("#!/bin/sh\n")
    (on_path / "codex").chmod(0o755)
    assert executable(asset, "codex") == "codex"  # PATH wins; the spawn looks it up there
    assert executable(SimpleNamespace(command=["/opt/x/claude"]), "claude") == "/opt/x/claude"
