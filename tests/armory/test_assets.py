from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.armory import NATIVE_ASSET, load_armory
from fractalops.armory.assets import DEFAULT_ARMORY_PATH, RuntimeAsset
from fractalops.errors import AmbiguousNameError, ConfigError, UnknownNameError

from .conftest import asset


def test_default_armory_ships_the_required_assets() -> None:
    armory = load_armory()
    assert armory.source == DEFAULT_ARMORY_PATH.resolve()
    ws = armory.asset("workspace.default")
    assert (ws.role, ws.kind, ws.ceiling) == ("builder", "workspace_cli", "standard")
    assert ws.command == ["{python}", "-m", "fractalops.adapters.write_changes", "{task_file}"]
    assert armory.asset("codex.default").secrets == {"CODEX_API_KEY": "openbao://kv/fractalops/codex#api_key"}
    assert armory.asset("claude.default").secrets == {
        "ANTHROPIC_API_KEY": "openbao://kv/fractalops/anthropic#api_key"
    }
    zai = armory.asset("zai.default")
    assert zai.kind == "zai" and "ANTHROPIC_BASE_URL" in zai.env
    assert zai.secrets == {"ANTHROPIC_AUTH_TOKEN": "openbao://kv/fractalops/zai#api_key"}
    assert armory.bindings == {"forge": "workspace.default"}
    assert armory.bind("forge") is ws


def test_env_var_selects_the_file(write_armory, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_armory({"assets": [asset("only.one", "solo")], "bindings": {"forge": "solo"}})
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    armory = load_armory()
    assert armory.source == path.resolve()
    assert armory.bind("forge").asset_id == "only.one"


def test_unbound_agent_runs_native() -> None:
    armory = load_armory()
    assert armory.bind("atlas") is NATIVE_ASSET
    assert armory.bind("atlas").kind == "native"
    assert armory.bind("atlas", "native") is NATIVE_ASSET


def test_asset_id_beats_role_and_role_resolves_single_asset(write_armory) -> None:
    path = write_armory({"assets": [asset("builder", "x"), asset("b.two", "builder"), asset("c", "solo")]})
    armory = load_armory(path)
    assert armory.bind("forge", "builder").asset_id == "builder"  # exact id wins over role
    assert armory.bind("forge", "solo").asset_id == "c"


def test_run_bindings_override_defaults_and_unknown_selector_is_named() -> None:
    armory = load_armory()
    bound = armory.bindings_for({"forge": "codex", "quill": "claude.default"})
    assert bound["forge"].asset_id == "codex.default"
    assert bound["quill"].asset_id == "claude.default"
    assert armory.bindings_for(None) == {"forge": armory.asset("workspace.default")}
    with pytest.raises(UnknownNameError) as info:
        armory.bindings_for({"forge": "gpt-9"})
    message = str(info.value)
    assert "gpt-9" in message and "configurable.bindings['forge']" in message
    assert "codex.default" in message and "builder" in message  # the valid choices


def test_run_bindings_are_all_validated_up_front() -> None:
    armory = load_armory()
    with pytest.raises(ConfigError) as info:
        armory.bindings_for({"forge": "nope", "quill": "codex", "prism": "also-nope"})
    assert "nope" in str(info.value) and "also-nope" in str(info.value)
    assert len(info.value.errors) == 2
    with pytest.raises(ConfigError):
        armory.bindings_for(["forge"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        armory.bindings_for({"forge": 3})


def test_ambiguous_role_fails_at_bind_time(write_armory) -> None:
    path = write_armory({"assets": [asset("a.one", "reviewer"), asset("a.two", "reviewer")]})
    armory = load_armory(path)
    with pytest.raises(AmbiguousNameError) as info:
        armory.bind("prism", "reviewer")
    assert "a.one" in str(info.value) and "a.two" in str(info.value)
    assert "reviewer" not in armory.selectors()


def test_ambiguous_file_binding_fails_at_load(write_armory) -> None:
    path = write_armory(
        {"assets": [asset("a.one", "reviewer"), asset("a.two", "reviewer")], "bindings": {"prism": "reviewer"}}
    )
    with pytest.raises(AmbiguousNameError) as info:
        load_armory(path)
    assert str(path.resolve()) in str(info.value) and "bindings.prism" in str(info.value)


def test_unknown_file_binding_fails_at_load(write_armory) -> None:
    path = write_armory({"assets": [asset("a.one", "x")], "bindings": {"forge": "ghost"}})
    with pytest.raises(UnknownNameError) as info:
        load_armory(path)
    message = str(info.value)
    assert str(path.resolve()) in message and "bindings.forge" in message and "a.one" in message


def test_duplicate_asset_ids_fail_at_load(write_armory) -> None:
    path = write_armory({"assets": [asset("dup", "x"), asset("other", "y"), asset("dup", "z")]})
    with pytest.raises(ConfigError) as info:
        load_armory(path)
    message = str(info.value)
    assert str(path.resolve()) in message and "assets[2]" in message and "assets[0]" in message
    assert "'dup'" in message


def test_validation_error_names_file_entry_and_field(write_armory) -> None:
    path = write_armory({"assets": [asset("fine", "x"), asset("broken", "y", kind="gpt", ceiling="godlike")]})
    with pytest.raises(ConfigError) as info:
        load_armory(path)
    message = str(info.value)
    assert str(path.resolve()) in message and "assets[1]" in message and "'broken'" in message
    assert "kind" in message and "ceiling" in message


def test_missing_required_field_names_the_index(write_armory) -> None:
    path = write_armory({"assets": [{"role": "x", "kind": "codex"}]})
    with pytest.raises(ConfigError, match=r"assets\[0\].*asset_id"):
        load_armory(path)


def test_unknown_field_is_rejected(write_armory) -> None:
    path = write_armory({"assets": [asset("a", "x", timeout=5)]})
    with pytest.raises(ConfigError, match=r"assets\[0\] \(asset_id 'a'\).*timeout"):
        load_armory(path)


def test_bad_yaml_names_file_and_line(write_armory) -> None:
    path = write_armory("assets:\n  - asset_id: a\n    role: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_armory(path)
    assert str(path.resolve()) in str(info.value) and "line" in str(info.value)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FRACTALOPS_ARMORY"):
        load_armory(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "entry, fragment",
    [
        (asset("a", "x", secrets={"KEY": "vault://kv/a#b"}), "malformed secret ref"),
        (asset("a", "x", secrets={"bad-name": "openbao://kv/a#b"}), "environment variable name"),
        (asset("a", "x", env={"TOKEN": "openbao://kv/a#b"}), "move it to `secrets:`"),
        (asset("a", "x", env={"K": "v"}, secrets={"K": "openbao://kv/a#b"}), "both `env` and `secrets`"),
        (asset("a", "x", workdir="in_place"), "workdir"),
        (asset("a", "x", timeout_s=0), "timeout_s"),
        ({"asset_id": "a", "role": "x", "kind": "workspace_cli"}, "needs a `command`"),
    ],
)
def test_asset_field_rules(write_armory, entry: dict, fragment: str) -> None:
    path = write_armory({"assets": [entry]})
    with pytest.raises(ConfigError) as info:
        load_armory(path)
    assert fragment in str(info.value)
    assert "assets[0]" in str(info.value)


def test_runtime_asset_defaults_and_refs() -> None:
    a = RuntimeAsset(asset_id="x", role="r", kind="claude", secrets={"B": "openbao://kv/p/q#f", "A": "openbao://kv/a#z"})
    assert a.workdir == "isolated_worktree" and a.ceiling == "standard" and "PATH" in a.env_allow
    assert [str(r) for r in a.secret_refs()] == ["openbao://kv/a#z", "openbao://kv/p/q#f"]


def test_default_armory_declares_a_chat_model() -> None:
    model = load_armory().asset("model.default")
    assert (model.kind, model.role, model.model) == ("chat_model", "model", "openai:gpt-4.1-mini")
    assert model.secrets == {"api_key": "openbao://kv/fractalops/openai#api_key"}
    assert (model.max_steps, model.max_output_tokens, model.timeout_s, model.tools) == (40, 200000, 900, [])
    assert model.builds_from_intent


def test_which_kinds_build_from_an_intent() -> None:
    armory = load_armory()
    assert {a.asset_id: a.builds_from_intent for a in armory.assets} == {
        "workspace.default": False, "codex.default": True, "claude.default": True, "zai.default": True,
        "model.default": True}
    assert not NATIVE_ASSET.builds_from_intent


@pytest.mark.parametrize("entry, fragment", [
    ({"model": "gpt-4.1-mini"}, "must be an init_chat_model id `provider:model`"),
    ({"model": "openai:x", "secrets": {"OPENAI_API_KEY": "openbao://kv/a#b"}}, "takes one secret, `api_key`"),
    ({"model": "openai:x", "command": ["x"]}, "takes no `command`"),
    ({"model": "openai:x", "base_url": "ftp://x"}, "must be an http(s) URL"),
    ({"model": "openai:x", "max_steps": 0}, "max_steps"),
    ({"model": "openai:x", "max_output_tokens": -1}, "max_output_tokens"),
])
def test_chat_model_field_rules(write_armory, entry: dict, fragment: str) -> None:
    path = write_armory({"assets": [{"asset_id": "m.x", "role": "model", "kind": "chat_model", **entry}]})
    with pytest.raises(ConfigError) as caught:
        load_armory(path)
    assert fragment in str(caught.value) and "assets[0] (asset_id 'm.x')" in str(caught.value)


def test_model_fields_belong_to_chat_models_only(write_armory) -> None:
    path = write_armory({"assets": [asset("codex.x", "codex", kind="codex", command=["codex"], model="openai:x",
                                          max_steps=3)]})
    with pytest.raises(ConfigError) as caught:
        load_armory(path)
    assert "model, max_steps only apply to kind chat_model, not codex" in str(caught.value)
