from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.armory import load_armory
from fractalops.armory.secrets import LocalSecretBackend, Redactor, missing_secret_refs, resolve_asset_secrets
from fractalops.errors import AccessBlockedError


def test_resolves_env_names_to_values(tmp_path: Path) -> None:
    backend = LocalSecretBackend(tmp_path / "s.json")
    backend.put("openbao://kv/fractalops/zai#api_key", "zai-token-value")
    zai = load_armory().asset("zai.default")
    env = resolve_asset_secrets(zai, backend)
    assert env == {"ANTHROPIC_AUTH_TOKEN": "zai-token-value"}
    assert "zai-token-value" not in repr(env) and "zai-token-value" not in str(env)
    assert Redactor(env).redact("tok zai-token-value") == "tok [REDACTED:ANTHROPIC_AUTH_TOKEN]"


def test_missing_refs_block_access_naming_every_ref_and_the_fix(tmp_path: Path) -> None:
    backend = LocalSecretBackend(tmp_path / "s.json")
    asset = load_armory().asset("codex.default").model_copy(
        update={"secrets": {"CODEX_API_KEY": "openbao://kv/fractalops/codex#api_key",
                            "OTHER": "openbao://kv/fractalops/other#token"}}
    )
    with pytest.raises(AccessBlockedError) as info:
        resolve_asset_secrets(asset, backend)
    assert info.value.missing == ["openbao://kv/fractalops/codex#api_key", "openbao://kv/fractalops/other#token"]
    for ref in info.value.missing:
        assert f"fractalops secrets put {ref}" in str(info.value)
    assert "codex.default" in str(info.value)


def test_asset_without_secrets_resolves_to_empty(tmp_path: Path) -> None:
    assert resolve_asset_secrets(load_armory().asset("workspace.default"), LocalSecretBackend(tmp_path / "s")) == {}


def test_missing_secret_refs_for_launch_contract_checks(tmp_path: Path) -> None:
    backend = LocalSecretBackend(tmp_path / "s.json")
    claude = load_armory().asset("claude.default")
    assert missing_secret_refs(claude, backend) == ["openbao://kv/fractalops/anthropic#api_key"]
    backend.put("openbao://kv/fractalops/anthropic#api_key", "sk-ant-xyz")
    assert missing_secret_refs(claude, backend) == []
