"""The API key table's format: `FRACTALOPS_API_KEYS` (JSON), else `<data dir>/api_keys.json`.

One implementation, read by the server (which authenticates with it) and by the CLI (which, on a local server with
a single key, uses that key), and written only for the development key `fractalops serve` creates. The file maps
each key to its identity and roles: `{"<key>": {"identity": "<name>", "roles": ["operator", "approver", ...]}}`;
an entry may also name the project the key belongs to (`"project": "<name>"`), which is where the telemetry it sends
lands (a key naming none sends as project `default`).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from fractalops.errors import ConfigError
from fractalops.identity import ROLES, Principal, is_project_name

__all__ = ["KEYS_ENV", "keys_file", "load_api_keys", "ensure_dev_key"]

KEYS_ENV = "FRACTALOPS_API_KEYS"
"""An environment variable holding the whole table as JSON; it wins over the data dir's file."""


def keys_file(data_dir: Path) -> Path:
    return data_dir / "api_keys.json"


def _parse(text: str, where: str) -> dict[str, Principal]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not valid JSON ({exc}); expected "
                          '{"<key>": {"identity": "<name>", "roles": ["operator" | "approver" | "agent", ...]}}') from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a JSON object of key -> {{identity, roles}}")
    keys: dict[str, Principal] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("identity"), str) or not entry["identity"]:
            raise ConfigError(f"{where}: entry for key ...{key[-4:]} needs a non-empty string `identity`")
        roles = entry.get("roles", [])
        bad = [r for r in roles if r not in ROLES] if isinstance(roles, list) else [roles]
        if bad:
            raise ConfigError(f"{where}: identity {entry['identity']!r} has unknown role(s) {bad}; valid roles: {', '.join(ROLES)}")
        project = entry.get("project", "")
        if project != "" and not is_project_name(project):
            raise ConfigError(f"{where}: identity {entry['identity']!r} has project {project!r}; a project is 1-128 "
                              "letters, digits, '_', '.' or '-', starting with a letter or digit")
        keys[key] = Principal(identity=entry["identity"], roles=frozenset(roles), project=project)
    return keys


def load_api_keys(data_dir: Path) -> dict[str, Principal]:
    """The configured keys; the env var wins over the data-dir file."""
    if env := os.environ.get(KEYS_ENV, "").strip():
        return _parse(env, KEYS_ENV)
    path = keys_file(data_dir)
    if not path.exists():
        return {}
    return _parse(path.read_text(), str(path))


def ensure_dev_key(data_dir: Path, identity: str = "developer") -> str | None:
    """With no keys configured anywhere, create one development key (operator + approver); return it if created."""
    if os.environ.get(KEYS_ENV, "").strip() or keys_file(data_dir).exists():
        return None
    key = "fo-dev-" + secrets.token_urlsafe(24)
    path = keys_file(data_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({key: {"identity": identity, "roles": ["operator", "approver"]}}, handle, indent=2)
    return key
