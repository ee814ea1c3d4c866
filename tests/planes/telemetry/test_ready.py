"""The decoders' one-pass path (`ReadyItems`) stores exactly what the candidate path stores, and quarantines exactly
what it quarantines, for any body: the same rows, the same reasons, the same counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from fractalops.planes.semantics import FO
from fractalops.planes.telemetry import Classifier, Source, otlp
from fractalops.planes.telemetry.intake import SortedBody, sort_body
from fractalops.planes.telemetry.model import ReadyItems
from fractalops.planes.telemetry.posthog import (
    _raw_candidate,
    decoded_items,
    load_json,
    parse_posthog_body,
    posthog_candidate,
    posthog_items,
)
from fractalops.planes.warehouse import EventColumns

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MAPPINGS = {"checkout_done": str(FO.Purchase), "recompute": str(FO.Purchase)}
"""A project's approved mappings: one PostHog event name and one span name (a span maps by name only when it has
no semantic convention)."""


def _classifier() -> Classifier:
    def no_graph() -> Any:
        raise AssertionError("the mappings are passed in: the semantic graph is not read")
    return Classifier(no_graph)


CLASSIFIER = _classifier()


def _outcome(body: SortedBody, *, attrs_as_json: bool = False) -> tuple[list[tuple], list[tuple], int, list[str]]:
    columns = list(body.events.data)
    if attrs_as_json:  # the raw path writes properties as sent, the decoded path re-encodes them: compare the JSON
        columns[-1] = [orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode() for text in columns[-1]]
    rows = sorted(zip(*columns, strict=True))
    refused = sorted((item.key, verdict.kind, verdict.reason) for item, verdict in body.refused)
    return rows, refused, body.duplicates, sorted(body.taken)


def _both(source: Source, ready: ReadyItems, rest: list, candidates: list, seen: set[str]) -> None:
    one_pass = sort_body(CLASSIFIER, source, "shop", rest, ready, MAPPINGS, seen)
    by_candidates = sort_body(CLASSIFIER, source, "shop", candidates, ReadyItems(), MAPPINGS, seen)
    assert _outcome(one_pass) == _outcome(by_candidates)


# -- PostHog ---------------------------------------------------------------------------------------------------

_text = st.text(min_size=0, max_size=5)
_stamps = st.one_of(
    st.datetimes(min_value=datetime(1969, 6, 1), max_value=datetime(2300, 6, 1),
                 timezones=st.sampled_from([UTC, None, timezone(timedelta(hours=-3))])).map(datetime.isoformat),
    st.just("2026-02-28T10:00:00Z"), st.text(max_size=6), st.none(), st.integers())
_properties = st.one_of(
    st.dictionaries(st.sampled_from(["$session_id", "$trace_id", "$current_url", "n"]),
                    st.one_of(_text, st.sampled_from([" padded", "tab\t", "ABC"]), st.integers(-2**70, 2**70),
                              st.floats(allow_nan=False), st.none(), st.lists(st.integers(), max_size=2)),
                    max_size=4),
    st.none(), st.text(max_size=3))
_usual_events = st.fixed_dictionaries({
    "uuid": st.uuids().map(str), "event": st.sampled_from(["$pageview", "$autocapture", "checkout_done", "unheard_of"]),
    "distinct_id": st.sampled_from(["user-1", "u"]),
    "timestamp": st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
    .map(datetime.isoformat),
    "properties": _properties.filter(lambda p: isinstance(p, dict)),
})
"""Mostly well formed, as real bodies are: the one-pass path's own cases."""
_odd_events = st.fixed_dictionaries({
    "uuid": st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.text(max_size=8), st.none(),
                      st.integers()),
    "event": st.one_of(st.sampled_from(["$pageview", "$autocapture", "checkout_done", "fo:Purchase", "unheard_of",
                                        "x" * 401]), st.just(""), st.none(), st.integers()),
    "distinct_id": st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(),
                             st.none()),
    "timestamp": _stamps,
    "properties": _properties,
}, optional={"$set": st.dictionaries(_text, st.integers(), max_size=2), "type": st.text(max_size=3)})
_events = st.one_of(_usual_events, _usual_events, _odd_events, st.integers(), st.lists(st.integers(), max_size=1))


def _uuid_key(event: dict) -> Any:
    given_id = event.get("uuid")
    return given_id.lower() if isinstance(given_id, str) else given_id


@settings(max_examples=400, deadline=None)
@given(events=st.lists(_events, max_size=8),
       seen_first=st.booleans())
def test_posthog_one_pass_and_candidates_give_the_same_rows_and_quarantine(events: list, seen_first: bool) -> None:
    ids = [_uuid_key(e) for e in events if isinstance(e, dict) and _uuid_key(e) is not None]
    assume(len(ids) == len(set(ids)))  # one body repeating an id: see the test below
    ready, rest = decoded_items(events, NOW, CLASSIFIER.posthog_names("shop", MAPPINGS))
    candidates = [posthog_candidate(e, NOW) for e in events]
    seen = {candidates[0].key} if seen_first and candidates else set()
    _both(Source.POSTHOG, ready, rest, candidates, seen)


def test_the_usual_event_takes_the_one_pass_path() -> None:
    event = {"uuid": "0190F3C2-8E3A-7B11-9C4D-1234567890AB", "event": "$pageview", "distinct_id": "user-1",
             "timestamp": "2026-02-28T10:00:00.250+00:00", "properties": {"$session_id": "s", "$trace_id": "AB"}}
    ready, rest = decoded_items([event], NOW, CLASSIFIER.posthog_names("shop", MAPPINGS))
    assert rest == [] and ready.keys == ["0190f3c2-8e3a-7b11-9c4d-1234567890ab"]
    assert (ready.trace_ids, ready.session_ids, ready.iris) == (["ab"], ["s"], [str(FO.PageView)])
    assert ready.candidate(0).fields == posthog_candidate(event, NOW).fields


def test_a_body_repeating_an_id_stores_its_well_formed_copy() -> None:
    good = {"uuid": "0190f3c2-8e3a-7b11-9c4d-1234567890ab", "event": "$pageview", "distinct_id": "u",
            "timestamp": "2026-02-28T10:00:00+00:00", "properties": {}}
    broken = {**good, "distinct_id": ""}
    ready, rest = decoded_items([broken, good], NOW, CLASSIFIER.posthog_names("shop", MAPPINGS))
    body = sort_body(CLASSIFIER, Source.POSTHOG, "shop", rest, ready, MAPPINGS, set())
    assert (len(body.events), body.refused, body.duplicates) == (1, [], 1)


# -- PostHog bodies: raw events (msgspec) against decoded ones (orjson) ----------------------------------------

def _batch_body(events: list, *, ascii_only: bool = True, indent: int | None = None) -> bytes:
    return json.dumps({"batch": events, "api_key": "phc_shop", "sent_at": "2026-03-01T12:00:00Z",
                       "historical_migration": False}, ensure_ascii=ascii_only, indent=indent).encode()


def _raw_and_decoded(data: bytes, seen: set[str]) -> None:
    names = CLASSIFIER.posthog_names("shop", MAPPINGS)
    ready, rest = posthog_items(parse_posthog_body(data), NOW, names)
    decoded_ready, decoded_rest = decoded_items(load_json(data)["batch"], NOW, names)
    raw_path = sort_body(CLASSIFIER, Source.POSTHOG, "shop", rest, ready, MAPPINGS, seen)
    decoded_path = sort_body(CLASSIFIER, Source.POSTHOG, "shop", decoded_rest, decoded_ready, MAPPINGS, seen)
    assert _outcome(raw_path, attrs_as_json=True) == _outcome(decoded_path, attrs_as_json=True)
    assert [item.raw() for item, _ in raw_path.refused] == [item.raw() for item, _ in decoded_path.refused]


@settings(max_examples=300, deadline=None)
@given(events=st.lists(st.one_of(_events, st.just({"uuid": "0190f3c2-8e3a-7b11-9c4d-1234567890ab",
                                                   "event": "$pageview", "distinct_id": "é",
                                                   "timestamp": "2026-02-28T10:00:00Z", "properties": {"é": "ü"}})),
                       max_size=8),
       ascii_only=st.booleans(), indent=st.sampled_from([None, 2]), seen_first=st.booleans())
def test_raw_batch_events_and_decoded_ones_give_the_same_rows_and_quarantine(events: list, ascii_only: bool,
                                                                            indent: int | None,
                                                                            seen_first: bool) -> None:
    ids = [_uuid_key(e) for e in events if isinstance(e, dict) and _uuid_key(e) is not None]
    assume(len(ids) == len(set(ids)))
    seen = {posthog_candidate(events[0], NOW).key} if seen_first and events else set()
    _raw_and_decoded(_batch_body(events, ascii_only=ascii_only, indent=indent), seen)


def test_the_python_clients_batch_keeps_its_events_raw_and_their_properties_as_sent() -> None:
    event = {"uuid": "0190F3C2-8E3A-7B11-9C4D-1234567890AB", "event": "$pageview", "distinct_id": "user-1",
             "timestamp": "2026-02-28T10:00:00.250+00:00",
             "properties": {"z": 1, "$session_id": "s", "$trace_id": "AB", "big": 2**70}}
    body = parse_posthog_body(_batch_body([event]))
    assert body.raw and body.api_key == "phc_shop"
    ready, rest = posthog_items(body, NOW, CLASSIFIER.posthog_names("shop", MAPPINGS))
    assert rest == [] and ready.keys == ["0190f3c2-8e3a-7b11-9c4d-1234567890ab"]
    assert (ready.trace_ids, ready.session_ids, ready.iris) == (["ab"], ["s"], [str(FO.PageView)])
    assert ready.attrs == ['{"distinct_id":"user-1","event":"$pageview","properties":'
                           '{"z": 1, "$session_id": "s", "$trace_id": "AB", "big": 1180591620717411303424}}']
    assert ready.candidate(0).fields == posthog_candidate(event, NOW).fields


@pytest.mark.parametrize("data", [
    _batch_body([{"uuid": "0190f3c2-8e3a-7b11-9c4d-1234567890ab", "event": "$pageview", "distinct_id": "u",
                  "timestamp": "2026-02-28T10:00:00Z", "properties": {"ratio": float("nan")}}]),  # json writes NaN
    _batch_body([{"event": "$pageview"}])[:-1] + ', "sent_at": "é"}'.encode(),
    b'{"batch": [], "properties": {"token": "phc_shop"}}',
], ids=["nan", "not-ascii", "key-elsewhere"])
def test_bodies_msgspec_would_judge_otherwise_are_decoded_whole(data: bytes) -> None:
    assert not parse_posthog_body(data).raw


def test_a_raw_event_orjson_refuses_is_decoded_as_the_decoded_path_decodes_it() -> None:
    odd = {"uuid": "0190f3c2-8e3a-7b11-9c4d-1234567890ab", "event": "$pageview", "distinct_id": "u",
           "timestamp": "2026-02-28T10:00:00Z", "properties": {}}
    data = _batch_body([odd]).replace(b'"properties": {}', b'"properties": {"x": 1e999}')
    body = parse_posthog_body(data)
    assert body.raw  # msgspec takes 1e999 as a number; orjson refuses it, Python's json makes it inf
    ready, rest = posthog_items(body, NOW, CLASSIFIER.posthog_names("shop", MAPPINGS))
    assert len(ready) == 1 and rest == []
    _raw_and_decoded(data.replace(b'"distinct_id": "u"', b'"distinct_id": ""'), set())  # demoted: json decodes it


def test_a_raw_event_neither_json_decoder_takes_is_quarantined_not_lost() -> None:
    item = _raw_candidate(msgspec.Raw(b"[" * 1100 + b"]" * 1100), NOW)
    assert item.problem.startswith("the event is JSON only msgspec decodes") and item.key.startswith("sha256:")
    assert item.raw() == b"[" * 1100 + b"]" * 1100


# -- OTLP spans ------------------------------------------------------------------------------------------------

def _any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_any(v) for v in value]))
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=_any(v)) for k, v in value.items()]))
    return AnyValue(string_value=value)


_values = st.one_of(_text, st.sampled_from([" sess", "sess\n"]), st.integers(-2**63, 2**63 - 1), st.booleans(),
                    st.floats(allow_nan=False), st.binary(max_size=3), st.lists(st.integers(0, 9), max_size=2),
                    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9), max_size=2))
_attributes = st.lists(st.tuples(st.sampled_from(["http.request.method", "http.route", "db.system.name", "rpc.system",
                                                  "messaging.system", "session.id", "user.id", "httpx", "db"]),
                                 _values), max_size=4)
_NS = 1_767_225_600_000_000_000
_times = st.one_of(st.integers(_NS, _NS + 10**10), st.just(0), st.just(9_000_000_000_000_000_000), st.integers(1, 10**6))
_usual_spans = st.fixed_dictionaries({
    "trace_id": st.binary(min_size=16, max_size=16).filter(any), "span_id": st.binary(min_size=8, max_size=8).filter(any),
    "parent_span_id": st.one_of(st.just(b""), st.binary(min_size=8, max_size=8).filter(any)),
    "name": st.sampled_from(["GET /cart", "SELECT carts", "recompute", ""]), "kind": st.integers(0, 5),
    "start_time_unix_nano": st.integers(_NS, _NS + 10**9), "end_time_unix_nano": st.integers(_NS + 10**9, _NS + 10**10),
    "attributes": _attributes, "status": st.tuples(st.integers(0, 2), _text),
    "events": st.lists(st.tuples(_text, _attributes), max_size=1),
    "links": st.lists(st.tuples(st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8)), max_size=1),
})
_odd_spans = st.fixed_dictionaries({
    "trace_id": st.one_of(st.binary(min_size=16, max_size=16), st.just(bytes(16)), st.binary(max_size=4)),
    "span_id": st.one_of(st.binary(min_size=8, max_size=8), st.just(bytes(8)), st.binary(max_size=3)),
    "parent_span_id": st.one_of(st.just(b""), st.binary(min_size=8, max_size=8), st.binary(min_size=1, max_size=3)),
    "name": st.sampled_from(["GET /cart", "SELECT carts", "recompute", ""]),
    "kind": st.integers(0, 6),
    "start_time_unix_nano": _times, "end_time_unix_nano": _times,
    "attributes": _attributes,
    "status": st.tuples(st.integers(0, 2), _text),
    "events": st.lists(st.tuples(_text, _attributes), max_size=1),
    "links": st.lists(st.tuples(st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8)), max_size=1),
})
_spans = st.one_of(_usual_spans, _usual_spans, _odd_spans)


def _span(fields: dict) -> Span:
    code, message = fields["status"]
    return Span(trace_id=fields["trace_id"], span_id=fields["span_id"], parent_span_id=fields["parent_span_id"],
                name=fields["name"], kind=fields["kind"], start_time_unix_nano=fields["start_time_unix_nano"],
                end_time_unix_nano=fields["end_time_unix_nano"],
                attributes=[KeyValue(key=k, value=_any(v)) for k, v in fields["attributes"]],
                status=Status(code=code, message=message),
                events=[Span.Event(name=n, time_unix_nano=_NS, attributes=[KeyValue(key=k, value=_any(v))
                                                                           for k, v in attrs])
                        for n, attrs in fields["events"]],
                links=[Span.Link(trace_id=t, span_id=s) for t, s in fields["links"]])


@settings(max_examples=300, deadline=None)
@given(groups=st.lists(st.tuples(_attributes, st.lists(_spans, min_size=1, max_size=4)), min_size=1, max_size=2))
def test_span_one_pass_and_candidates_give_the_same_rows_and_quarantine(groups: list) -> None:
    spans = [s for _, group in groups for s in group]
    assume(len({s["span_id"] for s in spans}) == len(spans))  # one id twice in a body: see the test below
    request = ExportTraceServiceRequest(resource_spans=[
        ResourceSpans(resource={"attributes": [KeyValue(key=k, value=_any(v)) for k, v in resource]},
                      scope_spans=[ScopeSpans(scope={"name": "s", "version": "1"}, spans=[_span(s) for s in group])])
        for resource, group in groups])
    data = request.SerializeToString()
    ready, rest = otlp.trace_items(data, otlp.PROTOBUF, CLASSIFIER.span_rules)
    _both(Source.OTEL_TRACES, ready, rest, otlp.trace_candidates(data, otlp.PROTOBUF), set())


def test_a_span_id_twice_in_one_insert_is_quarantined_once_either_way() -> None:
    fields = {"trace_id": b"\x01" * 16, "span_id": b"\x02" * 8, "parent_span_id": b"", "name": "GET /", "kind": 2,
              "start_time_unix_nano": _NS, "end_time_unix_nano": _NS + 5, "attributes": [("http.route", "/")],
              "status": (0, ""), "events": [], "links": []}
    other_trace = {**fields, "trace_id": b"\x03" * 16}
    data = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(
        spans=[_span(fields), _span(other_trace)])])]).SerializeToString()
    ready, rest = otlp.trace_items(data, otlp.PROTOBUF, CLASSIFIER.span_rules)
    assert len(ready) == 2 and rest == []
    body = sort_body(CLASSIFIER, Source.OTEL_TRACES, "shop", rest, ready, MAPPINGS, set())
    assert len(body.events) == 1 and [v.reason for _, v in body.refused] == [
        "not a valid warehouse event: event_id: '0202020202020202' of project 'shop' is already in this insert"]
    assert body.refused[0][0].key == f"{'03' * 16}:{'02' * 8}" and body.refused[0][0].raw()  # its own raw payload


def test_otlp_json_is_decoded_item_by_item() -> None:
    ready, rest = otlp.trace_items(b'{"resourceSpans": []}', otlp.JSON, CLASSIFIER.span_rules)
    assert len(ready) == 0 and rest == []


# -- the columns' side of the contract -------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"times": [-1]}, "outside the warehouse range"), ({"iris": ["fo:PageView"]}, "not expanded"),
    ({"attrs": []}, "differ in length"),
])
def test_ready_columns_that_break_their_contract_raise(change: dict, message: str) -> None:
    columns = {"event_ids": ["e"], "times": [0], "iris": [str(FO.PageView)], "trace_ids": [""], "session_ids": [""],
               "attrs": ["{}"], **change}
    batch = EventColumns()
    with pytest.raises(ValueError, match=message):
        batch.extend_ready("shop", "posthog", **columns)
    assert len(batch) == 0
