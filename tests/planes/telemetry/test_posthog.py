"""PostHog capture bodies: the project key, and each event checked on its own (the body is refused only whole)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fractalops.errors import TelemetryBodyError
from fractalops.planes.telemetry.posthog import flags_key, parse_posthog_body, posthog_candidate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVENT = {"uuid": "0190F3C2-8E3A-7B11-9C4D-1234567890AB", "event": "$pageview", "distinct_id": "user-1",
         "timestamp": "2026-02-28T10:00:00.250+01:00",
         "properties": {"$session_id": "sess-1", "$trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736", "$lib": "web"},
         "$set": {"plan": "pro"}}


def _body(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_the_python_clients_batch_body() -> None:
    body = parse_posthog_body(_body({"batch": [EVENT], "api_key": "phc_shop", "sent_at": "x",
                                     "historical_migration": False}))
    assert body.api_key == "phc_shop" and [json.loads(bytes(raw)) for raw in body.events] == [EVENT]


@pytest.mark.parametrize("doc", [
    {**EVENT, "api_key": "phc_shop"},
    {**EVENT, "properties": {**EVENT["properties"], "token": "phc_shop"}},
    [{**EVENT, "token": "phc_shop"}, EVENT],
    {"batch": [{**EVENT, "properties": {"token": "phc_shop"}}]},
])
def test_other_clients_bodies_carry_the_key_elsewhere(doc: object) -> None:
    assert parse_posthog_body(_body(doc)).api_key == "phc_shop"


@pytest.mark.parametrize("raw, fragment", [
    (b"{not json", "not JSON"),
    (b'"a string"', "JSON str"),
    (b'{"batch": {"event": "x"}}', "`batch` is a dict"),
    (b'{"api_key": "phc_shop"}', "neither `batch` nor `event`"),
])
def test_a_body_that_is_no_capture_body_is_refused_whole(raw: bytes, fragment: str) -> None:
    with pytest.raises(TelemetryBodyError, match=fragment) as caught:
        parse_posthog_body(raw)
    assert caught.value.status == 400


@pytest.mark.parametrize("depth", [1100, 100_000])
def test_a_body_nested_past_the_parsers_limit_is_refused_not_a_crash(depth: int) -> None:
    raw = b'{"api_key": "phc_shop", "batch": [' + b"[" * depth + b"]" * depth + b"]}"
    with pytest.raises(TelemetryBodyError, match="nested deeper than 1024 levels") as caught:
        parse_posthog_body(raw)
    assert caught.value.status == 400


def test_a_well_formed_event_keeps_ids_session_trace_and_local_detail() -> None:
    item = posthog_candidate(EVENT, NOW)
    assert not item.problem and item.name == "$pageview"
    assert item.key == item.fields["event_id"] == EVENT["uuid"].lower()
    assert item.fields["ts"] == datetime(2026, 2, 28, 9, 0, 0, 250000, tzinfo=UTC)
    assert item.fields["session_id"] == "sess-1" and item.fields["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert item.fields["attrs"] == {"event": "$pageview", "distinct_id": "user-1", "properties": EVENT["properties"],
                                    "$set": {"plan": "pro"}}
    assert json.loads(item.raw()) == EVENT


def test_an_event_without_uuid_gets_one_from_its_content() -> None:
    bare = {k: v for k, v in EVENT.items() if k != "uuid"}
    first, again = posthog_candidate(bare, NOW), posthog_candidate(dict(reversed(list(bare.items()))), NOW)
    assert not first.problem and first.key == again.key == first.fields["event_id"]
    assert first.fields["attrs"]["uuid_derived"] is True
    assert posthog_candidate({**bare, "distinct_id": "user-2"}, NOW).key != first.key


def test_an_event_without_timestamp_happened_when_it_was_received() -> None:
    item = posthog_candidate({k: v for k, v in EVENT.items() if k != "timestamp"}, NOW)
    assert not item.problem and item.fields["ts"] == NOW


@pytest.mark.parametrize("change, reason", [
    ({"uuid": "not-a-uuid"}, "is not a UUID"),
    ({"uuid": 42}, "uuid is a int"),
    ({"event": None}, "event name is missing"),
    ({"event": ["$pageview"]}, "event name is a list"),
    ({"distinct_id": None}, "distinct_id is missing"),
    ({"distinct_id": {"id": 1}}, "distinct_id is a dict"),
    ({"distinct_id": True}, "distinct_id is a bool"),
    ({"properties": "x=1"}, "properties is a str"),
    ({"timestamp": "yesterday"}, "is not ISO 8601"),
    ({"timestamp": 1767225600}, "timestamp is a int"),
    ({"timestamp": "2400-01-01T00:00:00Z"}, "outside 1970-01-01"),
])
def test_malformed_events_say_what_is_wrong(change: dict, reason: str) -> None:
    item = posthog_candidate({**EVENT, **change}, NOW)
    assert reason in item.problem and not item.fields
    assert item.key  # still an identity, so its retry dedupes
    assert item.key == posthog_candidate({**EVENT, **change}, NOW).key


def test_an_event_that_is_not_an_object_is_malformed_with_a_content_key() -> None:
    item = posthog_candidate(["$pageview"], NOW)
    assert "must be a JSON object, got list" in item.problem and item.key.startswith("sha256:")
    assert item.raw() == b'["$pageview"]'


def test_flags_bodies_carry_the_key_at_the_top() -> None:
    assert flags_key(b'{"api_key": "phc_shop", "distinct_id": "u"}') == "phc_shop"
    assert flags_key(b'{"token": "phc_shop"}') == "phc_shop"
    assert flags_key(b"{}") == ""
    with pytest.raises(TelemetryBodyError):
        flags_key(b"nope")


def test_python_clients_nan_and_huge_numbers_do_not_cost_the_batch() -> None:
    raw = json.dumps({"api_key": "phc_shop", "batch": [
        {**EVENT, "properties": {"ratio": float("nan"), "big": 10**30}}, EVENT]}).encode()  # json writes NaN
    body = parse_posthog_body(raw)
    assert len(body.events) == 2 and body.api_key == "phc_shop"
    odd = posthog_candidate(body.events[0], NOW)
    assert not odd.problem and b"NaN" in odd.raw()  # kept as sent; the warehouse row decides whether it stores
    bare = {k: v for k, v in body.events[0].items() if k != "uuid"}
    assert posthog_candidate(bare, NOW).key == posthog_candidate(dict(bare), NOW).key
