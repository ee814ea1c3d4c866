"""The server's outer surface: one ASGI middleware in front of every route, LangGraph's built-ins and ours.

Mounted as the `http.app`'s middleware, which the LangGraph server places outermost, so it sees every request
before LangGraph's own CORS and private-network middleware and every response after them:

- `/ok` is the only route that answers without a key; `FRACTALOPS_PUBLIC_ROUTES` may open `/info`, `/docs`,
  `/openapi.json` and `/metrics` too (an operator setting). Besides, the PostHog intake (`PUBLIC_INTAKE`: POST to
  `/batch/`, `/capture/`, `/e/`, `/i/v0/e/`, `/flags/`) takes no API key, because PostHog clients send none: the
  project key in the body is its authentication, checked by the route (401 for a wrong or missing one). Everything
  else needs a valid key (401 otherwise) — LangGraph's auth handler then applies the access table.
- A key with the `telemetry` role reaches only the OTLP intake (`TELEMETRY_SENDER_ROUTES`); anything else is 403.
  A route may ask to hear of the requests refused here for their key (`on_key_refused`): the OTLP intake counts
  them as `refused` bodies.
- The dev runtime's `/internal/*` and `/deploy*` routes (truncate every thread, dump raw state, run deploys) are
  unreachable from outside the process: 404 for everyone; so is the v2 event-streaming transport
  (`/threads/{id}/stream/events`, `/threads/{id}/commands`, see `BLOCKED_SUFFIXES`).
- CORS is off unless `FRACTALOPS_CORS_ORIGINS` lists origins (comma-separated, exact, e.g.
  `https://smith.langchain.com` for LangGraph Studio): the inner `*` headers are removed from every response, and
  only listed origins get CORS and private-network preflight answers.
- No route reads a body larger than `FRACTALOPS_MAX_BODY_BYTES` (default 32 MiB): a declared length above it is 413
  before anything is read, and a body without a length is cut off there.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fractalops.errors import ConfigError
from fractalops.server.keys import presented_key, server_keys

__all__ = ["ServerSurface", "BLOCKED_PREFIXES", "BLOCKED_SUFFIXES", "OPENABLE_ROUTES", "CORS_ENV", "PUBLIC_ROUTES_ENV",
           "MAX_BODY_ENV", "DEFAULT_MAX_BODY_BYTES", "POSTHOG_PATHS", "PUBLIC_INTAKE", "OTLP_PATHS",
           "TELEMETRY_SENDER_ROUTES", "KeyRefusalListener", "is_public_intake", "on_key_refused"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CORS_ENV = "FRACTALOPS_CORS_ORIGINS"
PUBLIC_ROUTES_ENV = "FRACTALOPS_PUBLIC_ROUTES"
MAX_BODY_ENV = "FRACTALOPS_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body any route takes (run inputs cap their changes at 5 MB; this bounds what is read at all)."""
BLOCKED_PREFIXES = ("/internal/", "/deploy")
"""Dev-runtime routes that must never be reachable through the server's port."""
BLOCKED_SUFFIXES = ("/stream/events", "/commands")
"""LangGraph's v2 event-streaming transport under `/threads/{id}/`: its thread-wide event subscription is not
decided by the access table (a stream opened on another identity's thread stays open), and `langgraph.json` cannot
turn it off in this server version (`disable_event_streaming` is dropped by its config schema). Studio, the SDK and
Agent Chat UI use the v1 run streams, which the table covers."""
OPENABLE_ROUTES = ("/info", "/docs", "/openapi.json", "/metrics")
"""Meta routes an operator may open to keyless clients with `FRACTALOPS_PUBLIC_ROUTES`."""
POSTHOG_PATHS = ("/batch/", "/capture/", "/e/", "/i/v0/e/", "/flags/")
"""The PostHog intake paths (the Python client posts only to `/batch/`; the others are what other clients use)."""
PUBLIC_INTAKE = frozenset(("POST", path) for path in POSTHOG_PATHS)
"""(method, path) answered without an API key: the PostHog intake, authenticated by the project key in its body."""
OTLP_PATHS = ("/v1/traces", "/v1/logs", "/v1/metrics")
"""The OTLP/HTTP intake paths (API key in `x-api-key`)."""
TELEMETRY_SENDER_ROUTES = frozenset(("POST", path) for path in OTLP_PATHS)
"""Everything a `telemetry` key may reach."""


KeyRefusalListener = Callable[[int, str], Awaitable[None]]
"""Called with (status, detail) when the surface refuses a request for its key (401: missing or invalid)."""
_key_refusal_listeners: dict[tuple[str, str], KeyRefusalListener] = {}
_log = logging.getLogger(__name__)


def on_key_refused(method: str, path: str, listener: KeyRefusalListener) -> None:
    """Have `listener` hear of every request to (method, path) refused here for a missing or invalid key (the OTLP
    intake counts them: a body refused whole). A failing listener is logged; the refusal stands."""
    _key_refusal_listeners[(method, path)] = listener


def is_public_intake(method: str, path: str) -> bool:
    """True for a PostHog intake request (no API key needed: the route checks the project key in the body)."""
    return (method, path) in PUBLIC_INTAKE


_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_EXPOSE = "x-pagination-total, x-pagination-next, content-location"


def _csv(name: str) -> frozenset[str]:
    return frozenset(v.strip().rstrip("/") for v in os.environ.get(name, "").split(",") if v.strip())


def _is_blocked(path: str) -> bool:
    if path == "/internal" or any(path.startswith(p) for p in BLOCKED_PREFIXES):
        return True
    return path.startswith("/threads/") and path.endswith(BLOCKED_SUFFIXES)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers") or []}


class ServerSurface:
    """Key check, blocked routes and CORS for the whole server (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.origins = _csv(CORS_ENV)
        public = _csv(PUBLIC_ROUTES_ENV)
        if unknown := sorted(public - set(OPENABLE_ROUTES)):
            raise ConfigError(f"{PUBLIC_ROUTES_ENV} may open only {', '.join(OPENABLE_ROUTES)}; got {', '.join(unknown)}")
        self.public = frozenset({"/ok"} | public)
        raw = os.environ.get(MAX_BODY_ENV, "").strip()
        if raw and not raw.isdigit():
            raise ConfigError(f"{MAX_BODY_ENV} must be a whole number of bytes, got {raw!r}")
        self.max_body = int(raw) if raw else DEFAULT_MAX_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = _headers(scope)
        origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/")
        allowed_origin = origin if origin and origin in self.origins else ""
        if scope["type"] == "http" and scope.get("method") == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(send, allowed_origin, headers)
            return
        send = self._cors_send(send, allowed_origin)
        if _is_blocked(path):
            await self._reply(scope, send, 404, "not found")
            return
        method = scope.get("method", "")
        if path not in self.public and not (scope["type"] == "http" and is_public_intake(method, path)):
            try:
                principal = await server_keys().lookup(presented_key(headers))
            except ConfigError as exc:
                await self._reply(scope, send, 500, f"server key configuration is broken: {exc}")
                return
            if principal is None:
                missing = not presented_key(headers)
                detail = "missing API key: send it as the x-api-key header" if missing else "invalid API key"
                await self._heard(method, path, 401, detail)
                await self._reply(scope, send, 401, detail)
                return
            if principal.is_telemetry_sender and (method, path) not in TELEMETRY_SENDER_ROUTES:
                await self._reply(scope, send, 403, f"{principal.identity} holds the telemetry role: it may only send "
                                                    f"telemetry (POST {', '.join(OTLP_PATHS)})")
                return
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._reply(scope, send, 413, f"request body is {declared} bytes; this server takes at most "
                                                f"{self.max_body} ({MAX_BODY_ENV})")
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._capped(scope, receive, send)

    @staticmethod
    async def _heard(method: str, path: str, status: int, detail: str) -> None:
        listener = _key_refusal_listeners.get((method, path))
        if listener is None:
            return
        try:
            await listener(status, detail)
        except Exception:  # the refusal is answered whatever its listener does
            _log.exception("key refusal listener for %s %s failed", method, path)

    async def _capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body sent without a length is counted as it arrives: past the cap the app sees the client go away, and
        the client gets a 413 (unless the app had already answered)."""
        seen, over, started = 0, False, False

        async def capped_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, tracked_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._reply(scope, send, 413, f"request body is over {self.max_body} bytes ({MAX_BODY_ENV})")

    def _cors_send(self, send: Send, origin: str) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers") or [] if not k.lower().startswith(b"access-control-")]
                if origin:
                    kept += [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                             (b"access-control-allow-credentials", b"true"),
                             (b"access-control-expose-headers", _EXPOSE.encode())]
                message["headers"] = kept
            await send(message)

        return wrapped

    async def _preflight(self, send: Send, origin: str, headers: dict[bytes, bytes]) -> None:
        if not origin:
            await self._send(send, 403, {"detail": f"CORS origin not allowed (set {CORS_ENV} to allow it)"})
            return
        extra = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                 (b"access-control-allow-credentials", b"true"),
                 (b"access-control-allow-methods", _CORS_METHODS.encode()), (b"access-control-max-age", b"600"),
                 (b"access-control-allow-headers",
                  headers.get(b"access-control-request-headers", b"authorization, content-type, x-api-key"))]
        if headers.get(b"access-control-request-private-network") == b"true":
            extra.append((b"access-control-allow-private-network", b"true"))
        await self._send(send, 204, None, extra)

    async def _reply(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4000 + status})
            return
        await self._send(send, status, {"detail": detail})

    @staticmethod
    async def _send(send: Send, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        headers = [(b"content-length", str(len(payload)).encode()), *(extra or [])]
        if body is not None:
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
