"""The `http.app` mounted into the LangGraph server: HUD, `harness-projection`, live events, proposals, proof, warehouse.

Handlers are plain functions on purpose: Starlette runs them in its thread pool, so their SQLite reads never
block the server's event loop. Authentication is the server's (`"http": {"enable_custom_route_auth": true}`), so
`request.user` is the API-key identity; every route is declared with the access-table resource it serves
(`server.access.POLICY`), refused with 403 where the table says `no`, and narrowed to the caller's own threads
where it says `own`. The app's middleware (`server.surface.ServerSurface`) guards the whole server surface.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.errors import FractalOpsError, ProposalError, QueryRefusedError
from fractalops.identity import Principal
from fractalops.planes.live import PROJECTION_NAME
from fractalops.planes.proof import check_proof, proof_bundle
from fractalops.runtime import squad_resources
from fractalops.server import (
    armory_routes,
    evidence_routes,
    feature_routes,
    identity_routes,
    mcp_routes,
    secret_routes,
    semantics_routes,
    telemetry_routes,
)
from fractalops.server.private_files import secure_data_dir
from fractalops.server.route_io import BodyError, failure, json_object
from fractalops.server.routing import caller as _caller
from fractalops.server.routing import error as _error
from fractalops.server.routing import guarded_route as _route
from fractalops.server.surface import ServerSurface

__all__ = ["app"]


_POLL_S = 0.25
_MAX_SQL_BYTES = 100_000


def _visible_projection(request: Request) -> tuple[dict[str, Any] | None, JSONResponse | None]:
    thread_id = request.path_params["thread_id"]
    row = squad_resources().outbox.projection(thread_id)
    caller = _caller(request)
    if row is None or (not caller.sees_all_threads and row["owner"] != caller.identity):
        return None, _error(404, f"no HUD for thread {thread_id}: unknown thread, no run launched yet, or not yours")
    return dict(row), None


def hud(request: Request) -> JSONResponse:
    row, err = _visible_projection(request)
    return err or JSONResponse(row["hud"])


def hud_diagnostics(request: Request) -> JSONResponse:
    row, err = _visible_projection(request)
    if err:
        return err
    return JSONResponse(squad_resources().outbox.diagnostics(row["thread_id"]) or {})


def projection(request: Request) -> JSONResponse:
    caller = _caller(request)
    rows = squad_resources().outbox.projections(owner=None if caller.sees_all_threads else caller.identity)
    return JSONResponse({"projection": PROJECTION_NAME, "threads": rows})


def thread_projection(request: Request) -> JSONResponse:
    row, err = _visible_projection(request)
    return err or JSONResponse(row)


def _visible_thread_ids(caller: Principal) -> set[str] | None:
    if caller.sees_all_threads:
        return None
    return {r["thread_id"] for r in squad_resources().outbox.projections(owner=caller.identity)}


async def live_events(request: Request) -> Any:
    # portal_live_events after ?after=<id> as JSON, or as Server-Sent Events with Accept: text/event-stream.
    thread_id = request.query_params.get("thread_id") or None
    after = int(request.query_params.get("after", "0") or 0)
    allowed = await asyncio.to_thread(_visible_thread_ids, _caller(request))
    if thread_id and allowed is not None and thread_id not in allowed:
        return _error(404, f"unknown thread {thread_id}")
    outbox = (await asyncio.to_thread(squad_resources)).outbox

    def visible(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if allowed is None or e["thread_id"] in allowed]

    if "text/event-stream" not in request.headers.get("accept", ""):
        events = await asyncio.to_thread(outbox.events, thread_id=thread_id, after=after)
        return JSONResponse({"events": visible(events)})

    async def stream() -> AsyncIterator[dict[str, str]]:
        cursor = after
        while not await request.is_disconnected():
            events = await asyncio.to_thread(outbox.events, thread_id=thread_id, after=cursor)
            for event in visible(events):
                yield {"id": str(event["id"]), "event": event["kind"], "data": json.dumps(event)}
            cursor = events[-1]["id"] if events else cursor
            if not events:
                await asyncio.sleep(_POLL_S)

    return EventSourceResponse(stream())


def proposals(request: Request) -> JSONResponse:
    thread_id = request.query_params.get("thread_id") or None
    allowed = _visible_thread_ids(_caller(request))
    rows = squad_resources().proposals.list(thread_id=thread_id)
    rows = [p for p in rows if allowed is None or p.thread_id in allowed]
    return JSONResponse({"proposals": [json.loads(p.model_dump_json(exclude={"payload", "proposed"})) for p in rows]})


def proposal(request: Request) -> JSONResponse:
    try:
        p = squad_resources().proposals.get(request.path_params["proposal_id"])
    except ProposalError as exc:
        return _error(404, str(exc))
    allowed = _visible_thread_ids(_caller(request))
    if allowed is not None and p.thread_id not in allowed:
        return _error(404, f"unknown proposal {p.id}")
    return JSONResponse(json.loads(p.model_dump_json()))


def _thread_proof(thread_id: str, with_bundle: bool) -> dict[str, Any]:
    resources = squad_resources()
    applied = [p for p in resources.proposals.list(thread_id=thread_id) if p.executed is not None]
    if not applied:
        empty = {"ok": False, "ref": None, "reason": "no applied proposal on this thread"}
        return {"closed": False, "graph": empty, "warehouse": empty, "chronicle": empty, "proposals": []}
    planes = {"semantics": resources.semantics(), "warehouse": resources.warehouse(), "chronicle": resources.chronicle()}
    verdicts = [{"proposal_id": p.id, **check_proof(p.evidence, proposal_id=p.id, **planes)} for p in applied]
    result: dict[str, Any] = {**verdicts[-1], "closed": all(v["closed"] for v in verdicts), "proposals": verdicts}
    result.pop("proposal_id")
    if with_bundle:
        result["bundle"] = proof_bundle(applied[-1].evidence, proposal_id=applied[-1].id, **planes)
    return result


def proof(request: Request) -> JSONResponse:
    # Per-plane proof verdict for a thread; ?bundle=1 adds a bundle that `fractalops proof check` verifies offline.
    thread_id = request.path_params["thread_id"]
    allowed = _visible_thread_ids(_caller(request))
    if allowed is not None and thread_id not in allowed:
        return _error(404, f"unknown thread {thread_id}")
    return JSONResponse(_thread_proof(thread_id, request.query_params.get("bundle") in {"1", "true"}))


def warehouse_tables(request: Request) -> JSONResponse:
    # Operators read the warehouse through the server, which is its single (chdb) writer.
    wh = squad_resources().warehouse()
    return JSONResponse({"ok": True, "backend": wh.backend, "location": wh.location, "database": wh.database,
                         "schema_version": wh.schema_version(), "tables": wh.table_counts()})


async def warehouse_query(request: Request) -> JSONResponse:
    try:
        body = await json_object(request, '{"sql": "<read-only SQL>"}', max_bytes=_MAX_SQL_BYTES)
    except BodyError as exc:
        return _error(exc.status, str(exc))
    sql = body.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        return _error(422, 'send {"sql": "<read-only SQL>"}')
    try:
        rows = await asyncio.to_thread(lambda: squad_resources().warehouse().read_only_query(sql))
    except QueryRefusedError as exc:
        return JSONResponse({"error": str(exc), "error_type": type(exc).__name__, "refused": exc.construct},
                            status_code=400)
    except FractalOpsError as exc:
        return failure(400, exc)
    return JSONResponse(json.loads(json.dumps({"rows": rows}, default=str)))


def _redundant(middleware: Middleware) -> bool:
    cls = middleware.cls
    return (getattr(cls, "__name__", "") == "PrivateNetworkMiddleware"
            and getattr(cls, "__module__", "").startswith("langgraph_api."))


class _HarnessApp(Starlette):
    """Starlette without the middleware the surface makes redundant.

    LangGraph sets `user_middleware` of this app after loading it: `langgraph dev` adds its
    `PrivateNetworkMiddleware`, which puts the private-network header on OPTIONS responses. The surface answers
    every CORS preflight itself (that header included, for the origins it allows) before any of LangGraph's
    middleware, so that one never acts; but as a `BaseHTTPMiddleware` it costs every request a task group per body
    chunk and a memory channel per response (about a third of the event loop's time on a 400 KB telemetry body,
    measured with py-spy). Dropped here, whoever sets the list."""

    @property  # type: ignore[override]
    def user_middleware(self) -> list[Middleware]:
        return self._user_middleware

    @user_middleware.setter
    def user_middleware(self, value: list[Middleware]) -> None:
        self._user_middleware = [m for m in value if not _redundant(m)]


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await asyncio.to_thread(secure_data_dir, squad_resources().root)
    await feature_routes.start_features()
    try:
        yield
    finally:
        await feature_routes.stop_features()


app = _HarnessApp(
    routes=[
        _route("/threads/{thread_id}/hud", hud, "hud"),
        _route("/threads/{thread_id}/hud/diagnostics", hud_diagnostics, "hud_diagnostics"),
        _route("/threads/{thread_id}/proof", proof, "proof"),
        _route("/projection", projection, "projection"),
        _route("/projection/{thread_id}", thread_projection, "projection"),
        _route("/live/events", live_events, "live_events"),
        _route("/proposals", proposals, "proposals"),
        _route("/proposals/{proposal_id}", proposal, "proposals"),
        _route("/warehouse/tables", warehouse_tables, "warehouse"),
        _route("/warehouse/query", warehouse_query, "warehouse", method="POST"),
        *evidence_routes.routes,
        *identity_routes.routes,
        *armory_routes.routes,
        *mcp_routes.routes,
        *secret_routes.routes,
        *semantics_routes.routes,
        *telemetry_routes.routes,
        *feature_routes.routes,
    ],
    middleware=[Middleware(ServerSurface)],
    lifespan=lifespan,
)
