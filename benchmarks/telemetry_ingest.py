"""Telemetry ingest: classified intake through the HTTP endpoint vs a raw clickhouse-connect insert of the same rows.

The intake side posts PostHog `/batch/` bodies (as the official client sends them) and OTLP protobuf `/v1/traces`
bodies (as the OTLP/HTTP exporter sends them, from real SDK spans) to a real `langgraph dev` and times each request
end to end: HTTP, the server surface and auth, decoding, validation, classification into ontology ids, the dedupe
index and counts, one batched warehouse insert. Right after each request, the baseline inserts exactly the rows that
request stored into the same warehouse with one raw clickhouse-connect insert (in the server process, which owns the
embedded warehouse: `benchmarks/_telemetry_bench_app.py`), timed around the insert call alone. Interleaving the two
gives both the same machine at the same moment. Target: ingest throughput >= 0.5x the raw insert's, per batch size.

Usage: python benchmarks/telemetry_ingest.py [ROUNDS]  (default 30 timed batches per case, after 3 warm-up batches)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from benchmarks._ratio import report_throughput
from fractalops.cli.devserver import PROJECT_CONFIG, DevServer, free_port

KEY, OPERATOR_KEY, PROJECT_KEY = "bench-telemetry-key", "bench-operator-key", "phc_bench"
WARMUP = 3


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


def _raw(client: httpx.Client, ids: list[str]) -> float:
    answer = client.post("/bench/raw-insert", json={"event_ids": ids}, headers={"x-api-key": OPERATOR_KEY}).json()
    if answer["rows"] != len(ids):
        raise SystemExit(f"{len(ids)} sent, {answer['rows']} stored")
    return answer["seconds"]


CASES = {
    "posthog_batch_100": ("/batch/", lambda: _posthog_batch(100), {"content-type": "application/json"}),
    "posthog_batch_1000": ("/batch/", lambda: _posthog_batch(1000), {"content-type": "application/json"}),
    "otlp_protobuf_512": ("/v1/traces", lambda: _otlp_batch(512),
                          {"content-type": "application/x-protobuf", "x-api-key": KEY}),
}


def _server(root: Path) -> DevServer:
    config = json.loads(PROJECT_CONFIG.read_text())
    config["http"]["app"] = f"{Path(__file__).resolve().with_name('_telemetry_bench_app.py')}:app"
    config_path = root / "langgraph.json"
    config_path.write_text(json.dumps(config))
    keys = json.dumps({KEY: {"identity": "bench-collector", "roles": ["telemetry"], "project": "bench"},
                       OPERATOR_KEY: {"identity": "bench", "roles": ["operator"]}})
    return DevServer(root / "data", port=free_port(), config=config_path, env={
        "FRACTALOPS_API_KEYS": keys, "FRACTALOPS_POSTHOG_KEYS": json.dumps({PROJECT_KEY: "bench"})}).start()


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = _server(Path(tmp))
        try:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                for name, (path, make, headers) in CASES.items():
                    ingest, raw = [], []
                    for i in range(WARMUP + rounds):
                        body, ids = make()
                        took = _post(client, path, body, headers)
                        baseline = _raw(client, ids)
                        if i >= WARMUP:
                            ingest.append(len(ids) / took)
                            raw.append(len(ids) / baseline)
                    print(f"\n{name}: {len(ids)} events per batch, {rounds} batches")
                    report_throughput(f"telemetry_ingest_{name}", ingest, raw, 0.5, "events")
        finally:
            server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
