"""`McpSession` against real servers (the `mcp` SDK server over stdio and streamable HTTP): calls, secrets at the
boundary, a scrubbed environment, and containment of a server that crashes, hangs or never finishes connecting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fractalops.adapters.mcp_session import McpEndpoint, McpSession
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import AccessBlockedError, McpServerError
from tests.adapters.mcp_servers.servers import (
    SDK_SERVER,
    alive,
    asset,
    http_sdk_server,
    notes,
    pids,
    sdk_entry,
)

TOKEN = "tok-canary-4c1d9e7a"
REF = "openbao://kv/fractalops/sdk#token"


def _text(result) -> str:
    return "".join(block.text for block in result.content)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"notes": tmp_path / "notes.txt", "pids": tmp_path / "pids.txt"}


def _stdio(files: dict[str, Path], timeout_s: float = 10, **extra) -> McpSession:
    entry = sdk_entry(files["notes"], timeout_s=timeout_s)
    entry["env"] = {**entry["env"], "PID_FILE": str(files["pids"])}
    return McpSession(McpEndpoint.for_asset(asset({**entry, **extra})))


def test_a_stdio_server_is_started_once_and_called_many_times(files):
    with _stdio(files) as session:
        assert _text(session.call("note", {"text": "first"})) == "1 note(s)"
        for _ in range(5):
            session.call("peek", {})
        assert session.server_info.name == "fractalops-test-server"
    assert notes(files["notes"]) == ["first"] and len(pids(files["pids"])) == 1
    assert not alive(pids(files["pids"])[0]), "closing the session stops the server"


def test_secrets_are_resolved_at_the_boundary_and_the_host_environment_stays_out(files, tmp_path, monkeypatch):
    backend = LocalSecretBackend(tmp_path / "secrets")
    monkeypatch.setenv("SDK_SERVER_TOKEN", "host-value-never-passed")
    plain = asset(sdk_entry(files["notes"]))
    with McpSession(McpEndpoint.for_asset(plain, backend)) as session:
        assert _text(session.call("whoami", {})) == "(none)"  # not in env_allow: the host's value stays out
    secret = asset({**sdk_entry(files["notes"]), "secrets": {"SDK_SERVER_TOKEN": REF}})
    with pytest.raises(AccessBlockedError, match=f"lacks {REF}") as info:
        McpEndpoint.for_asset(secret, backend)
    assert info.value.missing == [REF]
    backend.put(REF, TOKEN)
    endpoint = McpEndpoint.for_asset(secret, backend)
    assert TOKEN not in repr(endpoint) and endpoint.redactor.redact(TOKEN) != TOKEN
    with McpSession(endpoint) as session:
        assert _text(session.call("whoami", {})) == TOKEN  # the server got it; what leaves is redacted by callers


def test_a_hanging_call_is_cut_at_the_timeout_and_the_server_is_stopped(files):
    with _stdio(files, timeout_s=1.5) as session:
        session.call("peek", {})
        first = pids(files["pids"])[0]
        started = time.monotonic()
        with pytest.raises(McpServerError, match=r"'sdk.mcp' gave no answer to a call of 'hang' within 1.5s") as info:
            session.call("hang", {})
        assert time.monotonic() - started < 1.5 + 5
        assert info.value.outcome_unknown and info.value.asset_id == "sdk.mcp"
        assert not alive(first), "the hung server's process is terminated"
        assert _text(session.call("note", {"text": "after"})) == "1 note(s)"  # the next call starts it again
        assert len(pids(files["pids"])) == 2


def test_a_crash_mid_call_fails_at_once_and_quotes_the_servers_stderr(files):
    with _stdio(files, timeout_s=30) as session:
        started = time.monotonic()
        with pytest.raises(McpServerError, match=r"failed during a call of 'crash'.*crashing on purpose") as info:
            session.call("crash", {})
        assert time.monotonic() - started < 10, "a closed connection is not waited out to the timeout"
        assert info.value.outcome_unknown
        assert _text(session.call("peek", {})) == ""


def test_a_server_that_never_finishes_connecting_is_stopped(files):
    mute = asset({**sdk_entry(files["notes"], timeout_s=1), "command": ["{python}", str(SDK_SERVER), "mute"]})
    mute = mute.model_copy(update={"env": {**mute.env, "PID_FILE": str(files["pids"])}})
    with McpSession(McpEndpoint.for_asset(mute)) as session:
        with pytest.raises(McpServerError, match="did not finish connecting within 1s") as info:
            session.call("note", {"text": "never sent"})
        assert not info.value.outcome_unknown, "nothing was sent: a connect failure is not an unknown outcome"
    assert notes(files["notes"]) == [] and not alive(pids(files["pids"])[0])


def test_a_command_that_does_not_exist_is_named(files):
    missing = asset({**sdk_entry(files["notes"]), "command": ["/nonexistent/mcp-server"]})
    with McpSession(McpEndpoint.for_asset(missing)) as session:
        with pytest.raises(McpServerError, match=r"'sdk.mcp' could not be connected: .*nonexistent"):
            session.call("note", {"text": "x"})


def test_streamable_http_calls_and_contains_a_hang(files):
    with http_sdk_server(files["notes"], SDK_SERVER_TOKEN="http-token") as url:
        entry = {"asset_id": "sdk.http", "kind": "mcp_server", "transport": "streamable_http", "url": url,
                 "timeout_s": 1.5}
        with McpSession(McpEndpoint.for_asset(asset(entry))) as session:
            assert _text(session.call("note", {"text": "over http"})) == "1 note(s)"
            assert _text(session.call("whoami", {})) == "http-token"
            with pytest.raises(McpServerError, match="gave no answer to a call of 'hang' within 1.5s") as info:
                session.call("hang", {})
            assert info.value.outcome_unknown
            assert _text(session.call("peek", {})) == "over http\n"  # reconnected
    assert notes(files["notes"]) == ["over http"]


def test_an_unreachable_http_server_is_a_connect_failure(files):
    entry = {"asset_id": "sdk.http", "kind": "mcp_server", "transport": "streamable_http",
             "url": "http://127.0.0.1:9/mcp", "timeout_s": 2}
    with McpSession(McpEndpoint.for_asset(asset(entry))) as session:
        with pytest.raises(McpServerError, match="'sdk.http' could not be connected") as info:
            session.call("note", {"text": "x"})
        assert not info.value.outcome_unknown
