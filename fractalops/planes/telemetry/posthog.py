"""PostHog capture bodies → the project key and one `Candidate` per event.

What the clients send (measured with posthog 7.91 for the Python client): `{"batch": [...], "api_key", "sent_at",
"historical_migration"}` to `/batch/`; other clients post one event (`{"event", "properties", "api_key" | "token"}`)
or a list of events to `/capture/`, `/e/` and `/i/v0/e/`, the key then often in `properties.token`. Each event
carries `uuid`, `event`, `distinct_id`, `timestamp` and `properties`.

Per event: a missing `uuid` is derived from the event's content (so its retries dedupe too); an event whose
`uuid` is not a UUID, whose `event` or `distinct_id` is missing or of the wrong type, whose `properties` is not an
object or whose `timestamp` is not ISO 8601 (or outside 1970..2299) is malformed and quarantined with that reason.
Only a body that is not JSON, not an event or batch, or carries no project key is refused whole.

The Python client's `/batch/` body is decoded by msgspec with each event left as its raw JSON, and the usual event's
`properties` are never built as Python objects: its warehouse attrs carry them as sent. Any body that decoder would
judge differently from orjson (not UTF-8, NaN, a key elsewhere than `api_key`/`token`) takes the decoded path.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import msgspec
import orjson

from fractalops.errors import TelemetryBodyError
from fractalops.planes.telemetry.model import Candidate, ReadyItems
from fractalops.planes.warehouse.columns import is_stripped

__all__ = ["PosthogBody", "parse_posthog_body", "posthog_candidate", "posthog_items", "decoded_items", "flags_key",
           "load_json",
           "JSON_MEDIA_TYPE", "MAX_EVENT_NAME"]

JSON_MEDIA_TYPE = "application/json"
MAX_EVENT_NAME = 400
_NAMESPACE = uuid.UUID("5b6f1d3e-0c1a-4f57-9a8e-3f1c2d7b9e41")
_TS_MIN = datetime(1970, 1, 1, tzinfo=UTC)
_TS_MAX = datetime(2299, 12, 31, tzinfo=UTC)
_EPOCH, _MS = _TS_MIN, timedelta(milliseconds=1)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TOP_LEVEL = frozenset({"uuid", "event", "distinct_id", "timestamp", "properties", "api_key", "token"})


@dataclass(frozen=True)
class PosthogBody:
    """A decoded capture body."""

    api_key: str
    """The project API key it carries (empty when it carries none)."""
    events: list[Any]
    """Its events, as sent (each one is checked on its own): decoded values, or, when `raw`, each event's JSON
    (`msgspec.Raw`), decoded one by one in `posthog_items`."""
    raw: bool = False


class _BatchBody(msgspec.Struct):
    """The top of a `/batch/` body, its events still raw JSON; every other field is skipped."""

    batch: list[msgspec.Raw]
    api_key: Any = None
    token: Any = None


_MISSING: Any = msgspec.Raw(b"")
"""A field the event lacks (a JSON `null` decodes to None)."""


class _PlainEvent(msgspec.Struct, forbid_unknown_fields=True):
    """A usual event's five fields; `properties` kept as the JSON it was sent as. An event with any other field is
    not this struct (it is decoded whole)."""

    uuid: Any = _MISSING
    event: Any = _MISSING
    distinct_id: Any = _MISSING
    timestamp: Any = _MISSING
    properties: msgspec.Raw = _MISSING


_Ids = msgspec.defstruct("_Ids", [("session", Any, None), ("trace", Any, None)],
                         rename={"session": "$session_id", "trace": "$trace_id"})
"""What the warehouse takes out of `properties` (the rest stays JSON)."""
_DECODE_BATCH = msgspec.json.Decoder(_BatchBody).decode
_DECODE_EVENT = msgspec.json.Decoder(_PlainEvent).decode
_DECODE_IDS = msgspec.json.Decoder(_Ids).decode


def _key_of(value: Any) -> str:
    if isinstance(value, dict):
        for name in ("api_key", "token"):
            if isinstance(value.get(name), str) and value[name]:
                return value[name]
        props = value.get("properties")
        if isinstance(props, dict) and isinstance(props.get("token"), str):
            return props["token"]
    return ""


def _json_bytes(value: Any, *, sort: bool = False) -> bytes:
    """`value` as compact JSON; what orjson refuses (an integer beyond 64 bits, NaN from Python's json) still is."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort else 0)
    except TypeError:
        return json.dumps(value, sort_keys=sort, separators=(",", ":"), default=str).encode()


def load_json(data: bytes) -> Any:
    """JSON bytes → value, accepting what Python's json writes and orjson refuses (NaN, Infinity). A `ValueError`
    for what neither takes, nesting beyond orjson's 1,024 levels included (Python's json would recurse past the
    interpreter's limit)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise ValueError(f"nested deeper than 1024 levels ({exc})") from None
        return json.loads(data)


def _raw_batch(data: bytes) -> PosthogBody | None:
    """A `{"batch": [...], "api_key": ...}` body with its events left raw, or None when the decoded path must judge
    it: not ASCII (invalid UTF-8 in a skipped field would pass msgspec and fail orjson), not JSON to msgspec (NaN and
    lone surrogates, which Python's json takes), no `batch` list, or no key at the top."""
    if not data.isascii():
        return None
    try:
        top = _DECODE_BATCH(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    for key in (top.api_key, top.token):
        if type(key) is str and key:
            return PosthogBody(key, top.batch, raw=True)
    return None


def parse_posthog_body(data: bytes) -> PosthogBody:
    """The project key and events of a decompressed body; `TelemetryBodyError` (400) when it is not a capture body."""
    fast = _raw_batch(data)
    if fast is not None:
        return fast
    return _decoded_body(data)


def _decoded_body(data: bytes) -> PosthogBody:
    try:  # Python clients send NaN and Infinity (json.dumps allows them): one such value must not cost the batch
        doc = load_json(data)
    except ValueError as exc:
        raise TelemetryBodyError(400, f"request body is not JSON ({exc}); send a PostHog capture body "
                                      '{"api_key": "<project key>", "batch": [{"event": ..., ...}]}') from None
    if isinstance(doc, list):
        return PosthogBody(next((k for k in map(_key_of, doc) if k), ""), doc)
    if not isinstance(doc, dict):
        raise TelemetryBodyError(400, f"request body is JSON {type(doc).__name__}; send an object with `batch` "
                                      "(a list of events) or one event")
    if "batch" in doc:
        if not isinstance(doc["batch"], list):
            raise TelemetryBodyError(400, f"`batch` is a {type(doc['batch']).__name__}; it must be a list of events")
        key = _key_of(doc) or next((k for k in map(_key_of, doc["batch"]) if k), "")
        return PosthogBody(key, doc["batch"])
    if "event" in doc:
        return PosthogBody(_key_of(doc), [doc])
    raise TelemetryBodyError(400, "request body has neither `batch` nor `event`; send a PostHog capture body")


def flags_key(data: bytes) -> str:
    """The project key of a `/flags/` body (`{"api_key" | "token": ..., "distinct_id": ...}`), empty when none."""
    try:
        doc = orjson.loads(data or b"{}")
    except orjson.JSONDecodeError as exc:
        raise TelemetryBodyError(400, f"request body is not JSON ({exc}); send "
                                      '{"api_key": "<project key>", "distinct_id": "<id>"}') from None
    return _key_of(doc)


def _content_hash(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _timestamp(value: Any, received_at: datetime) -> tuple[datetime | None, str]:
    if value is None:
        return received_at, ""
    if not isinstance(value, str):
        return None, f"timestamp is a {type(value).__name__} ({value!r:.60}); it must be an ISO 8601 string"
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None, f"timestamp {value[:60]!r} is not ISO 8601"
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    if not _TS_MIN <= ts <= _TS_MAX:
        return None, f"timestamp {value[:60]!r} is outside 1970-01-01 .. 2299-12-31"
    return ts, ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def posthog_items(body: PosthogBody, received_at: datetime,
                  names: Mapping[str, str]) -> tuple[ReadyItems, list[Candidate]]:
    """A body's events: the usual ones as ready items in one pass, every other one as a `Candidate` (see
    `decoded_items`; raw events are decoded one by one)."""
    if body.raw:
        return _raw_items(body.events, received_at, names)
    return decoded_items(body.events, received_at, names)


def _raw_candidate(raw: msgspec.Raw, received_at: datetime) -> Candidate:
    """A raw event as the decoded path makes it a `Candidate` (decoded by orjson, or by Python's json for what
    orjson refuses, 1e999). What neither decodes, msgspec having taken it (nesting past 1,024 levels under a raised
    recursion limit), is malformed with that reason: the event is kept, not the body refused."""
    data = bytes(raw)
    try:
        return posthog_candidate(load_json(data), received_at)
    except (ValueError, RecursionError) as exc:
        return Candidate(key=_content_hash(data), name="", raw=lambda: data, media_type=JSON_MEDIA_TYPE,
                         problem=f"the event is JSON only msgspec decodes ({str(exc)[:120]})")


def _raw_items(events: list[msgspec.Raw], received_at: datetime,
               names: Mapping[str, str]) -> tuple[ReadyItems, list[Candidate]]:
    """`decoded_items` of raw events: the same checks on the five fields, `properties` only decoded for its session
    and trace ids, and written as sent. Every other event is decoded and made a `Candidate`."""
    as_candidate = partial(_raw_candidate, received_at=received_at)
    ready, rest = ReadyItems(as_candidate=as_candidate), []
    keys, ids, times, iris = ready.keys.append, ready.event_ids.append, ready.times.append, ready.iris.append
    traces, sessions, attrs, origins = (ready.trace_ids.append, ready.session_ids.append, ready.attrs.append,
                                        ready.origins.append)
    fullmatch, parse, dumps = _UUID.fullmatch, datetime.fromisoformat, orjson.dumps
    event_of, ids_of, decode_error = _DECODE_EVENT, _DECODE_IDS, msgspec.DecodeError
    for raw in events:
        try:
            event = event_of(raw)
        except decode_error:  # not an object, or a field besides the five
            rest.append(as_candidate(raw))
            continue
        given, name, distinct, stamp, props = (event.uuid, event.event, event.distinct_id, event.timestamp,
                                               event.properties)
        iri = names.get(name) if type(name) is str and len(name) <= MAX_EVENT_NAME else None
        if (iri is None or type(given) is not str or type(distinct) is not str or not distinct
                or type(stamp) is not str or not fullmatch(given)):
            rest.append(as_candidate(raw))
            continue
        try:
            found = ids_of(props)  # refuses properties that are not an object
            ts = parse(stamp)
        except (decode_error, ValueError):
            rest.append(as_candidate(raw))
            continue
        trace, session = found.trace, found.session
        trace = trace.lower() if type(trace) is str else ""
        session = session if type(session) is str else ""
        if ts.tzinfo is not UTC or not _TS_MIN <= ts <= _TS_MAX or not is_stripped(trace) or not is_stripped(session):
            rest.append(as_candidate(raw))
            continue
        key = given.lower()
        keys(key)
        ids(key)
        times((ts - _EPOCH) // _MS)
        iris(iri)
        traces(trace)
        sessions(session)
        attrs((b'{"distinct_id":%b,"event":%b,"properties":%b}' % (dumps(distinct), dumps(name), props)).decode())
        origins(raw)
    return ready, rest


def decoded_items(events: list[Any], received_at: datetime,
                  names: Mapping[str, str]) -> tuple[ReadyItems, list[Candidate]]:
    """A body's decoded events: the usual ones as ready items in one pass, every other one as a `Candidate`.

    Usual: exactly the five fields (`uuid` a UUID, `event` a name in `names` — the PostHog events of the ontology and
    the project's approved mappings —, `distinct_id` a non-empty string, `timestamp` ISO 8601 in UTC and in range,
    `properties` an object), `$trace_id`/`$session_id` without surrounding whitespace, properties orjson can write.
    The rest — malformed events, names classified otherwise or not at all, extra fields, numeric ids — go through
    `posthog_candidate` and the classifier, which say the same of the usual ones
    (`tests/planes/telemetry/test_ready.py`)."""
    ready, rest = ReadyItems(as_candidate=partial(posthog_candidate, received_at=received_at)), []
    keys, ids, times, iris = ready.keys.append, ready.event_ids.append, ready.times.append, ready.iris.append
    traces, sessions, attrs, origins = (ready.trace_ids.append, ready.session_ids.append, ready.attrs.append,
                                        ready.origins.append)
    fullmatch, parse, dumps, sort = _UUID.fullmatch, datetime.fromisoformat, orjson.dumps, orjson.OPT_SORT_KEYS
    for event in events:
        if type(event) is not dict or len(event) != 5:
            rest.append(posthog_candidate(event, received_at))
            continue
        given, name, distinct = event.get("uuid"), event.get("event"), event.get("distinct_id")
        stamp, props = event.get("timestamp"), event.get("properties")
        iri = names.get(name) if type(name) is str and len(name) <= MAX_EVENT_NAME else None
        if (iri is None or type(given) is not str or type(distinct) is not str or not distinct
                or type(stamp) is not str or type(props) is not dict or not fullmatch(given)):
            rest.append(posthog_candidate(event, received_at))
            continue
        try:
            ts = parse(stamp)
        except ValueError:
            ts = None
        trace, session = props.get("$trace_id"), props.get("$session_id")
        trace = trace.lower() if type(trace) is str else ""
        session = session if type(session) is str else ""
        if (ts is None or ts.tzinfo is not UTC or not _TS_MIN <= ts <= _TS_MAX or not is_stripped(trace)
                or not is_stripped(session)):
            rest.append(posthog_candidate(event, received_at))
            continue
        try:
            text = dumps({"event": name, "distinct_id": distinct, "properties": props}, option=sort).decode()
        except TypeError:  # beyond orjson (an integer over 64 bits): the candidate path writes it, or says why not
            rest.append(posthog_candidate(event, received_at))
            continue
        key = given.lower()
        keys(key)
        ids(key)
        times((ts - _EPOCH) // _MS)
        iris(iri)
        traces(trace)
        sessions(session)
        attrs(text)
        origins(event)
    return ready, rest


def posthog_candidate(event: Any, received_at: datetime) -> Candidate:
    """One event as a candidate: its warehouse fields, or the problem that makes it malformed (checked field by
    field, so the reason names the first field that is wrong)."""
    def raw() -> bytes:
        return _json_bytes(event)

    if not isinstance(event, dict):
        blob = raw()
        return Candidate(key=_content_hash(blob), name="", raw=lambda: blob, media_type=JSON_MEDIA_TYPE,
                         problem=f"an event must be a JSON object, got {type(event).__name__}")
    given = event.get("uuid")
    problem, key = "", ""
    if given is None:
        # Same content, same id: a client that retries an event without uuid sends the same bytes again.
        key = str(uuid.uuid5(_NAMESPACE, _json_bytes(event, sort=True).decode()))
    elif isinstance(given, str):
        if _UUID.fullmatch(given):  # the canonical form, as PostHog stores it; a regex is 10x cheaper than UUID()
            key = given.lower()
        else:
            problem = f"uuid {given[:60]!r} is not a UUID (8-4-4-4-12 hex digits)"
    else:
        problem = f"uuid is a {type(given).__name__}; it must be a UUID string"
    name = event.get("event")
    if not problem and not (isinstance(name, str) and name):
        problem = ("event name is missing" if name in (None, "")
                   else f"event name is a {type(name).__name__}, not a string")
    elif not problem and len(name) > MAX_EVENT_NAME:
        problem = f"event name is {len(name)} characters long; at most {MAX_EVENT_NAME}"
    distinct = event.get("distinct_id")
    if not problem and (isinstance(distinct, bool) or not isinstance(distinct, str | int | float) or distinct == ""):
        problem = ("distinct_id is missing" if distinct in (None, "")
                   else f"distinct_id is a {type(distinct).__name__}; it must be a string or a number")
    props = event.get("properties")
    props = {} if props is None else props
    if not problem and not isinstance(props, dict):
        problem = f"properties is a {type(props).__name__}; it must be an object"
    ts, ts_problem = _timestamp(event.get("timestamp"), received_at)
    problem = problem or ts_problem
    if problem:
        return Candidate(key=key or _content_hash(raw()), name=name if isinstance(name, str) else "", raw=raw,
                         media_type=JSON_MEDIA_TYPE, problem=problem)
    attrs: dict[str, Any] = {"event": name, "distinct_id": str(distinct), "properties": props}
    if len(event) > 5 or event.keys() - _TOP_LEVEL:
        for extra in event.keys() - _TOP_LEVEL:
            attrs[extra] = event[extra]
    if given is None:
        attrs["uuid_derived"] = True
    trace = _text(props.get("$trace_id")).lower()
    return Candidate(key=key, name=name, raw=raw, media_type=JSON_MEDIA_TYPE, fields={
        "event_id": key, "ts": ts, "trace_id": trace, "session_id": _text(props.get("$session_id")), "attrs": attrs,
    })
