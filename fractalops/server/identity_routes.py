"""`GET /whoami`: the identity and roles behind the presented key (how `fractalops login` checks a key)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.server.routing import caller, guarded_route

__all__ = ["routes"]


def whoami(request: Request) -> JSONResponse:
    who = caller(request)
    return JSONResponse({"identity": who.identity, "roles": sorted(who.roles), "role_class": who.role_class})


routes = [guarded_route("/whoami", whoami, "identity")]
"""Mounted by `server.app`."""
