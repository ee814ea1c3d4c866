"""Secrets through the server that holds them: store (value in the body), list refs, delete, reconcile with the Armory.

Operator-only (`secrets` and `connectors` in `server.access.POLICY`). A value arrives only in a request body, is
handed to the configured secret backend (`squad_resources().secrets()`) and is never logged, echoed or returned:
every answer names refs only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.armory.secrets import SecretBackend, parse_secret_ref
from fractalops.errors import ConfigError, SecretError, SecretNotFoundError
from fractalops.runtime import squad_resources
from fractalops.server.route_io import BodyError, failure, json_object
from fractalops.server.routing import error, guarded_route

__all__ = ["routes", "reconcile_ssot"]

_PUT_SHAPE = '{"ref": "openbao://<mount>/<path>#<field>", "value": "<secret>"}'


def _backend() -> SecretBackend:
    return squad_resources().secrets()


def list_secrets(request: Request) -> JSONResponse:
    try:
        backend = _backend()
        refs = backend.list_refs()
    except SecretError as exc:
        return failure(502, exc)
    return JSONResponse({"backend": backend.name, "refs": [
        {"ref": str(r), "mount": r.mount, "path": r.path, "field": r.field} for r in refs]})


async def put_secret(request: Request) -> JSONResponse:
    try:
        body = await json_object(request, _PUT_SHAPE)
    except BodyError as exc:
        return error(exc.status, str(exc))
    ref, value = body.get("ref"), body.get("value")
    if not isinstance(ref, str) or not isinstance(value, str):
        return error(422, f"send {_PUT_SHAPE} (both strings)")
    try:
        parsed = parse_secret_ref(ref)
    except SecretError as exc:
        return failure(422, exc)
    if not value:
        return failure(422, SecretError(f"empty value for {parsed}: a secret needs a value"))

    def store() -> str:
        backend = _backend()
        backend.put(parsed, value)
        return backend.name

    try:
        name = await asyncio.to_thread(store)
    except SecretError as exc:
        return failure(502, exc)
    return JSONResponse({"ok": True, "ref": str(parsed), "backend": name})


def delete_secret(request: Request) -> JSONResponse:
    ref = request.query_params.get("ref", "")
    try:
        parsed = parse_secret_ref(ref)
    except SecretError as exc:
        return failure(422, exc)
    try:
        _backend().delete(parsed)
    except SecretNotFoundError as exc:
        return failure(404, exc)
    except SecretError as exc:
        return failure(502, exc)
    return JSONResponse({"ok": True, "ref": str(parsed), "deleted": True})


def reconcile_ssot() -> dict[str, Any]:
    """`present` / `missing` / `unused` secret refs (sorted) of the server's Armory vs its backend, and who declares each."""
    resources = squad_resources()
    armory, backend = resources.armory(), resources.secrets()
    declared: dict[str, list[str]] = {}
    for asset in armory.assets:
        for ref in asset.secret_refs():
            declared.setdefault(str(ref), []).append(asset.asset_id)
    held = {str(ref) for ref in backend.list_refs()}
    return {
        "armory": str(armory.source),
        "backend": backend.name,
        "present": sorted(set(declared) & held),
        "missing": sorted(set(declared) - held),
        "unused": sorted(held - set(declared)),
        "declared_by": {ref: sorted(ids) for ref, ids in sorted(declared.items())},
    }


def reconcile(request: Request) -> JSONResponse:
    try:
        return JSONResponse(reconcile_ssot())
    except ConfigError as exc:
        return failure(500, ConfigError(f"the server's Armory is invalid: {exc}"))
    except SecretError as exc:
        return failure(502, exc)


routes = [
    guarded_route("/secrets", list_secrets, "secrets"),
    guarded_route("/secrets", put_secret, "secrets", method="PUT", action="write"),
    guarded_route("/secrets", delete_secret, "secrets", method="DELETE", action="delete"),
    guarded_route("/connectors/reconcile-ssot", reconcile, "connectors"),
]
"""Mounted by `server.app`."""
