"""Where the CLI finds its server and key (`fractalops.cli._config`), in order, and what it says when it cannot."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from fractalops.cli import _config
from fractalops.cli._errors import CliError

LOCAL = "http://127.0.0.1:2024"


@pytest.fixture(autouse=True)
def _flag_reset():
    _config.set_url_flag(None)
    yield
    _config.set_url_flag(None)


def _data_dir_key(data_dir: Path, *keys: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "api_keys.json").write_text(json.dumps({k: {"identity": k, "roles": []} for k in keys}))


def test_url_order_flag_env_config_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config.server_url() == _config.Found(LOCAL, "default")
    _config.store_login("http://config.example:1", "k1")
    assert _config.server_url() == _config.Found("http://config.example:1", str(_config.config_path()))
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", "http://env.example:2/")
    assert _config.server_url() == _config.Found("http://env.example:2", "FRACTALOPS_SERVER_URL")
    _config.set_url_flag("http://flag.example:3")
    assert _config.server_url() == _config.Found("http://flag.example:3", "--url")


def test_key_order_env_config_then_a_local_servers_single_key(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _data_dir_key(data_dir, "from-data-dir")
    assert _config.api_key(LOCAL) == _config.Found("from-data-dir", str(data_dir / "api_keys.json"))
    _config.store_login(LOCAL, "from-config")
    assert _config.api_key(LOCAL) == _config.Found("from-config", str(_config.config_path()))
    monkeypatch.setenv("LANGGRAPH_API_KEY", "from-langgraph-env")
    assert _config.api_key(LOCAL).source == "LANGGRAPH_API_KEY"
    monkeypatch.setenv("FRACTALOPS_API_KEY", "from-env")
    assert _config.api_key(LOCAL) == _config.Found("from-env", "FRACTALOPS_API_KEY")


def test_a_stored_key_goes_only_to_its_own_server(data_dir: Path) -> None:
    _config.store_login("http://a.example:1", "key-a")
    with pytest.raises(CliError) as refused:
        _config.api_key("http://b.example:1")
    assert "no key for http://b.example:1" in refused.value.message
    assert _config.api_key("http://a.example:1").value == "key-a"


def test_the_data_dir_key_is_used_only_for_a_server_on_this_machine(data_dir: Path) -> None:
    _data_dir_key(data_dir, "local-dev-key")
    assert _config.api_key("http://localhost:9999").value == "local-dev-key"
    with pytest.raises(CliError) as refused:
        _config.api_key("http://remote.example:2024")
    assert "not used: http://remote.example:2024 is not on this machine" in refused.value.message
    _data_dir_key(data_dir, "one", "two")
    with pytest.raises(CliError, match="2 keys, not one"):
        _config.api_key(LOCAL)


def test_the_server_key_table_env_counts_as_the_data_dir_table(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_API_KEYS", json.dumps({"env-table-key": {"identity": "x", "roles": []}}))
    assert _config.api_key(LOCAL) == _config.Found("env-table-key", "FRACTALOPS_API_KEYS")


def test_no_key_names_every_place_in_order(data_dir: Path) -> None:
    with pytest.raises(CliError) as missing:
        _config.api_key(LOCAL)
    message, error_type = missing.value.message, missing.value.error_type
    places = ["FRACTALOPS_API_KEY (unset)", "LANGGRAPH_API_KEY (unset)",
              f"{_config.config_path()} (no key for {LOCAL})", f"{data_dir / 'api_keys.json'} (not found)"]
    assert error_type == "NoApiKey" and all(p in message for p in places)
    assert [message.index(p) for p in places] == sorted(message.index(p) for p in places)


def test_login_file_is_private_and_keeps_other_servers(tmp_path: Path) -> None:
    _config.store_login("http://a.example:1", "key-a")
    path = _config.store_login("http://b.example:1", 'key-"b"\\')
    assert path == tmp_path / "xdg" / "fractalops" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = _config.read_config()
    assert data["url"] == "http://b.example:1"
    assert data["keys"] == {"http://a.example:1": "key-a", "http://b.example:1": 'key-"b"\\'}
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left behind


def test_a_broken_config_file_is_an_error_naming_it() -> None:
    path = _config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text("url = [unclosed\n")
    with pytest.raises(CliError) as broken:
        _config.server_url()
    assert str(path) in broken.value.message and broken.value.error_type == "ConfigError"
    path.write_text('url = 3\n')
    with pytest.raises(CliError, match="must hold"):
        _config.server_url()
