"""API keys → identities with roles: `FRACTALOPS_API_KEYS` (JSON), else `<data dir>/api_keys.json`.

The table's format lives in `fractalops.api_keys` (the CLI reads it too); this module is the server's side of it.

Requests carry the key as `x-api-key` (what `get_client(api_key=...)` sends) or `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from collections.abc import Mapping
from pathlib import Path

from fractalops.api_keys import KEYS_ENV, keys_file, load_api_keys
from fractalops.identity import Principal
from fractalops.settings import data_dir

__all__ = ["KEYS_ENV", "keys_file", "load_api_keys", "lookup_key", "presented_key", "KeyRing", "server_keys"]


def lookup_key(keys: dict[str, Principal], presented: str) -> Principal | None:
    """Constant-time comparison against every configured key."""
    found = None
    for key, principal in keys.items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = principal
    return found


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
