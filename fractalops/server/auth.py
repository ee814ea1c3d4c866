"""The LangGraph server's `auth` handler: API keys -> identities with roles, then the access table for every resource.

Every resource the SDK exposes (threads and their runs, assistants, crons, store) is decided by
`server.access.POLICY`; a resource or action the table does not name is refused by the global handler, so a
resource LangGraph adds later is closed until it gets a row. Beyond the table:

- threads: the owner is stored on create (in place: the runtime keeps the dict it handed us) and can never be
  set or changed by a caller; `if_exists` on another identity's thread answers 409, never that thread.
- runs: the input is validated (422 before anything is queued), and every agent binding a run names must be an
  Armory asset the caller's roles may bind (`allowed_roles`).
- crons: schedules firing more often than `FRACTALOPS_CRON_MIN_INTERVAL_S` (default 3600 s) are refused; only
  operators may attach a cron to an existing thread (others' crons start a thread of their own on every run).
- store: non-operators are confined to namespaces under their own identity.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from langgraph_sdk import Auth

from fractalops.errors import ConfigError, FractalOpsError
from fractalops.identity import Principal
from fractalops.runtime import run_options, squad_resources, validate_run_input
from fractalops.server.access import OWNER_KEY, Access, decide, refusal_message
from fractalops.server.keys import presented_key, server_keys
from fractalops.server.surface import is_public_intake

__all__ = ["auth", "POSTHOG_INTAKE_IDENTITY", "CRON_FLOOR_ENV", "cron_interval_floor_s", "shortest_cron_interval_s"]

auth = Auth()

CRON_FLOOR_ENV = "FRACTALOPS_CRON_MIN_INTERVAL_S"
_CRON_FLOOR_DEFAULT_S = 3600
_FORBIDDEN = Auth.exceptions.HTTPException


def _principal(ctx: Auth.types.AuthContext) -> Principal:
    return Principal(identity=ctx.user.identity, roles=frozenset(ctx.permissions or []))


def _access(ctx: Auth.types.AuthContext, resource: str | None = None, action: str | None = None) -> Access:
    principal = _principal(ctx)
    resource, action = resource or ctx.resource, action or ctx.action
    access = decide(principal, resource, action)
    if access is Access.NO:
        raise _FORBIDDEN(status_code=403, detail=refusal_message(principal, resource, action))
    return access


def _owner_filter(ctx: Auth.types.AuthContext, access: Access) -> dict[str, str] | None:
    return None if access is Access.ALL else {OWNER_KEY: ctx.user.identity}


def _stamp_owner(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    metadata = value.get("metadata")
    if metadata is None:
        value["metadata"] = metadata = {}
    metadata[OWNER_KEY] = ctx.user.identity


def _refuse_owner_change(value: dict[str, Any]) -> None:
    if OWNER_KEY in (value.get("metadata") or {}):
        raise _FORBIDDEN(status_code=403, detail=f"metadata.{OWNER_KEY} is set by the server and cannot be changed")


POSTHOG_INTAKE_IDENTITY = "posthog-intake"
"""Who a PostHog intake request is before its route checks the project key in its body (it holds no role)."""


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes], path: str, method: str) -> Auth.types.MinimalUserDict:
    if is_public_intake(method, path):
        # PostHog clients send no header; the route authenticates the project key in the body (server.surface).
        return {"identity": POSTHOG_INTAKE_IDENTITY, "roles": [], "permissions": [], "is_authenticated": True}
    presented = presented_key(headers)
    if not presented:
        raise _FORBIDDEN(status_code=401, detail="missing API key: send it as the x-api-key header")
    try:
        principal = await server_keys().lookup(presented)
    except ConfigError as exc:
        raise _FORBIDDEN(status_code=500, detail=f"server key configuration is broken: {exc}") from None
    if principal is None:
        raise _FORBIDDEN(status_code=401, detail="invalid API key")
    roles = sorted(principal.roles)
    return {"identity": principal.identity, "roles": roles, "permissions": roles, "is_authenticated": True,
            "project": principal.project}


def _check_bindings(principal: Principal, config: Any, context: Any) -> None:
    """Every binding a run names must be a known agent and an asset the caller's roles may bind."""
    from fractalops.agents import check_agent_names  # the server reaches agents only for this name check

    bindings = run_options(config if isinstance(config, dict) else None,
                           context if isinstance(context, dict) else None).bindings or {}
    check_agent_names(bindings, where="run option bindings")
    armory = squad_resources().armory()
    for agent, selector in bindings.items():
        asset = armory.bind(agent, selector)
        if not asset.may_be_bound_by(principal.roles):
            raise PermissionError(
                f"binding {agent}={selector} needs one of the roles {', '.join(asset.allowed_roles)} "
                f"(asset {asset.asset_id}'s allowed_roles); {principal.identity} has "
                f"{', '.join(sorted(principal.roles)) or 'none'}"
            )


async def _check_run_request(principal: Principal, kwargs: dict[str, Any]) -> None:
    try:
        await asyncio.to_thread(validate_run_input, kwargs.get("input"))
        await asyncio.to_thread(_check_bindings, principal, kwargs.get("config"), kwargs.get("context"))
    except PermissionError as exc:
        raise _FORBIDDEN(status_code=403, detail=str(exc)) from None
    except FractalOpsError as exc:
        raise _FORBIDDEN(status_code=422, detail=f"invalid squad run: {exc}") from None


@auth.on.threads.create
async def on_thread_create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    _access(ctx)
    _stamp_owner(ctx, value)
    # Returned even to operators: with `if_exists` an existing thread must be the caller's, or it is a conflict.
    return {OWNER_KEY: ctx.user.identity}


@auth.on.threads.create_run
async def on_run_create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    access = _access(ctx)
    await _check_run_request(_principal(ctx), value.get("kwargs") or {})
    # A run that creates its thread (stateless, or `if_not_exists="create"`) gives it this run's metadata: the
    # stamp makes the caller its owner, whatever owner the request claimed.
    _stamp_owner(ctx, value)
    return _owner_filter(ctx, access)


@auth.on.threads.update
async def on_thread_update(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    access = _access(ctx)
    _refuse_owner_change(value)
    return _owner_filter(ctx, access)


@auth.on.threads.read
@auth.on.threads.search
@auth.on.threads.delete
async def on_thread_access(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str] | None:
    return _owner_filter(ctx, _access(ctx))


@auth.on.assistants
async def on_assistants(ctx: Auth.types.AuthContext, value: Any) -> None:
    _access(ctx)  # read and search for everyone; create, update and delete (configs, bindings) for operators


def cron_interval_floor_s() -> int:
    raw = os.environ.get(CRON_FLOOR_ENV, str(_CRON_FLOOR_DEFAULT_S)).strip()
    try:
        return max(0, int(raw))
    except ValueError:
        raise ConfigError(f"{CRON_FLOOR_ENV} must be a whole number of seconds, got {raw!r}") from None


def shortest_cron_interval_s(schedule: str, samples: int = 64) -> float:
    """The shortest gap between two firings of `schedule` over its next `samples` firings (croniter semantics)."""
    try:
        it = croniter(schedule, datetime.now(UTC))
        times = [it.get_next(float) for _ in range(samples)]
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"cron schedule {schedule!r} is not valid: {exc}") from None
    return min(b - a for a, b in zip(times, times[1:], strict=False))


def _check_schedule(schedule: Any) -> None:
    if schedule is None:
        return
    floor = cron_interval_floor_s()
    try:
        gap = shortest_cron_interval_s(str(schedule))
    except ConfigError as exc:
        raise _FORBIDDEN(status_code=422, detail=str(exc)) from None
    if gap < floor:
        raise _FORBIDDEN(status_code=422, detail=f"cron schedule {schedule!r} fires every {gap:.0f} s; this server "
                                                 f"allows at most one run per {floor} s ({CRON_FLOOR_ENV})")


async def _check_cron_payload(ctx: Auth.types.AuthContext, payload: Any) -> None:
    if isinstance(payload, dict):
        await _check_run_request(_principal(ctx), payload)


@auth.on.crons.create
async def on_cron_create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    access = _access(ctx)
    if value.get("thread_id") is not None:
        _access(ctx, "crons", "create_on_thread")
    _check_schedule(value.get("schedule"))
    await _check_cron_payload(ctx, value.get("payload"))
    _stamp_owner(ctx, value)
    return _owner_filter(ctx, access)


@auth.on.crons.update
async def on_cron_update(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    access = _access(ctx)
    _check_schedule(value.get("schedule"))
    await _check_cron_payload(ctx, value.get("payload"))
    _refuse_owner_change(value)
    return _owner_filter(ctx, access)


@auth.on.crons.read
@auth.on.crons.search
@auth.on.crons.delete
async def on_cron_access(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str] | None:
    return _owner_filter(ctx, _access(ctx))


@auth.on.store
async def on_store(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    if _access(ctx) is Access.ALL:
        return
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        value["namespace"] = (ctx.user.identity, *namespace)


@auth.on
async def refuse_the_rest(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Anything the access table does not name (a resource or action LangGraph adds later) is refused."""
    _access(ctx)
