"""Telemetry on a real `langgraph dev`: the official PostHog client and OTel SDK exporters, exact counts, the
quarantine loop through the gate and the CLI, bad input, metrics forwarding, and counts that survive a restart."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import posthog
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from typer.testing import CliRunner

from fractalops.cli.main import app
from tests.e2e.conftest import Server, start_server
from tests.planes.telemetry._receiver import MetricsReceiver

pytestmark = pytest.mark.server

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
PROJECT_KEY = "phc_shop_e2e"
LIMIT = 512 * 1024
"""The server's FRACTALOPS_TELEMETRY_MAX_BODY here: far above any normal batch, below one body the test makes."""
FIELDS = ("received", "stored", "quarantined", "duplicates", "refused")


@pytest.fixture(scope="module")
def mimir() -> Iterator[MetricsReceiver]:
    with MetricsReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mimir: MetricsReceiver) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("telemetry-server"), FRACTALOPS_POSTHOG_KEYS=json.dumps(
        {PROJECT_KEY: "shop", "phc_blog_e2e": "blog"}), FRACTALOPS_TELEMETRY_MAX_BODY=str(LIMIT),
        FRACTALOPS_METRICS_OTLP_URL=mimir.url)
    yield srv
    srv.dev.stop()


def _operator(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"x-api-key": "key-alice"}, timeout=60)


def _stats(server: Server, project: str | None = None) -> dict[str, dict[str, int]]:
    with _operator(server) as client:
        stats = client.get("/telemetry/stats", params={"project": project} if project else None).json()
    for source, counts in stats.items():
        assert counts["received"] == counts["stored"] + counts["quarantined"], (source, counts)
    return stats


def _delta(before: dict, after: dict) -> dict[str, dict[str, int]]:
    return {s: {f: after[s][f] - before[s][f] for f in FIELDS} for s in after}


def _sql(server: Server, sql: str) -> list[dict[str, Any]]:
    with _operator(server) as client:
        response = client.post("/warehouse/query", json={"sql": sql})
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def _cli(server: Server, monkeypatch: pytest.MonkeyPatch, *argv: str) -> Any:
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    result = CliRunner().invoke(app, [*argv, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _tracer_provider(server: Server, memory: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-api"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"x-api-key": "key-tele"}, compression=Compression.Gzip),
        max_queue_size=20000, max_export_batch_size=512))
    return provider


def _raw_posthog(server: Server, events: list[Any], key: str = PROJECT_KEY, **kwargs: Any) -> httpx.Response:
    body = {"batch": events, "api_key": key, "sent_at": "2026-01-01T00:00:00Z", "historical_migration": False}
    return httpx.post(f"{server.url}/batch/", json=body, timeout=60, **kwargs)


def test_real_clients_ten_thousand_events_and_spans_counted_exactly(server: Server,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = _stats(server)
    # OpenTelemetry: 1000 requests of 4 spans each (HTTP server, DB, RPC client, an unconventional one)
    memory = InMemorySpanExporter()
    tracer_provider = _tracer_provider(server, memory)
    tracer = tracer_provider.get_tracer("shop")
    trace_ids: list[str] = []
    for i in range(1000):
        with tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER, attributes={
                "http.request.method": "GET", "http.route": "/cart", "session.id": f"sess-{i % 50}"}) as root:
            trace_ids.append(f"{root.get_span_context().trace_id:032x}")
            with tracer.start_as_current_span("SELECT carts", kind=SpanKind.CLIENT, attributes={
                    "db.system.name": "postgresql"}):
                pass
            with tracer.start_as_current_span("prices/Get", kind=SpanKind.CLIENT, attributes={"rpc.system": "grpc"}):
                pass
            with tracer.start_as_current_span("recompute-totals"):
                pass
    assert tracer_provider.force_flush(60_000)
    finished = memory.get_finished_spans()
    retry = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces", headers={"x-api-key": "key-tele"})
    assert retry.export(finished[:400]) == SpanExportResult.SUCCESS  # the same spans again: a retry
    tracer_provider.shutdown()

    # OpenTelemetry logs: 600 records, a third of them carrying an event name nobody mapped
    logger_provider = LoggerProvider(resource=Resource.create({"service.name": "shop-api"}))
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(
        endpoint=f"{server.url}/v1/logs", headers={"x-api-key": "key-tele"}, compression=Compression.Gzip),
        max_queue_size=5000))
    otel_logger = logger_provider.get_logger("shop")
    for i in range(600):
        otel_logger.emit(body=f"cart {i}", event_name="cart_recalculated" if i % 3 == 0 else None,
                         attributes={"cart.size": i % 7})
    assert logger_provider.force_flush(60_000)
    logger_provider.shutdown()

    # PostHog: 6000 events through the official client, some joined to the traces above
    client = posthog.Posthog(PROJECT_KEY, host=server.url, max_queue_size=20000, gzip=True)
    sent: list[str] = []
    names = ("$pageview", "$autocapture", "$pageleave", "$identify", "checkout_done")
    for i in range(6000):
        props = {"$session_id": f"sess-{i % 50}", "$current_url": f"https://shop.example/p/{i % 40}"}
        if i < len(trace_ids):
            props["$trace_id"] = trace_ids[i]
        event_uuid = client.capture(names[i % len(names)], distinct_id=f"user-{i % 300}", properties=props)
        assert event_uuid
        sent.append(event_uuid)
    client.flush()
    resent = 250  # a retry of events already acknowledged: same uuid, same content
    for i in range(resent):
        client.capture(names[i % len(names)], distinct_id=f"user-{i % 300}", uuid=sent[i], properties={
            "$session_id": f"sess-{i % 50}", "$current_url": f"https://shop.example/p/{i % 40}",
            "$trace_id": trace_ids[i]})
    client.flush()
    # one body over the limit: the client is answered 413 and drops it
    client.capture("$pageview", distinct_id="user-big", properties={"blob": "x" * (LIMIT + 100_000)})
    client.flush()
    client.shutdown()
    # what a broken client sends: wrong types, no uuid, bad timestamps (and the same malformed batch twice)
    malformed = [{"event": "$pageview", "distinct_id": {"no": "object"}, "uuid": str(uuid.uuid4())},
                 {"event": "$pageview", "distinct_id": "user-1", "timestamp": "last tuesday"},
                 {"event": "$pageview", "distinct_id": "user-1", "uuid": "123"},
                 {"event": 42, "distinct_id": "user-1"}, "just a string",
                 {"event": "$pageview", "distinct_id": "user-2", "timestamp": "2026-01-05T10:00:00Z"}]  # no uuid
    for _ in range(2):
        assert _raw_posthog(server, malformed).status_code == 200

    printed = _cli(server, monkeypatch, "telemetry", "stats")  # `fractalops telemetry stats --json`, exactly
    assert list(printed) == ["posthog", "otel_traces", "otel_logs"]
    assert all(list(counts) == list(FIELDS) and all(type(n) is int for n in counts.values())
               for counts in printed.values()), printed
    delta = _delta(before, printed)
    assert printed == _stats(server)
    spans_sent = len(finished) + 400
    assert delta["otel_traces"]["received"] + delta["otel_traces"]["duplicates"] == spans_sent
    assert delta["otel_traces"] == {"received": 4000, "stored": 3000, "quarantined": 1000, "duplicates": 400,
                                    "refused": 0}
    assert delta["otel_logs"] == {"received": 600, "stored": 400, "quarantined": 200, "duplicates": 0, "refused": 0}
    posthog_sent = len(sent) + resent + 2 * len(malformed)
    assert delta["posthog"]["received"] + delta["posthog"]["duplicates"] == posthog_sent
    assert delta["posthog"] == {"received": 6006, "stored": 4801, "quarantined": 1205, "duplicates": 256,
                                "refused": 1}
    assert sum(d["received"] + d["duplicates"] for d in delta.values()) >= 10_000

    stored = {r["source"]: int(r["n"]) for r in _sql(server, "SELECT source, count() AS n, uniqExact(event_id) AS u "
                                                            "FROM events WHERE project = 'shop' GROUP BY source")}
    totals = _stats(server, "shop")
    assert stored["otel_traces"] == totals["otel_traces"]["stored"] and stored["posthog"] == totals["posthog"]["stored"]
    joined = _sql(server, "SELECT count() AS n FROM events AS e INNER JOIN events AS s ON e.trace_id = s.trace_id "
                          "WHERE e.source = 'posthog' AND s.source = 'otel_traces' AND s.ontology_id LIKE '%HttpServer%'"
                          " AND e.session_id = s.session_id")
    assert int(joined[0]["n"]) == 800, "bug replay joins PostHog sessions to their traces"
    pageview = _sql(server, f"SELECT ontology_id, session_id, trace_id, attrs FROM events WHERE event_id = '{sent[0]}'")
    assert pageview[0]["ontology_id"] == "https://fractalops.dev/ontology#PageView"
    assert pageview[0]["trace_id"] == trace_ids[0] and pageview[0]["session_id"] == "sess-0"
    assert json.loads(pageview[0]["attrs"])["distinct_id"] == "user-0"


def test_the_quarantine_loop_through_the_gate_and_the_cli(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    events = [{"uuid": str(uuid.uuid4()), "event": "newsletter_joined", "distinct_id": f"u{i}",
               "timestamp": "2026-01-03T09:00:00Z", "properties": {"list": "weekly"}} for i in range(3)]
    before = _stats(server)
    assert _raw_posthog(server, events, key="phc_blog_e2e").json()["quarantined"] == 3
    step = _delta(before, _stats(server))["posthog"]
    assert (step["received"], step["quarantined"], step["stored"]) == (3, 3, 0)

    waiting = _cli(server, monkeypatch, "telemetry", "quarantine", "--project", "blog")
    assert len(waiting["items"]) == 3 and all("'newsletter_joined'" in i["reason"] for i in waiting["items"])
    assert set(waiting) == {"items", "next"} and waiting["next"] is None
    assert set(waiting["items"][0]) == {"source", "reason", "received_at", "raw_ref"}
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    shown = CliRunner().invoke(app, ["telemetry", "quarantine", "show", waiting["items"][0]["raw_ref"]])
    assert shown.exit_code == 0 and json.loads(shown.stdout) in events

    proposed = _cli(server, monkeypatch, "telemetry", "map", "--project", "blog", "newsletter_joined=fo:SignUp")
    assert proposed["waiting"] is True and [p["local_term"] for p in proposed["proposals"]] == ["newsletter_joined"]
    assert proposed["proposals"][0]["waiting"] == 3
    assert _delta(before, _stats(server))["posthog"] == step, "proposing moves no count"

    approved = _cli(server, monkeypatch, "approve", proposed["thread_id"])
    assert approved["waiting"] is False
    with _operator(server) as client:
        record = client.get(f"/proposals/{proposed['proposals'][0]['proposal_id']}").json()
    assert record["status"] == "evidenced" and record["executed"]["commit"].startswith("semantics:terms/blog#")
    assert _delta(before, _stats(server))["posthog"] == step, "applying the mapping moves no count"

    replayed = _cli(server, monkeypatch, "telemetry", "replay-quarantine", "--project", "blog")
    assert replayed["classified"] == 3 and replayed["still_quarantined"] == 0
    after = _delta(before, _stats(server))["posthog"]
    assert (after["received"], after["stored"], after["quarantined"]) == (3, 3, 0)
    rows = _sql(server, "SELECT ontology_id, project FROM events WHERE project = 'blog'")
    assert rows == [{"ontology_id": "https://fractalops.dev/ontology#SignUp", "project": "blog"}] * 3
    assert _cli(server, monkeypatch, "telemetry", "quarantine", "--project", "blog")["items"] == []
    assert _raw_posthog(server, events, key="phc_blog_e2e").json()["duplicates"] == 3


def test_bad_input_gets_a_clear_status_and_nothing_is_stored_half_way(server: Server) -> None:
    before = _stats(server)
    rows_before = int(_sql(server, "SELECT count() AS n FROM events")[0]["n"])
    good = {"uuid": str(uuid.uuid4()), "event": "$pageview", "distinct_id": "u"}
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    truncated = gzip.compress(json.dumps({"batch": [good], "api_key": PROJECT_KEY}).encode())[:-12]
    posthog_cases = [
        (dict(content=b"{this is not json"), 400, "not JSON"),
        (dict(content=truncated, headers={"content-encoding": "gzip"}), 400, "truncated gzip"),
        (dict(content=bomb, headers={"content-encoding": "gzip"}), 413, "FRACTALOPS_TELEMETRY_MAX_BODY"),
        (dict(json={"batch": [good], "api_key": "phc_wrong"}), 401, "not known"),
        (dict(json={"batch": [good]}), 401, "no project API key"),
    ]
    for kwargs, status, fragment in posthog_cases:
        response = httpx.post(f"{server.url}/batch/", timeout=60, **kwargs)
        assert response.status_code == status and fragment in response.json()["detail"], response.text
    sender = {"x-api-key": "key-tele", "content-type": "application/x-protobuf"}
    otlp_cases = [
        (dict(content=b"\x0a\x05\xff\xff\xff", headers=sender), 400, "not a protobuf"),
        (dict(content=bomb, headers={**sender, "content-encoding": "gzip"}), 413, "decodes to more than"),
        (dict(content=gzip.compress(b"x" * 1000)[:-8], headers={**sender, "content-encoding": "gzip"}), 400,
         "truncated gzip"),
    ]
    for kwargs, status, fragment in otlp_cases:
        response = httpx.post(f"{server.url}/v1/traces", timeout=60, **kwargs)
        assert response.status_code == status, response.text
        assert fragment in status_pb2.Status.FromString(response.content).message
    # keys: none, wrong, a reviewer's (no telemetry role); a telemetry key reaches nothing but the intake
    assert httpx.post(f"{server.url}/v1/traces", content=b"").status_code == 401
    assert httpx.post(f"{server.url}/v1/traces", content=b"", headers={"x-api-key": "nope"}).status_code == 401
    assert httpx.post(f"{server.url}/v1/traces", content=b"", headers={"x-api-key": "key-bob"}).status_code == 403
    for method, path in (("POST", "/threads"), ("GET", "/telemetry/stats"), ("GET", "/whoami"), ("GET", "/info")):
        assert httpx.request(method, f"{server.url}{path}", headers={"x-api-key": "key-tele"},
                             json={}).status_code == 403, path
    delta = _delta(before, _stats(server))
    assert delta["posthog"] == {"received": 0, "stored": 0, "quarantined": 0, "duplicates": 0, "refused": 5}
    # 3 undecodable bodies and 3 keys (none, wrong, a reviewer's): every body refused whole is counted once
    assert delta["otel_traces"] == {"received": 0, "stored": 0, "quarantined": 0, "duplicates": 0, "refused": 6}
    assert int(_sql(server, "SELECT count() AS n FROM events")[0]["n"]) == rows_before


def test_an_otlp_json_body_with_one_broken_span_lands_the_rest_and_says_so(server: Server) -> None:
    trace = uuid.uuid4().hex
    span = {"traceId": trace, "spanId": "a1b2c3d4e5f60718", "name": "GET /", "kind": "SPAN_KIND_SERVER",
            "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225600100000000",
            "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}}]}
    broken = {**span, "spanId": "not-hex"}
    response = httpx.post(f"{server.url}/v1/traces", headers={"x-api-key": "key-alice"}, json={
        "resourceSpans": [{"scopeSpans": [{"spans": [span, broken]}]}]})
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert "spanId 'not-hex' is not hex" in response.json()["partialSuccess"]["errorMessage"]
    rows = _sql(server, f"SELECT project, event_id FROM events WHERE trace_id = '{trace}'")
    assert rows == [{"project": "default", "event_id": "a1b2c3d4e5f60718"}], "an operator key sends as `default`"


def test_metrics_go_to_mimir_with_the_project_as_tenant(server: Server, mimir: MetricsReceiver) -> None:
    exporter = OTLPMetricExporter(endpoint=f"{server.url}/v1/metrics", headers={"x-api-key": "key-tele"})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=Resource.create({"service.name": "shop-api"}))
    provider.get_meter("shop").create_counter("carts").add(3)
    mimir.arrived.clear()
    assert provider.force_flush(30_000)
    provider.shutdown()
    assert mimir.arrived.wait(10)
    got = mimir.received[-1]
    assert got.path == "/otlp/v1/metrics" and got.headers["x-scope-orgid"] == "shop" and got.body
    assert "x-api-key" not in got.headers
    assert "metric" not in json.dumps(_stats(server)), "metrics are not counted as warehouse telemetry"


def test_counts_survive_a_restart_and_the_warehouse_holds_no_duplicate_row(server: Server) -> None:
    from fractalops.planes.warehouse import close_warehouse, open_warehouse

    before = _stats(server)
    server.dev.stop()
    close_warehouse()
    with open_warehouse(Path(server.data_dir)) as warehouse:
        raw = warehouse._select(warehouse._reader, "SELECT source, count() AS n, uniqExact(project, event_id) AS u "
                                                   "FROM events GROUP BY source", None, {"final": 0})
    by_source = {r["source"]: r for r in raw}
    for source in ("posthog", "otel_traces", "otel_logs"):
        assert int(by_source[source]["n"]) == int(by_source[source]["u"]), f"duplicate rows in {source}"
        assert int(by_source[source]["n"]) == before[source]["stored"], source
    server.restart()
    assert _stats(server) == before


def test_the_readme_telemetry_example_runs_as_written(server: Server, tmp_path: Path) -> None:
    script = tmp_path / "telemetry_example.py"
    script.write_text(README.split("<!-- telemetry-example -->\n```python\n", 1)[1].split("\n```", 1)[0])
    before = _stats(server, "shop")
    env = {**os.environ, "FRACTALOPS_SERVER_URL": server.url, "SHOP_POSTHOG_KEY": PROJECT_KEY,
           "SHOP_TELEMETRY_KEY": "key-tele"}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout == "sent\n", result.stdout + result.stderr
    delta = _delta(before, _stats(server, "shop"))
    assert delta["posthog"] == {"received": 1, "stored": 1, "quarantined": 0, "duplicates": 0, "refused": 0}
    assert delta["otel_traces"] == {"received": 1, "stored": 1, "quarantined": 0, "duplicates": 0, "refused": 0}
