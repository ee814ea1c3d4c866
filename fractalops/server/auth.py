"""The LangGraph server's `auth` handler: API keys → identities with roles; thread visibility by owner.

Requests carry the key as `x-api-key` (what `get_client(api_key=...)` sends) or `Authorization: Bearer <key>`.
Operators and approvers see every thread (they review them); other identities see only threads they created.
Run input is validated here too, so a malformed launch fails with a 422 before any run is queued.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from langgraph_sdk import Auth

from fractalops.errors import ConfigError
from fractalops.identity import Principal
from fractalops.runtime.run_input import validate_run_input
from fractalops.server.keys import keys_file, load_api_keys, lookup_key
from fractalops.settings import data_dir

__all__ = ["auth"]

auth = Auth()


@lru_cache(maxsize=4)
def _keys(_stamp: float) -> dict[str, Principal]:
    return load_api_keys(data_dir())


def _current_keys() -> dict[str, Principal]:
    path = keys_file(data_dir())
    return _keys(path.stat().st_mtime if path.exists() else 0.0)


def _presented(headers: dict[bytes, bytes]) -> str:
    if key := headers.get(b"x-api-key"):
        return key.decode()
    bearer = headers.get(b"authorization", b"").decode()
    return bearer[7:].strip() if bearer.lower().startswith("bearer ") else ""


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    presented = _presented(headers)
    if not presented:
        raise Auth.exceptions.HTTPException(status_code=401, detail="missing API key: send it as the x-api-key header")
    try:
        principal = lookup_key(await asyncio.to_thread(_current_keys), presented)
    except ConfigError as exc:
        raise Auth.exceptions.HTTPException(status_code=500, detail=f"server key configuration is broken: {exc}") from None
    if principal is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="invalid API key")
    roles = sorted(principal.roles)
    return {"identity": principal.identity, "roles": roles, "permissions": roles, "is_authenticated": True}


def _sees_all(ctx: Auth.types.AuthContext) -> bool:
    return Principal(identity=ctx.user.identity, roles=frozenset(ctx.permissions or [])).sees_all_threads


@auth.on.threads.create
async def on_thread_create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    value.setdefault("metadata", {})
    value["metadata"] = {**(value["metadata"] or {}), "owner": ctx.user.identity}


@auth.on.threads.create_run
async def on_run_create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    kwargs = value.get("kwargs") or {}
    try:
        await asyncio.to_thread(validate_run_input, kwargs.get("input"))
    except ConfigError as exc:
        raise Auth.exceptions.HTTPException(status_code=422, detail=f"invalid squad input: {exc}") from None
    return None if _sees_all(ctx) else {"owner": ctx.user.identity}


@auth.on.threads
async def on_threads(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str] | None:
    """read / search / update / delete: operators and approvers see all, others only their own."""
    return None if _sees_all(ctx) else {"owner": ctx.user.identity}


@auth.on.assistants
async def on_assistants(ctx: Auth.types.AuthContext, value: Any) -> None:
    return None


@auth.on.store
async def on_store(ctx: Auth.types.AuthContext, value: Any) -> None:
    namespace = tuple(value.get("namespace") or ())
    if "operator" not in (ctx.permissions or []) and (not namespace or namespace[0] != ctx.user.identity):
        value["namespace"] = (ctx.user.identity, *namespace)
