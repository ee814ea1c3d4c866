"""OTLP/HTTP bodies (`/v1/traces`, `/v1/logs`) → one `Candidate` per span or log record, and the OTLP answers.

Protobuf (`application/x-protobuf`, what the Python exporter sends; ids are bytes) is decoded whole with
`Export*ServiceRequest.FromString`: a body that does not decode is refused (400). OTLP JSON (`application/json`;
ids are hex) is decoded group by group and item by item, so one span of the wrong shape is quarantined with its
parser's reason while the rest land. A span is malformed when its trace id is not 16 non-zero bytes, its span id
not 8, or its times are missing, reversed or outside 1970..2299; a log record when its ids have the wrong length
or it has no time at all.

Each item's raw payload (kept in the quarantine's WORM copy, and what a replay decodes) is a request holding only
that item with its resource and scope, in the encoding it came in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from fractalops.errors import TelemetryBodyError
from fractalops.planes.telemetry.model import Candidate, ReadyItems
from fractalops.planes.warehouse.columns import is_stripped

__all__ = ["PROTOBUF", "JSON", "media_type_of", "trace_candidates", "trace_items", "log_candidates", "trace_response",
           "as_otlp_json", "logs_response", "status_body", "CONVENTIONS"]

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CONVENTIONS = ("db", "rpc", "messaging", "http")
"""Semantic-convention namespaces a span is classified by, most specific first (a gRPC span also has http.*)."""
_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {0: "unset", 1: "ok", 2: "error"}
_NS = uuid.UUID("2e0d0f7c-9c5e-4d8e-b7d8-0f4b6a1c3e57")
_MAX_NS = int(datetime(2299, 12, 31, tzinfo=UTC).timestamp()) * 10**9
_SESSION_KEYS = ("session.id", "posthog.session_id", "$session_id")
_ZEROS = {8: bytes(8), 16: bytes(16)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def media_type_of(content_type: str) -> str:
    """`PROTOBUF` or `JSON` for a Content-Type header (a missing one is protobuf); 415 for anything else."""
    value = (content_type or PROTOBUF).split(";", 1)[0].strip().lower()
    if value in (PROTOBUF, "application/protobuf", "application/vnd.google.protobuf"):
        return PROTOBUF
    if value == JSON:
        return JSON
    raise TelemetryBodyError(415, f"Content-Type {content_type!r} is not OTLP; send {PROTOBUF} or {JSON}")


def _value(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, which)


_SCALARS = frozenset({"string_value", "int_value", "bool_value", "double_value"})


def _attrs(kvs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        value = kv.value
        which = value.WhichOneof("value")
        out[kv.key] = getattr(value, which) if which in _SCALARS else _value(value)
    return out


def _scope(scope: InstrumentationScope) -> dict[str, Any]:
    out: dict[str, Any] = {"name": scope.name, "version": scope.version}
    if scope.attributes:
        out["attributes"] = _attrs(scope.attributes)
    return out


def _ts(ns: int) -> datetime:
    """The warehouse's millisecond time of `ns`, in integers (a float of seconds is off by a microsecond in 2299)."""
    return _EPOCH + timedelta(milliseconds=ns // 1_000_000)


def _own_session(attrs: dict[str, Any]) -> str:
    for key in _SESSION_KEYS:
        value = attrs.get(key)
        if type(value) is str and value:
            return value
    return ""


def _session(attrs: dict[str, Any], resource: dict[str, Any]) -> str:
    """The session id an item carries, its own attributes first, then its resource's."""
    return _own_session(attrs) or _own_session(resource)


def _id_problem(value: bytes, size: int, what: str, optional: bool) -> str:
    if len(value) == size and value != _ZEROS[size]:
        return ""
    if optional and not value:
        return ""
    if len(value) != size or not any(value):
        zeros = " of zeros" if value and not any(value) else ""
        return f"{what} is {len(value)} byte(s){zeros}; it must be {size} non-zero bytes"
    return ""


def _content_key(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return "sha256:" + digest.hexdigest()


# -- decoding groups ---------------------------------------------------------------------------------------------

_Group = tuple[Resource, str, InstrumentationScope, str]
"""(resource, its schema url, scope, its schema url) of the items that follow."""


def _parse_proto(data: bytes, cls: type[Message], what: str) -> Any:
    try:
        return cls.FromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise TelemetryBodyError(400, f"request body is not a protobuf {cls.__name__} ({exc}); send OTLP {what} as "
                                      f"{PROTOBUF} or {JSON}; nothing was stored") from None


def _parse_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise TelemetryBodyError(400, f"request body is not JSON ({exc}); send OTLP {what}; nothing was stored"
                                 ) from None
    if not isinstance(doc, dict):
        raise TelemetryBodyError(400, f"request body is JSON {type(doc).__name__}; send an OTLP {what} object")
    return doc


def _list(doc: Any, key: str, where: str) -> list[Any]:
    value = doc.get(key, []) if isinstance(doc, dict) else None
    if not isinstance(value, list):
        raise TelemetryBodyError(400, f"{where}.{key} must be a list; nothing was stored")
    return value


def _json_message(doc: Any, cls: type[Message]) -> tuple[Any, str]:
    """One JSON object as a message, or the parser's reason it is not one."""
    try:
        return json_format.ParseDict(doc if isinstance(doc, dict) else {}, cls(), ignore_unknown_fields=True), (
            "" if isinstance(doc, dict) else f"expected a JSON object, got {type(doc).__name__}")
    except (json_format.ParseError, TypeError, ValueError) as exc:
        return cls(), str(exc)[:300]


def _hex_ids(item: Any, fields: tuple[str, ...]) -> tuple[Any, str]:
    """The item with its hex ids as base64 (what protobuf JSON parsing reads), or why an id is not hex."""
    if not isinstance(item, dict):
        return item, ""
    out = dict(item)
    for name in fields:
        value = out.get(name)
        if value in (None, ""):
            continue
        try:
            out[name] = base64.b64encode(bytes.fromhex(value)).decode()
        except (TypeError, ValueError, binascii.Error):
            return item, f"{name} {str(value)[:40]!r} is not hex"
    if isinstance(out.get("links"), list):
        out["links"] = [_hex_ids(link, ("traceId", "spanId"))[0] for link in out["links"]]
    return out, ""


# -- spans -------------------------------------------------------------------------------------------------------

def _convention(attrs: dict[str, Any]) -> str:
    found, best = "", len(CONVENTIONS)
    ranks = _KEY_RANK
    for key in attrs:
        rank = ranks.get(key)
        if rank is None:
            rank = _key_rank(key)
        if rank < best:
            found, best = CONVENTIONS[rank], rank
    return found


_RANK = {c: i for i, c in enumerate(CONVENTIONS)}
_KEY_RANK: dict[str, int] = {}
"""Attribute key → its convention's rank (len(CONVENTIONS) for none): the same few keys recur in every span."""
_KEY_RANK_MAX = 4096


def _key_rank(key: str) -> int:
    rank = _RANK.get(key.partition(".")[0], len(CONVENTIONS))
    if len(_KEY_RANK) < _KEY_RANK_MAX:  # bounded: a client inventing keys must not grow it without end
        _KEY_RANK[key] = rank
    return rank


def _span_raw(group: _Group, span: Span) -> bytes:
    resource, resource_schema, scope, scope_schema = group
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=resource, schema_url=resource_schema,
        scope_spans=[ScopeSpans(scope=scope, schema_url=scope_schema, spans=[span])])]).SerializeToString()


def _usual(trace: bytes, sid: bytes, parent: bytes, start: int, end: int) -> bool:
    """Ids of the right sizes and not zero, times in order and in range: the test every span passes but a broken
    one (whose reason `_span_problem` then finds)."""
    return not (len(trace) != 16 or trace == _ZEROS[16] or len(sid) != 8 or sid == _ZEROS[8]
                or (parent and (len(parent) != 8 or parent == _ZEROS[8])) or not start or (end and end < start)
                or start > _MAX_NS or end > _MAX_NS)


def _span_problem(span: Span) -> str:
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    problem = (_id_problem(span.trace_id, 16, "trace_id", False) or _id_problem(span.span_id, 8, "span_id", False)
               or _id_problem(span.parent_span_id, 8, "parent_span_id", True))
    if problem:
        return problem
    if not start:
        return "start_time_unix_nano is missing"
    if end and end < start:
        return f"the span ends ({end}) before it starts ({start})"
    if max(start, end) > _MAX_NS:
        return "its times are after 2299-12-31"
    return ""


def _span_detail(span: Span, kind: str, attrs: dict[str, Any], resource: Any, scope: Any, parent: bytes, start: int,
                 end: int) -> dict[str, Any]:
    """The span's warehouse attrs: everything it carries besides its ids (`resource` and `scope` as dicts, or as
    the same dicts already written, `orjson.Fragment`s; the fields the caller read already passed in)."""
    status = span.status
    detail: dict[str, Any] = {
        "name": span.name, "kind": kind, "parent_span_id": parent.hex(),
        "start_time_unix_nano": start, "end_time_unix_nano": end, "duration_ms": (end - start) / 1e6 if end else None,
        "status": {"code": _STATUS.get(status.code, "unset"), "message": status.message},
        "attributes": attrs, "resource": resource, "scope": scope,
    }
    if span.events:
        detail["events"] = [{"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": _attrs(e.attributes)}
                            for e in span.events]
    if span.links:
        detail["links"] = [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()} for link in span.links]
    return detail


def _span_candidate(span: Span, resource: dict[str, Any], scope: dict[str, Any], raw: Callable[[], bytes],
                    media: str, problem: str = "") -> Candidate:
    trace, sid, parent = span.trace_id, span.span_id, span.parent_span_id
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    problem = problem or ("" if _usual(trace, sid, parent, start, end) else _span_problem(span))
    kind = _KINDS.get(span.kind, "unspecified")
    if problem:
        return Candidate(key=_content_key(raw()), name=span.name, raw=raw, media_type=media, problem=problem, kind=kind)
    attrs = _attrs(span.attributes)
    trace_hex, sid_hex = trace.hex(), sid.hex()
    return Candidate(f"{trace_hex}:{sid_hex}", span.name, raw, media, {
        "event_id": sid_hex, "ts": _ts(start), "trace_id": trace_hex, "session_id": _session(attrs, resource),
        "attrs": _span_detail(span, kind, attrs, resource, scope, parent, start, end),
    }, convention=_convention(attrs), kind=kind)


def _proto_spans(data: bytes) -> Iterator[Candidate]:
    request = _parse_proto(data, ExportTraceServiceRequest, "traces")
    for rs in request.resource_spans:
        resource = _attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            group: _Group = (rs.resource, rs.schema_url, ss.scope, ss.schema_url)
            scope = _scope(ss.scope)
            for span in ss.spans:
                yield _span_candidate(span, resource, scope, partial(_span_raw, group, span), PROTOBUF)


def _json_raw(outer: str, inner: str, items: str, rs: dict[str, Any], ss: dict[str, Any], item: Any) -> bytes:
    scope_group = {k: v for k, v in ss.items() if k != items} | {items: [item]}
    resource_group = {k: v for k, v in rs.items() if k != inner} | {inner: [scope_group]}
    return orjson.dumps({outer: [resource_group]})


def _json_groups(doc: dict[str, Any], outer: str, inner: str, items: str) -> Iterator[tuple[Any, Any, Any]]:
    for i, rs in enumerate(_list(doc, outer, "body")):
        if not isinstance(rs, dict):
            raise TelemetryBodyError(400, f"{outer}[{i}] must be an object; nothing was stored")
        for j, ss in enumerate(_list(rs, inner, f"{outer}[{i}]")):
            if not isinstance(ss, dict):
                raise TelemetryBodyError(400, f"{outer}[{i}].{inner}[{j}] must be an object; nothing was stored")
            for item in _list(ss, items, f"{outer}[{i}].{inner}[{j}]"):
                yield rs, ss, item


def _group_context(rs: dict[str, Any], ss: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    resource, why = _json_message(rs.get("resource", {}), Resource)
    scope, why_scope = _json_message(ss.get("scope", {}), InstrumentationScope)
    problem = f"resource: {why}" if why else f"scope: {why_scope}" if why_scope else ""
    return _attrs(resource.attributes), _scope(scope), problem


def _json_spans(data: bytes) -> Iterator[Candidate]:
    doc = _parse_json(data, "traces")
    contexts: dict[tuple[int, int], tuple[dict[str, Any], dict[str, Any], str]] = {}
    for rs, ss, item in _json_groups(doc, "resourceSpans", "scopeSpans", "spans"):
        resource, scope, problem = contexts.setdefault((id(rs), id(ss)), _group_context(rs, ss))
        converted, id_problem = _hex_ids(item, ("traceId", "spanId", "parentSpanId"))
        span, why = _json_message(converted, Span)
        blob = _json_raw("resourceSpans", "scopeSpans", "spans", rs, ss, item)
        yield _span_candidate(span, resource, scope, lambda b=blob: b, JSON, problem or id_problem or why)


def trace_candidates(data: bytes, media: str) -> list[Candidate]:
    """Every span of a decompressed `/v1/traces` body (`media` from `media_type_of`)."""
    return list(_proto_spans(data) if media == PROTOBUF else _json_spans(data))


def _demoted_span(origin: tuple[Span, dict[str, Any], dict[str, Any], _Group]) -> Candidate:
    span, resource, scope, group = origin
    return _span_candidate(span, resource, scope, partial(_span_raw, group, span), PROTOBUF)


def trace_items(data: bytes, media: str,
                rules: Mapping[tuple[str, str], str]) -> tuple[ReadyItems, list[Candidate]]:
    """Every span of a decompressed `/v1/traces` body: in protobuf, the usual ones (`_usual`, classified by
    their semantic conventions and kind through `rules`, `Classifier.span_rules`) as ready items in one pass, every
    other span as a `Candidate` (`trace_candidates`, which says the same of the usual ones:
    `tests/planes/telemetry/test_ready.py`). OTLP JSON is decoded item by item, as candidates only."""
    if media != PROTOBUF:
        return ReadyItems(), trace_candidates(data, media)
    request = _parse_proto(data, ExportTraceServiceRequest, "traces")
    ready, rest = ReadyItems(as_candidate=_demoted_span), []
    keys, ids, times, iris = ready.keys.append, ready.event_ids.append, ready.times.append, ready.iris.append
    traces, sessions, attrs_of, origins = (ready.trace_ids.append, ready.session_ids.append, ready.attrs.append,
                                           ready.origins.append)
    dumps, sort, fragment = orjson.dumps, orjson.OPT_SORT_KEYS, orjson.Fragment
    kinds, usual, own_session = _KINDS, _usual, _own_session
    for rs in request.resource_spans:
        resource = _attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            group: _Group = (rs.resource, rs.schema_url, ss.scope, ss.schema_url)
            scope, resource_session = _scope(ss.scope), _own_session(resource)
            try:  # written once per group, spliced into every span's attrs as written
                written = (fragment(dumps(resource, option=sort)), fragment(dumps(scope, option=sort)))
            except TypeError:
                written = None
            for span in ss.spans:
                trace, sid, parent = span.trace_id, span.span_id, span.parent_span_id
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if written is None or not usual(trace, sid, parent, start, end):
                    rest.append(_demoted_span((span, resource, scope, group)))
                    continue
                attrs = _attrs(span.attributes)
                kind, convention = kinds.get(span.kind, "unspecified"), _convention(attrs)
                iri = (rules.get((convention, kind)) or rules.get((convention, ""))) if convention else None
                session = own_session(attrs) or resource_session
                if iri is None or not is_stripped(session):
                    rest.append(_demoted_span((span, resource, scope, group)))
                    continue
                try:
                    text = dumps(_span_detail(span, kind, attrs, *written, parent, start, end), option=sort).decode()
                except TypeError:
                    rest.append(_demoted_span((span, resource, scope, group)))
                    continue
                trace_hex, sid_hex = trace.hex(), sid.hex()
                keys(f"{trace_hex}:{sid_hex}")
                ids(sid_hex)
                times(start // 1_000_000)
                iris(iri)
                traces(trace_hex)
                sessions(session)
                attrs_of(text)
                origins((span, resource, scope, group))
    return ready, rest


# -- log records -------------------------------------------------------------------------------------------------

def _log_raw(group: _Group, record: LogRecord) -> bytes:
    resource, resource_schema, scope, scope_schema = group
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        resource=resource, schema_url=resource_schema,
        scope_logs=[ScopeLogs(scope=scope, schema_url=scope_schema, log_records=[record])])]).SerializeToString()


def _log_candidate(record: LogRecord, resource: dict[str, Any], scope: dict[str, Any], identity: tuple[bytes, bytes],
                   raw: Callable[[], bytes], media: str, problem: str = "") -> Candidate:
    problem = (problem or _id_problem(record.trace_id, 16, "trace_id", True)
               or _id_problem(record.span_id, 8, "span_id", True))
    when = record.time_unix_nano or record.observed_time_unix_nano
    if not problem and not when:
        problem = "the log record has neither time_unix_nano nor observed_time_unix_nano"
    elif not problem and when > _MAX_NS:
        problem = "its time is after 2299-12-31"
    key = _content_key(*identity, record.SerializeToString(deterministic=True)) if not problem else _content_key(raw())
    if problem:
        return Candidate(key=key, name=record.event_name, raw=raw, media_type=media, problem=problem)
    attrs = _attrs(record.attributes)
    event_name = record.event_name or (attrs.get("event.name") if isinstance(attrs.get("event.name"), str) else "")
    detail = {
        "time_unix_nano": record.time_unix_nano, "observed_time_unix_nano": record.observed_time_unix_nano,
        "severity_number": record.severity_number, "severity_text": record.severity_text,
        "body": _value(record.body), "attributes": attrs, "resource": resource, "scope": scope,
        "event_name": event_name, "span_id": record.span_id.hex(), "flags": record.flags,
    }
    return Candidate(key=key, name=event_name, raw=raw, media_type=media, signal="logs",
                     exception=any(k.startswith("exception.") for k in attrs), fields={
                         "event_id": str(uuid.uuid5(_NS, key)), "ts": _ts(when), "trace_id": record.trace_id.hex(),
                         "session_id": _session(attrs, resource), "attrs": detail})


def _proto_logs(data: bytes) -> Iterator[Candidate]:
    request = _parse_proto(data, ExportLogsServiceRequest, "logs")
    for rl in request.resource_logs:
        resource = _attrs(rl.resource.attributes)
        resource_bytes = rl.resource.SerializeToString(deterministic=True)
        for sl in rl.scope_logs:
            group: _Group = (rl.resource, rl.schema_url, sl.scope, sl.schema_url)
            scope, identity = _scope(sl.scope), (resource_bytes, sl.scope.SerializeToString(deterministic=True))
            for record in sl.log_records:
                yield _log_candidate(record, resource, scope, identity, lambda g=group, r=record: _log_raw(g, r),
                                     PROTOBUF)


def _json_logs(data: bytes) -> Iterator[Candidate]:
    doc = _parse_json(data, "logs")
    for rl, sl, item in _json_groups(doc, "resourceLogs", "scopeLogs", "logRecords"):
        resource_msg, why = _json_message(rl.get("resource", {}), Resource)
        scope_msg, why_scope = _json_message(sl.get("scope", {}), InstrumentationScope)
        converted, id_problem = _hex_ids(item, ("traceId", "spanId"))
        record, why_record = _json_message(converted, LogRecord)
        blob = _json_raw("resourceLogs", "scopeLogs", "logRecords", rl, sl, item)
        problem = ((f"resource: {why}" if why else f"scope: {why_scope}" if why_scope else "")
                   or id_problem or why_record)
        identity = (resource_msg.SerializeToString(deterministic=True), scope_msg.SerializeToString(deterministic=True))
        yield _log_candidate(record, _attrs(resource_msg.attributes), _scope(scope_msg), identity, lambda b=blob: b,
                             JSON, problem)


def log_candidates(data: bytes, media: str) -> list[Candidate]:
    """Every log record of a decompressed `/v1/logs` body."""
    return list(_proto_logs(data) if media == PROTOBUF else _json_logs(data))


# -- answers -----------------------------------------------------------------------------------------------------

def _encoded(message: Message, media: str) -> bytes:
    if media == JSON:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()


def trace_response(rejected: int, message: str, media: str) -> bytes:
    """An `ExportTraceServiceResponse`, with `partial_success` when spans were rejected (quarantined)."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.CopyFrom(ExportTracePartialSuccess(rejected_spans=rejected, error_message=message))
    return _encoded(response, media)


def logs_response(rejected: int, message: str, media: str) -> bytes:
    """An `ExportLogsServiceResponse`, with `partial_success` when log records were rejected (quarantined)."""
    response = ExportLogsServiceResponse()
    if rejected:
        response.partial_success.CopyFrom(ExportLogsPartialSuccess(rejected_log_records=rejected,
                                                                   error_message=message))
    return _encoded(response, media)


_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 503: 14}
"""HTTP status → google.rpc.Code (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, RESOURCE_EXHAUSTED,
UNAVAILABLE), for the `Status` an OTLP failure answer carries."""


def status_body(status: int, message: str, media: str) -> bytes:
    """The body of an OTLP failure answer: a `google.rpc.Status` in the request's encoding."""
    return _encoded(status_pb2.Status(code=_GRPC_CODES.get(status, 2), message=message), media)


_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


def _hex_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (base64.b64decode(v).hex() if k in _ID_FIELDS and isinstance(v, str) else _hex_json(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_hex_json(v) for v in value]
    return value


def as_otlp_json(raw: bytes, media: str, signal: str) -> str:
    """A quarantined item's raw payload as OTLP JSON text (protobuf rendered with hex ids; JSON as it came)."""
    if media == JSON:
        return raw.decode("utf-8", errors="replace")
    cls = ExportTraceServiceRequest if signal == "traces" else ExportLogsServiceRequest
    doc = json_format.MessageToDict(cls.FromString(raw))
    return orjson.dumps(_hex_json(doc), option=orjson.OPT_INDENT_2).decode()
