"""Private: which server the CLI talks to and with which API key, and where it looked for them.

Server: `--url`, then `FRACTALOPS_SERVER_URL`, then `url` in the config file, then http://127.0.0.1:2024.
Key: `FRACTALOPS_API_KEY`, then `LANGGRAPH_API_KEY`, then the config file's key for that server, then — for a server
on this machine only — the single key of the server's own key table (`FRACTALOPS_API_KEYS`, else
`<data dir>/api_keys.json`, the data dir being `FRACTALOPS_DATA_DIR` or `./.fractalops`; how `make dev` works with
no login). No key is taken from argv: it would show in `ps` and the shell history.

The config file is `$XDG_CONFIG_HOME/fractalops/config.toml` (default `~/.config/...`), written by `fractalops
login URL`: a default `url` and one key per server under `[keys]`, so a key is only ever sent to the server it was
stored for. The file is 0600 in a 0700 directory.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fractalops.cli._errors import CliError

__all__ = ["Found", "set_url_flag", "config_path", "read_config", "server_url", "api_key", "key_places",
           "url_places", "store_login", "DEFAULT_URL"]

DEFAULT_URL = "http://127.0.0.1:2024"
_KEY_ENVS = ("FRACTALOPS_API_KEY", "LANGGRAPH_API_KEY")
_flag: dict[str, str | None] = {"url": None}


@dataclass(frozen=True)
class Found:
    value: str
    """The URL or key."""
    source: str
    """Where it came from (`--url`, an env var name, a file path, `default`), for messages."""


def set_url_flag(url: str | None) -> None:
    """The root command's `--url` (None when not given)."""
    _flag["url"] = url.rstrip("/") if url else None


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "fractalops" / "config.toml"


def read_config() -> dict[str, Any]:
    """The config file's contents ({} when there is none); a broken file is an error naming it."""
    import tomllib

    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CliError(f"cannot read the CLI config {path}: {exc.strerror}", error_type="ConfigError") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"the CLI config {path} is not valid TOML ({exc}); fix it, or delete it and run "
                       "`fractalops login URL` again", error_type="ConfigError") from None
    keys = data.get("keys", {})
    if not isinstance(data.get("url", ""), str) or not isinstance(keys, dict) or not all(
            isinstance(v, str) for v in keys.values()):
        raise CliError(f"the CLI config {path} must hold `url = \"...\"` and a `[keys]` table of server URL = key",
                       error_type="ConfigError")
    return data


def server_url() -> Found:
    if _flag["url"]:
        return Found(_flag["url"], "--url")
    if env := os.environ.get("FRACTALOPS_SERVER_URL", "").strip():
        return Found(env.rstrip("/"), "FRACTALOPS_SERVER_URL")
    if url := str(read_config().get("url") or "").strip():
        return Found(url.rstrip("/"), str(config_path()))
    return Found(DEFAULT_URL, "default")


def url_places() -> str:
    return f"--url, FRACTALOPS_SERVER_URL, {config_path()} (`url`), the default {DEFAULT_URL}"


def _data_dir() -> Path:
    # Resolved like the server's data dir, but never created: looking must leave no `.fractalops` behind.
    return (Path.cwd() / Path(os.environ.get("FRACTALOPS_DATA_DIR", ".fractalops")).expanduser()).resolve()


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server_table_key(url: str) -> tuple[str | None, str]:
    """The single key of a local server's key table, and what was found there (for the message)."""
    from fractalops.api_keys import KEYS_ENV, keys_file, load_api_keys
    from fractalops.errors import ConfigError

    where = KEYS_ENV if os.environ.get(KEYS_ENV, "").strip() else str(keys_file(_data_dir()))
    if not _is_local(url):
        return None, f"{where} (not used: {url} is not on this machine)"
    try:
        keys = load_api_keys(_data_dir())
    except ConfigError as exc:
        return None, f"{where} (unreadable: {exc})"
    except OSError as exc:
        return None, f"{where} (unreadable: {exc.strerror})"
    if len(keys) == 1:
        return next(iter(keys)), where
    return None, f"{where} ({'not found' if not keys and where != KEYS_ENV else f'{len(keys)} keys, not one'})"


def key_places(url: str) -> list[str]:
    """Every place the key is looked for, in order, each with what was found there."""
    places = [f"{name} ({'set' if os.environ.get(name, '').strip() else 'unset'})" for name in _KEY_ENVS]
    has = url in (read_config().get("keys") or {})
    places.append(f"{config_path()} ({'key for ' + url if has else 'no key for ' + url})")
    places.append(_server_table_key(url)[1])
    return places


def api_key(url: str) -> Found:
    """The key for `url`, or a `CliError` naming every place the CLI looked."""
    for name in _KEY_ENVS:
        if value := os.environ.get(name, "").strip():
            return Found(value, name)
    if value := str((read_config().get("keys") or {}).get(url) or "").strip():
        return Found(value, str(config_path()))
    value, where = _server_table_key(url)
    if value:
        return Found(value, where)
    raise CliError(f"no API key for {url}: looked at {', '.join(key_places(url))}; run `fractalops login {url}` "
                   "or set FRACTALOPS_API_KEY", error_type="NoApiKey")


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string with ASCII escapes is a valid TOML basic string


def store_login(url: str, key: str, *, make_default: bool = True) -> Path:
    """Store `key` for `url` (and `url` as the default server) in the config file, 0600 in a 0700 directory."""
    path = config_path()
    data = read_config()
    keys = {**(data.get("keys") or {}), url: key}
    default = url if make_default else str(data.get("url") or "")
    lines = ["# written by `fractalops login`; holds API keys: keep it private (0600)"]
    if default:
        lines.append(f"url = {_toml_string(default)}")
    lines += ["", "[keys]", *(f"{_toml_string(u)} = {_toml_string(k)}" for u, k in sorted(keys.items()))]
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.", suffix=".toml")  # mkstemp files are 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
