"""Telemetry ingest: classified intake through the HTTP endpoint vs a raw clickhouse-connect insert of the same rows.

The intake side posts PostHog `/batch/` bodies (as the official client sends them) and OTLP protobuf `/v1/traces`
bodies (as the OTLP/HTTP exporter sends them, from real SDK spans) to a real `langgraph dev`, one after the other, and
times each request end to end: HTTP, auth, decoding, validation, classification into ontology ids, the dedupe index
and counts, one batched warehouse insert. The baseline then inserts exactly the rows that request stored (read back
from the warehouse, as prebuilt columns — its fastest form) into the same warehouse with one raw clickhouse-connect
insert per batch. Target: ingest throughput >= 0.5x the raw insert's, per batch size.

Usage: python benchmarks/telemetry_ingest.py [ROUNDS]  (default 30 timed batches per case, after 3 warm-up batches)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from benchmarks._ratio import report_throughput
from fractalops.cli.devserver import DevServer, free_port
from fractalops.planes.warehouse import open_warehouse

KEY, PROJECT_KEY = "bench-key", "phc_bench"
COLUMNS = ["event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs"]
WARMUP = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _posthog_batch(size: int) -> tuple[bytes, list[str]]:
    names = ("$pageview", "$autocapture", "$pageleave", "$identify")
    events = [{"uuid": str(uuid.uuid4()), "event": names[i % 4], "distinct_id": f"user-{i % 97}",
               "timestamp": datetime.now(UTC).isoformat(),
               "properties": {"$session_id": f"sess-{i % 31}", "$current_url": f"https://shop.example/p/{i % 40}",
                              "$browser": "Firefox", "$os": "Linux", "$lib": "web", "$lib_version": "1.200.0",
                              "$screen_width": 1920, "$screen_height": 1080}}
              for i in range(size)]
    body = {"batch": events, "api_key": PROJECT_KEY, "sent_at": datetime.now(UTC).isoformat(),
            "historical_migration": False}
    return json.dumps(body).encode(), [e["uuid"] for e in events]


def _otlp_batch(size: int) -> tuple[bytes, list[str]]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-api", "deployment.environment": "prod"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    for i in range(size // 2):
        with tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER, attributes={
                "http.request.method": "GET", "http.route": "/cart", "http.response.status_code": 200,
                "url.path": f"/cart/{i}", "session.id": f"sess-{i % 31}"}):
            with tracer.start_as_current_span("SELECT carts", kind=SpanKind.CLIENT, attributes={
                    "db.system.name": "postgresql", "db.query.text": "SELECT * FROM carts WHERE id = $1"}):
                pass
    provider.shutdown()
    spans = memory.get_finished_spans()
    return encode_spans(spans).SerializeToString(), [f"{s.context.span_id:016x}" for s in spans]


def _post(client: httpx.Client, path: str, body: bytes, headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    response = client.post(path, content=body, headers=headers)
    elapsed = time.perf_counter() - t0
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return elapsed


CASES = {
    "posthog_batch_100": ("/batch/", lambda: _posthog_batch(100), {"content-type": "application/json"}),
    "posthog_batch_1000": ("/batch/", lambda: _posthog_batch(1000), {"content-type": "application/json"}),
    "otlp_protobuf_512": ("/v1/traces", lambda: _otlp_batch(512),
                          {"content-type": "application/x-protobuf", "x-api-key": KEY}),
}


def _ingest(server: DevServer, rounds: int) -> dict[str, list[tuple[float, list[str]]]]:
    timed: dict[str, list[tuple[float, list[str]]]] = {}
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for name, (path, make, headers) in CASES.items():
            batches = [make() for _ in range(WARMUP + rounds)]
            runs = [(_post(client, path, body, headers), ids) for body, ids in batches]
            timed[name] = runs[WARMUP:]
    return timed


def _raw(data_dir: Path, timed: dict[str, list[tuple[float, list[str]]]]) -> dict[str, list[float]]:
    baseline: dict[str, list[float]] = {}
    with open_warehouse(data_dir) as warehouse:
        raw = clickhouse_connect.get_client(dsn=f"chdb://{warehouse.location}")
        for name, runs in timed.items():
            baseline[name] = []
            for _, ids in runs:
                rows = warehouse.query(f"SELECT {', '.join(COLUMNS)} FROM events WHERE event_id IN {{ids:Array(String)}}",
                                       {"ids": ids})
                if len(rows) != len(ids):
                    raise SystemExit(f"{name}: {len(ids)} sent, {len(rows)} stored")
                columns: list[list[Any]] = [[r[c] for r in rows] for c in COLUMNS]
                columns[1] = [((ts if ts.tzinfo else ts.replace(tzinfo=UTC)) - _EPOCH) // _MS for ts in columns[1]]
                t0 = time.perf_counter()
                raw.insert("events", columns, column_names=COLUMNS, column_oriented=True)
                baseline[name].append(time.perf_counter() - t0)
        raw.close()
    return baseline



def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = json.dumps({KEY: {"identity": "bench", "roles": ["telemetry"], "project": "bench"}})
        server = DevServer(root / "data", port=free_port(), env={
            "FRACTALOPS_API_KEYS": keys, "FRACTALOPS_POSTHOG_KEYS": json.dumps({PROJECT_KEY: "bench"})}).start()
        try:
            timed = _ingest(server, rounds)
        finally:
            server.stop()
        baseline = _raw(root / "data", timed)
    for name, runs in timed.items():
        size = len(runs[0][1])
        print(f"\n{name}: {size} events per batch, {len(runs)} batches")
        report_throughput(f"telemetry_ingest_{name}", [size / t for t, _ in runs], [size / t for t in baseline[name]],
                          0.5, "events")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
