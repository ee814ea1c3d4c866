"""How `http.app` routes are declared: each names its access-table resource, and is refused where the table says `no`.

`ROUTE_RESOURCES` maps every declared route to its (resource, action), so tests can check that no route of ours
lacks a rule. The PostHog intake is the one exception, declared with `public_intake_route`: it takes no API key
(its body's project key is its authentication) and must be listed in `server.surface.PUBLIC_INTAKE`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fractalops.identity import Principal, principal_from_user
from fractalops.server.access import Access, decide, refusal_message
from fractalops.server.surface import PUBLIC_INTAKE

__all__ = ["ROUTE_RESOURCES", "PUBLIC_INTAKE_ROUTES", "caller", "error", "refusal", "guarded_route", "public_intake_route"]

ROUTE_RESOURCES: dict[tuple[str, str], tuple[str, str]] = {}
"""(method, path) -> (resource, action) of the access table, for every declared route."""
PUBLIC_INTAKE_ROUTES: set[tuple[str, str]] = set()
"""(method, path) of every route declared with `public_intake_route`."""


def caller(request: Request) -> Principal:
    """The API-key identity of the request (the server's auth put it in the scope)."""
    user = request.scope.get("user")
    scopes = getattr(request.scope.get("auth"), "scopes", None)
    return principal_from_user(user, scopes) or Principal(identity="anonymous", roles=frozenset())


def error(status: int, message: str) -> JSONResponse:
    """Our routes' error shape: `{"error": message}`."""
    return JSONResponse({"error": message}, status_code=status)


def refusal(request: Request, resource: str, action: str) -> JSONResponse | None:
    """A 403 when the caller's role class has no access to `action` on `resource`, else None."""
    who = caller(request)
    if decide(who, resource, action) is Access.NO:
        return error(403, refusal_message(who, resource, action))
    return None


def guarded_route(path: str, endpoint: Callable[..., Any], resource: str, *, method: str = "GET",
                  action: str = "read", on_refused: Callable[[Request], Awaitable[None]] | None = None) -> Route:
    """A route of the access table: refused where the caller's role class has `no` access to `resource`.

    `on_refused` (async endpoints only) hears of each request refused that way (the OTLP intake counts them)."""
    if on_refused is not None and not inspect.iscoroutinefunction(endpoint):
        raise ValueError(f"{path}: on_refused needs an async endpoint")
    if inspect.iscoroutinefunction(endpoint):
        async def guarded(request: Request) -> Any:
            refused = refusal(request, resource, action)
            if refused is None:
                return await endpoint(request)
            if on_refused is not None:
                await on_refused(request)
            return refused
    else:
        def guarded(request: Request) -> Any:
            return refusal(request, resource, action) or endpoint(request)
    functools.update_wrapper(guarded, endpoint)
    ROUTE_RESOURCES[(method, path)] = (resource, action)
    return Route(path, guarded, methods=[method])


def public_intake_route(path: str, endpoint: Callable[..., Any], *, method: str = "POST") -> Route:
    """A PostHog intake route: reached without an API key (the surface lets exactly `PUBLIC_INTAKE` through), so the
    endpoint itself must authenticate the request by the project key in its body."""
    if (method, path) not in PUBLIC_INTAKE:
        raise ValueError(f"{method} {path} is not in server.surface.PUBLIC_INTAKE; a keyless route must be listed there")
    PUBLIC_INTAKE_ROUTES.add((method, path))
    return Route(path, endpoint, methods=[method])
