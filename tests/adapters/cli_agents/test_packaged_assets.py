"""The packaged Armory's `codex.default` and `claude.default` run as declared (bare program names, their own
argv templates ignored in favour of the adapters' pinned flags), pointed at the scripted servers by plain env."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.adapters._stream_events import CLI_AGENTS_BIN_ENV
from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.armory.assets import DEFAULT_ARMORY_PATH, load_armory
from fractalops.armory.secrets import LocalSecretBackend

from .conftest import CANARY_KEY

TASK = AdapterTask(intent="add a notes file", prompt="Create NOTES.md saying hello.", thread_id="t-pkg",
                   agent="forge")


@pytest.mark.parametrize("asset_id, server_fixture, env_key", [
    ("codex.default", "openai_server", "CODEX_BASE_URL"),
    ("claude.default", "anthropic_server", "ANTHROPIC_BASE_URL"),
])
def test_packaged_asset_runs_the_pinned_cli(
        asset_id: str, server_fixture: str, env_key: str, request: pytest.FixtureRequest,
        codex_bin: Path, claude_bin: Path, target_repo: Path, secrets_backend: LocalSecretBackend,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLI_AGENTS_BIN_ENV, str(codex_bin.parent))
    server = request.getfixturevalue(server_fixture)
    declared = load_armory(DEFAULT_ARMORY_PATH).asset(asset_id)
    assert "/" not in declared.command[0]  # a bare name, resolved to the pinned install
    base_url = f"{server.base_url}/v1" if env_key == "CODEX_BASE_URL" else server.base_url
    asset = declared.model_copy(update={"env": {**declared.env, env_key: base_url}, "timeout_s": 60})
    for ref in asset.secrets.values():
        secrets_backend.put(ref, CANARY_KEY)
    run = run_asset(asset, TASK, target_repo, secrets_backend=secrets_backend)
    assert run.succeeded and run.changed_files == ["NOTES.md"]
    assert run.result.final_message == "Wrote NOTES.md."
