"""The telemetry routes in process (Starlette's TestClient, a real data dir and chdb warehouse): what each client is
answered, in the shape it reads. The real server, real clients and the key checks are in tests/e2e/test_telemetry.py."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fractalops.planes.warehouse import close_warehouse
from fractalops.server import telemetry_routes
from tests.planes.telemetry._otel import traces_body, web_request

SENDER = {"identity": "collector", "roles": ["telemetry"], "project": "shop"}
OPERATOR = {"identity": "alice", "roles": ["operator"]}


def _as(user: dict, app):  # what the LangGraph server's auth puts in the scope
    async def authed(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "user": user}
        await app(scope, receive, send)
    return authed


@pytest.fixture
def routes_app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Starlette]:
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", json.dumps({"phc_shop": "shop"}))
    monkeypatch.setenv("FRACTALOPS_TELEMETRY_MAX_BODY", str(64 * 1024))
    monkeypatch.delenv("FRACTALOPS_METRICS_OTLP_URL", raising=False)
    telemetry_routes._intake.cache_clear()
    yield Starlette(routes=telemetry_routes.routes)
    telemetry_routes._intake.cache_clear()
    close_warehouse()


def _client(app: Starlette, user: dict) -> TestClient:
    return TestClient(_as(user, app))


def _batch(*events: dict, key: str = "phc_shop") -> dict:
    return {"batch": list(events), "api_key": key, "sent_at": "2026-01-01T00:00:00Z", "historical_migration": False}


def _event(name: str = "$pageview") -> dict:
    return {"uuid": str(uuid.uuid4()), "event": name, "distinct_id": "u", "timestamp": "2026-01-01T00:00:00Z",
            "properties": {}}


def test_posthog_answers(routes_app: Starlette) -> None:
    client = _client(routes_app, {"identity": "posthog-intake", "roles": []})
    ok = client.post("/batch/", json=_batch(_event(), _event("checkout_done"), {"event": 1}))
    assert ok.status_code == 200 and ok.json()["status"] == 1
    assert (ok.json()["stored"], ok.json()["quarantined"]) == (1, 2)
    packed = client.post("/batch/", content=gzip.compress(json.dumps(_batch(_event())).encode()),
                         headers={"content-encoding": "gzip", "content-type": "application/json"})
    js = client.post("/e/?compression=gzip-js", content=gzip.compress(json.dumps({**_event(), "token": "phc_shop"})
                                                                      .encode()))
    assert packed.json()["stored"] == 1 and js.json()["stored"] == 1
    for response, status in ((client.post("/batch/", content=b"{oops"), 400),
                             (client.post("/batch/", json=_batch(_event(), key="phc_other")), 401),
                             (client.post("/capture/", json={"event": "x", "distinct_id": "u"}), 401),
                             (client.post("/batch/", content=gzip.compress(b"\0" * 200_000),
                                          headers={"content-encoding": "gzip"}), 413),
                             (client.post("/batch/", content=b"{}", headers={"content-encoding": "br"}), 415)):
        assert response.status_code == status, response.text
        assert response.json()["detail"]  # what the PostHog client logs
    assert client.post("/flags/?v=2", json={"api_key": "phc_shop", "distinct_id": "u"}).json() == {
        "flags": {}, "errorsWhileComputingFlags": False}
    assert client.post("/flags/?v=2", json={"api_key": "nope"}).status_code == 401
    stats = _client(routes_app, OPERATOR).get("/telemetry/stats").json()["posthog"]
    assert stats == {"received": 5, "stored": 3, "quarantined": 2, "duplicates": 0, "refused": 5}


def test_otlp_answers_in_the_requests_encoding(routes_app: Starlette) -> None:
    client = _client(routes_app, SENDER)
    body = traces_body(web_request)
    first = client.post("/v1/traces", content=gzip.compress(body),
                        headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-type"] == "application/x-protobuf"
    partial = ExportTraceServiceResponse.FromString(first.content).partial_success
    assert partial.rejected_spans == 1 and "recompute-totals" in partial.error_message
    again = client.post("/v1/traces", content=body, headers={"content-type": "application/x-protobuf"})
    assert not ExportTraceServiceResponse.FromString(again.content).HasField("partial_success")  # all duplicates
    broken = client.post("/v1/traces", content=b"\x0a\xff\xff", headers={"content-type": "application/x-protobuf"})
    assert broken.status_code == 400 and "not a protobuf" in status_pb2.Status.FromString(broken.content).message
    as_json = client.post("/v1/logs", json={"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1767225600000000000", "body": {"stringValue": "hi"}}]}]}]})
    assert as_json.status_code == 200 and as_json.json() == {}
    wrong = client.post("/v1/traces", content=b"x", headers={"content-type": "text/plain"})
    assert wrong.status_code == 415
    stats = _client(routes_app, OPERATOR).get("/telemetry/stats").json()
    assert stats["otel_traces"] == {"received": 5, "stored": 4, "quarantined": 1, "duplicates": 5, "refused": 2}
    assert stats["otel_logs"]["stored"] == 1


def test_nothing_stored_answers_503_and_the_retry_lands_once(routes_app: Starlette) -> None:
    from fractalops.planes.warehouse import get_warehouse

    client = _client(routes_app, {"identity": "posthog-intake", "roles": []})
    body = _batch(_event(), _event())
    intake = telemetry_routes.intake()
    closed = get_warehouse()
    closed.close()
    working = intake._warehouse
    intake._warehouse = lambda: closed
    try:
        refused = client.post("/batch/", json=body)
    finally:
        intake._warehouse = working
    assert refused.status_code == 503 and "nothing was stored" in refused.json()["detail"]
    assert client.post("/batch/", json=body).json()["stored"] == 2
    assert intake.store.stats()["posthog"]["received"] == 2


def test_metrics_without_a_backend_are_404(routes_app: Starlette) -> None:
    response = _client(routes_app, SENDER).post("/v1/metrics", content=b"", headers={
        "content-type": "application/x-protobuf"})
    assert response.status_code == 404
    assert "FRACTALOPS_METRICS_OTLP_URL" in status_pb2.Status.FromString(response.content).message


def test_operator_routes_list_show_and_replay(routes_app: Starlette) -> None:
    _client(routes_app, {"identity": "posthog-intake", "roles": []}).post("/batch/", json=_batch(
        *[_event("newsletter_joined") for _ in range(3)]))
    operator = _client(routes_app, OPERATOR)
    page = operator.get("/telemetry/quarantine", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next"]
    assert set(page["items"][0]) == {"source", "reason", "received_at", "raw_ref"}
    rest = operator.get("/telemetry/quarantine", params={"cursor": page["next"]}).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    shown = operator.get("/telemetry/quarantine/raw", params={"ref": page["items"][0]["raw_ref"]}).json()
    assert json.loads(shown["text"])["event"] == "newsletter_joined" and shown["media_type"] == "application/json"
    assert operator.get("/telemetry/quarantine/raw", params={"ref": "sha256:" + "1" * 64}).status_code == 404
    assert operator.get("/telemetry/quarantine/raw", params={"ref": "nope"}).status_code == 422
    replay = operator.post("/telemetry/replay-quarantine", json={"project": "shop"}).json()
    assert (replay["examined"], replay["classified"]) == (3, 0)
    assert operator.post("/telemetry/replay-quarantine", json={"source": "kafka"}).status_code == 422


def test_the_access_table_refuses_other_roles(routes_app: Starlette) -> None:
    reviewer = _client(routes_app, {"identity": "bob", "roles": ["approver"]})
    operator = _client(routes_app, OPERATOR)
    before = operator.get("/telemetry/stats").json()
    assert reviewer.post("/v1/traces", content=b"").status_code == 403
    assert reviewer.post("/v1/logs", content=b"").status_code == 403
    after = operator.get("/telemetry/stats").json()
    assert {s: after[s]["refused"] - before[s]["refused"] for s in after} == {
        "posthog": 0, "otel_traces": 1, "otel_logs": 1}, "a key that may not send is a body refused whole"
    assert reviewer.get("/telemetry/stats").status_code == 403
    assert _client(routes_app, SENDER).get("/telemetry/stats").status_code == 403
