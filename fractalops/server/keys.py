"""API keys → identities with roles: `FRACTALOPS_API_KEYS` (JSON), else `<data dir>/api_keys.json`.

Requests carry the key as `x-api-key` (what `get_client(api_key=...)` sends) or `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from fractalops.errors import ConfigError
from fractalops.identity import ROLES, Principal
from fractalops.settings import data_dir

__all__ = ["KEYS_ENV", "keys_file", "load_api_keys", "lookup_key", "ensure_dev_key", "presented_key", "KeyRing",
           "server_keys"]

KEYS_ENV = "FRACTALOPS_API_KEYS"


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
        keys[key] = Principal(identity=entry["identity"], roles=frozenset(roles))
    return keys


def load_api_keys(data_dir: Path) -> dict[str, Principal]:
    """The configured keys; the env var wins over the data-dir file."""
    if env := os.environ.get(KEYS_ENV, "").strip():
        return _parse(env, KEYS_ENV)
    path = keys_file(data_dir)
    if not path.exists():
        return {}
    return _parse(path.read_text(), str(path))


def lookup_key(keys: dict[str, Principal], presented: str) -> Principal | None:
    """Constant-time comparison against every configured key."""
    found = None
    for key, principal in keys.items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = principal
    return found


def ensure_dev_key(data_dir: Path, identity: str = "developer") -> str | None:
    """With no keys configured anywhere, create one development key (operator + approver); return it if created."""
    if os.environ.get(KEYS_ENV, "").strip() or keys_file(data_dir).exists():
        return None
    key = "fo-dev-" + secrets.token_urlsafe(24)
    path = keys_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({key: {"identity": identity, "roles": ["operator", "approver"]}}, handle, indent=2)
    return key


def presented_key(headers: Mapping[bytes, bytes]) -> str:
    """The key a request presents: `x-api-key`, else `Authorization: Bearer <key>`, else empty."""
    if key := headers.get(b"x-api-key"):
        return key.decode("latin-1").strip()
    bearer = headers.get(b"authorization", b"").decode("latin-1")
    return bearer[7:].strip() if bearer.lower().startswith("bearer ") else ""


class KeyRing:
    """The server's configured keys, re-read when the env var or the key file changes (checked at most once a second)."""

    def __init__(self, root: Path | None = None, ttl_s: float = 1.0) -> None:
        self._root, self._ttl = root, ttl_s
        self._stamp: tuple[str, float] | None = None
        self._keys: dict[str, Principal] = {}
        self._checked = 0.0

    def _refresh(self) -> dict[str, Principal]:
        root = self._root or data_dir()
        path = keys_file(root)
        stamp = (os.environ.get(KEYS_ENV, ""), path.stat().st_mtime if path.exists() else 0.0)
        if stamp != self._stamp:
            self._keys, self._stamp = load_api_keys(root), stamp
        self._checked = time.monotonic()
        return self._keys

    def keys(self) -> dict[str, Principal]:
        """The current keys (`ConfigError` if the configuration is broken)."""
        return self._refresh() if time.monotonic() - self._checked > self._ttl else self._keys

    async def lookup(self, presented: str) -> Principal | None:
        """The identity behind `presented` (the file check runs off the event loop)."""
        if not presented:
            return None
        keys = await asyncio.to_thread(self.keys) if time.monotonic() - self._checked > self._ttl else self._keys
        return lookup_key(keys, presented)


_RING = KeyRing()


def server_keys() -> KeyRing:
    """The key ring of this server process (shared by the auth handler and the server-surface middleware)."""
    return _RING
