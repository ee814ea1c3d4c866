"""OTLP bodies from the real SDK encoders, OTLP JSON with hex ids, malformed items, and the OTLP answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from fractalops.errors import TelemetryBodyError
from fractalops.planes.telemetry import otlp
from tests.planes.telemetry._otel import logs_body, spans, traces_body, web_request

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def _json_traces(*items: dict) -> bytes:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "js-app"}}]},
        "scopeSpans": [{"scope": {"name": "js"}, "spans": list(items)}]}]}).encode()


SPAN_JSON = {"traceId": TRACE, "spanId": SPAN, "name": "GET /", "kind": 2, "startTimeUnixNano": "1767225600000000000",
             "endTimeUnixNano": "1767225600500000000",
             "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}},
                            {"key": "session.id", "value": {"stringValue": "sess-9"}}]}


def test_sdk_spans_decode_with_their_conventions_kinds_and_ids() -> None:
    made = spans(web_request)
    items = otlp.trace_candidates(encode_spans(made).SerializeToString(), otlp.PROTOBUF)
    by_name = {i.name: i for i in items}
    assert len(items) == len(made) == 5 and not any(i.problem for i in items)
    assert (by_name["GET /cart"].convention, by_name["GET /cart"].kind) == ("http", "server")
    assert by_name["SELECT carts"].convention == "db"
    assert by_name["prices/Get"].convention == "rpc"  # rpc wins over its http.* attributes
    assert (by_name["publish cart"].convention, by_name["publish cart"].kind) == ("messaging", "producer")
    assert by_name["recompute-totals"].convention == "" and by_name["recompute-totals"].kind == "internal"
    server = next(s for s in made if s.name == "GET /cart")
    item = by_name["GET /cart"]
    assert item.key == f"{server.context.trace_id:032x}:{server.context.span_id:016x}"
    assert item.fields["event_id"] == f"{server.context.span_id:016x}"
    assert item.fields["trace_id"] == f"{server.context.trace_id:032x}"
    assert item.fields["session_id"] == "sess-from-resource"
    assert item.fields["ts"] == datetime.fromtimestamp(server.start_time // 10**6 / 1000, UTC)
    attrs = item.fields["attrs"]
    assert attrs["attributes"] == {"http.request.method": "GET", "http.route": "/cart"}
    assert attrs["resource"]["service.name"] == "shop-api" and attrs["scope"]["name"] == "tests.telemetry"
    assert by_name["SELECT carts"].fields["attrs"]["parent_span_id"] == f"{server.context.span_id:016x}"


def test_a_quarantined_spans_raw_payload_is_a_request_of_that_span_alone() -> None:
    items = otlp.trace_candidates(traces_body(web_request), otlp.PROTOBUF)
    lone = next(i for i in items if i.name == "recompute-totals")
    again = otlp.trace_candidates(lone.raw(), otlp.PROTOBUF)
    assert len(again) == 1 and again[0].key == lone.key and again[0].fields == lone.fields


def test_otlp_json_with_hex_ids_decodes_like_protobuf() -> None:
    item, = otlp.trace_candidates(_json_traces(SPAN_JSON), otlp.JSON)
    assert not item.problem and item.key == f"{TRACE}:{SPAN}" and item.fields["event_id"] == SPAN
    assert (item.convention, item.kind, item.fields["session_id"]) == ("http", "server", "sess-9")
    assert item.fields["attrs"]["resource"] == {"service.name": "js-app"}
    assert otlp.trace_candidates(item.raw(), otlp.JSON)[0].fields == item.fields


@pytest.mark.parametrize("change, reason", [
    ({"traceId": "zz" * 16}, "traceId"),
    ({"traceId": "00" * 16}, "trace_id is 16 byte(s) of zeros"),
    ({"spanId": "abcd"}, "span_id is 2 byte(s)"),
    ({"startTimeUnixNano": "0"}, "start_time_unix_nano is missing"),
    ({"endTimeUnixNano": "1767225599000000000"}, "ends"),
    ({"startTimeUnixNano": "18446744073709551615", "endTimeUnixNano": "18446744073709551615"}, "after 2299"),
    ({"name": {"not": "a string"}}, "name"),
])
def test_one_malformed_json_span_is_quarantined_while_the_rest_land(change: dict, reason: str) -> None:
    good, bad = otlp.trace_candidates(_json_traces(SPAN_JSON, {**SPAN_JSON, "spanId": "11" * 8, **change}), otlp.JSON)
    assert not good.problem and reason in bad.problem
    assert bad.key.startswith("sha256:") and json.loads(bad.raw())["resourceSpans"][0]["scopeSpans"][0]["spans"][0][
        "spanId"] == {**SPAN_JSON, "spanId": "11" * 8, **change}["spanId"]


@pytest.mark.parametrize("raw, media, status, fragment", [
    (b"\x0a\xff\xff\xff\xff\x0f", otlp.PROTOBUF, 400, "not a protobuf ExportTraceServiceRequest"),
    (b"{", otlp.JSON, 400, "not JSON"),
    (b"[]", otlp.JSON, 400, "JSON list"),
    (b'{"resourceSpans": {}}', otlp.JSON, 400, "must be a list"),
])
def test_an_undecodable_body_is_refused_whole(raw: bytes, media: str, status: int, fragment: str) -> None:
    with pytest.raises(TelemetryBodyError, match=fragment) as caught:
        otlp.trace_candidates(raw, media)
    assert caught.value.status == status


def test_content_types() -> None:
    assert otlp.media_type_of("application/x-protobuf") == otlp.media_type_of("") == otlp.PROTOBUF
    assert otlp.media_type_of("application/json; charset=utf-8") == otlp.JSON
    with pytest.raises(TelemetryBodyError) as caught:
        otlp.media_type_of("text/plain")
    assert caught.value.status == 415


def test_sdk_log_records_decode_with_event_names_exceptions_and_trace_context() -> None:
    def record(logger) -> None:
        logger.emit(body="cart shown", severity_text="INFO", attributes={"cart.size": 3})
        logger.emit(body="checkout", event_name="checkout_done", attributes={"total": 9.5})
        logger.emit(body="boom", attributes={"exception.type": "ValueError", "exception.message": "bad"})

    plain, event, failure = otlp.log_candidates(logs_body(record), otlp.PROTOBUF)
    assert (plain.name, plain.signal, plain.exception) == ("", "logs", False)
    assert plain.fields["attrs"]["body"] == "cart shown" and plain.fields["attrs"]["attributes"] == {"cart.size": 3}
    assert event.name == "checkout_done" and failure.exception
    assert len({plain.key, event.key, failure.key}) == 3
    assert otlp.log_candidates(plain.raw(), otlp.PROTOBUF)[0].key == plain.key


def test_a_log_record_with_a_short_trace_id_or_no_time_is_malformed() -> None:
    body = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1767225600000000000", "traceId": "abcd", "body": {"stringValue": "x"}},
        {"body": {"stringValue": "no time"}},
        {"observedTimeUnixNano": "1767225600000000000", "body": {"stringValue": "ok"}}]}]}]}).encode()
    short, timeless, fine = otlp.log_candidates(body, otlp.JSON)
    assert "trace_id is 2 byte(s)" in short.problem and "neither time_unix_nano" in timeless.problem
    assert not fine.problem and fine.fields["ts"] == datetime(2026, 1, 1, tzinfo=UTC)


def test_answers_are_valid_otlp_messages_with_partial_success() -> None:
    empty = ExportTraceServiceResponse.FromString(otlp.trace_response(0, "", otlp.PROTOBUF))
    assert not empty.HasField("partial_success")
    partial = ExportTraceServiceResponse.FromString(otlp.trace_response(3, "unknown span names", otlp.PROTOBUF))
    assert partial.partial_success.rejected_spans == 3 and partial.partial_success.error_message == "unknown span names"
    as_json = json.loads(otlp.trace_response(2, "x", otlp.JSON))
    assert as_json == {"partialSuccess": {"rejectedSpans": "2", "errorMessage": "x"}}
    logs = ExportLogsServiceResponse.FromString(otlp.logs_response(1, "y", otlp.PROTOBUF))
    assert logs.partial_success.rejected_log_records == 1
    status = status_pb2.Status.FromString(otlp.status_body(413, "too big", otlp.PROTOBUF))
    assert (status.code, status.message) == (8, "too big")


def test_protobuf_raw_payloads_render_as_otlp_json_with_hex_ids() -> None:
    request = json_format.ParseDict({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "S/kvNXezTaajzpKdDg5HNg==", "spanId": "APBnqgupArc=", "name": "x", "kind": "SPAN_KIND_SERVER",
        "startTimeUnixNano": "1"}]}]}]}, ExportTraceServiceRequest())
    text = otlp.as_otlp_json(request.SerializeToString(), otlp.PROTOBUF, "traces")
    span = json.loads(text)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert (span["traceId"], span["spanId"]) == (TRACE, SPAN)
