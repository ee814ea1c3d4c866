"""Real OTel SDK spans and log records, encoded exactly as the OTLP/HTTP exporters encode them."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer

RESOURCE = Resource.create({"service.name": "shop-api", "session.id": "sess-from-resource"})


def spans(record: Callable[[Tracer], None]) -> list[ReadableSpan]:
    """The spans `record` makes with a real tracer."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    record(provider.get_tracer("tests.telemetry"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def traces_body(record: Callable[[Tracer], None]) -> bytes:
    """The protobuf body the OTLP/HTTP span exporter would send for those spans."""
    return encode_spans(spans(record)).SerializeToString()


def logs_body(record: Callable[[object], None]) -> bytes:
    """The protobuf body the OTLP/HTTP log exporter would send for what `record` logs with a real logger."""
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    record(provider.get_logger("tests.telemetry"))
    provider.shutdown()
    return encode_logs(memory.get_finished_logs()).SerializeToString()


def web_request(tracer: Tracer) -> None:
    """An HTTP server span with a DB call, an RPC client call, a message publish and an unconventional span."""
    with tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER,
                                      attributes={"http.request.method": "GET", "http.route": "/cart"}):
        with tracer.start_as_current_span("SELECT carts", kind=SpanKind.CLIENT,
                                          attributes={"db.system.name": "postgresql", "db.query.text": "SELECT 1"}):
            pass
        with tracer.start_as_current_span("prices/Get", kind=SpanKind.CLIENT,
                                          attributes={"rpc.system": "grpc", "http.request.method": "POST"}):
            pass
        with tracer.start_as_current_span("publish cart", kind=SpanKind.PRODUCER,
                                          attributes={"messaging.system": "kafka"}):
            pass
        with tracer.start_as_current_span("recompute-totals"):
            pass
