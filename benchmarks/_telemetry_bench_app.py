"""The server's `http.app` plus one route the ingest benchmark needs: a raw clickhouse-connect insert, in the server
process, into the warehouse the server owns (the embedded chdb allows one process per path, so the baseline has to
run where the intake runs — which also gives both sides the same machine at the same moment).

`POST /bench/raw-insert {"event_ids": [...]}` reads those stored rows back (untimed), builds them as columns (the
raw insert's fastest form: epoch-millisecond ints for DateTime64(3)) and answers how long one
`client.insert("events", columns, column_oriented=True)` of them took. Benchmark-only: never in langgraph.json.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import clickhouse_connect
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fractalops.runtime import squad_resources
from fractalops.server.app import app

COLUMNS = ["event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs"]
_EPOCH, _MS = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)


@lru_cache(maxsize=1)
def _raw_client(location: str) -> Any:
    return clickhouse_connect.get_client(dsn=f"chdb://{location}")


def _raw_insert(event_ids: list[str]) -> dict[str, Any]:
    warehouse = squad_resources().warehouse()
    rows = warehouse.query(f"SELECT {', '.join(COLUMNS)} FROM events WHERE event_id IN {{ids:Array(String)}}",
                           {"ids": event_ids})
    columns: list[list[Any]] = [[r[c] for r in rows] for c in COLUMNS]
    columns[1] = [((ts if ts.tzinfo else ts.replace(tzinfo=UTC)) - _EPOCH) // _MS for ts in columns[1]]
    client = _raw_client(warehouse.location)
    t0 = time.perf_counter()
    client.insert("events", columns, column_names=COLUMNS, column_oriented=True)
    return {"seconds": time.perf_counter() - t0, "rows": len(rows)}


async def raw_insert(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse(await asyncio.to_thread(_raw_insert, list(body["event_ids"])))


app.router.routes.append(Route("/bench/raw-insert", raw_insert, methods=["POST"]))
