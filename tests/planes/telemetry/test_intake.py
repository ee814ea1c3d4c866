"""The intake end to end in process, on a real chdb warehouse, WORM store and semantic graph: exact counts,
idempotency, quarantine with raw bytes, nothing acknowledged when the warehouse refuses, and replay."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from fractalops.errors import TelemetryBodyError, WarehouseError
from fractalops.planes.evidence import open_chronicle
from fractalops.planes.semantics import FO, TermMap, get_semantics
from fractalops.planes.telemetry import Source, TelemetryIntake, otlp
from fractalops.planes.warehouse import Warehouse
from tests.planes.telemetry._otel import traces_body, web_request
from tests.planes.telemetry.conftest import rows


def _event(name: str = "$pageview", **extra: object) -> dict:
    return {"uuid": str(uuid.uuid4()), "event": name, "distinct_id": "u1", "timestamp": "2026-01-01T00:00:00Z",
            "properties": {"$session_id": "s1"}, **extra}


def _batch(events: list, key: str = "phc_shop") -> bytes:
    return json.dumps({"batch": events, "api_key": key, "sent_at": "2026-01-01T00:00:01Z",
                       "historical_migration": False}).encode()


def _identities(intake: TelemetryIntake, source: str) -> dict[str, int]:
    counts = intake.store.stats()[source]
    assert counts["received"] == counts["stored"] + counts["quarantined"], counts
    return counts


def test_a_batch_lands_classified_and_quarantines_what_it_cannot_classify(intake: TelemetryIntake,
                                                                          warehouse: Warehouse) -> None:
    good = [_event() for _ in range(20)]
    odd = [_event("checkout_done"), {"event": "$pageview"}, _event(timestamp="soon"), "not an event"]
    outcome = intake.posthog(gzip.compress(_batch([*good, *odd, good[0]])), encoding="gzip")
    assert outcome.as_json() == {"source": "posthog", "project": "shop", "received": 24, "stored": 20,
                                 "quarantined": 4, "duplicates": 1}
    assert _identities(intake, "posthog") == {"received": 24, "stored": 20, "quarantined": 4, "duplicates": 1,
                                              "refused": 0}
    stored = rows(warehouse, "SELECT event_id, ontology_id, project, source, session_id, attrs FROM events")
    assert sorted(r["event_id"] for r in stored) == sorted(e["uuid"] for e in good)
    assert {(r["ontology_id"], r["project"], r["source"], r["session_id"]) for r in stored} == {
        (str(FO.PageView), "shop", "posthog", "s1")}
    assert json.loads(stored[0]["attrs"])["distinct_id"] == "u1"
    page, _ = intake.store.quarantine_page()
    assert [r.kind for r in page] == ["unknown", "malformed", "malformed", "malformed"]
    assert "distinct_id is missing" in page[1].reason and "is not ISO 8601" in page[2].reason
    chronicle = open_chronicle(intake.root)
    assert json.loads(chronicle.artifacts.get(page[0].raw_ref)) == odd[0]
    assert chronicle.artifacts.get(page[3].raw_ref) == b'"not an event"'
    kept = rows(warehouse, "SELECT id, source, target, reason, payload FROM quarantine ORDER BY ts")
    assert {r["id"] for r in kept} == {r.id for r in page} and kept[0]["target"] == "events"
    assert {json.loads(r["payload"])["raw_ref"] for r in kept} == {r.raw_ref for r in page}


def test_a_resent_batch_is_all_duplicates_and_stores_nothing_again(intake: TelemetryIntake,
                                                                   warehouse: Warehouse) -> None:
    body = _batch([_event() for _ in range(10)] + [_event("unknown_thing"), {"event": "x"}])
    intake.posthog(body)
    again = intake.posthog(body)
    assert (again.received, again.duplicates) == (0, 12)
    counts = _identities(intake, "posthog")
    assert counts["received"] + counts["duplicates"] == 24  # what the client sent, twice
    assert len(rows(warehouse, "SELECT event_id FROM events")) == 10
    assert len(intake.store.quarantine_page()[0]) == 2


def test_an_event_without_uuid_dedupes_on_its_content(intake: TelemetryIntake, warehouse: Warehouse) -> None:
    bare = {"event": "$identify", "distinct_id": "u7", "timestamp": "2026-01-02T00:00:00Z"}
    intake.posthog(_batch([bare]))
    assert intake.posthog(_batch([dict(reversed(list(bare.items())))])).duplicates == 1
    stored = rows(warehouse, "SELECT event_id, ontology_id FROM events")
    assert len(stored) == 1 and stored[0]["ontology_id"] == str(FO.Identify)


def test_uuids_are_per_project(intake: TelemetryIntake, warehouse: Warehouse) -> None:
    event = _event()
    intake.posthog(_batch([event], "phc_shop"))
    assert intake.posthog(_batch([event], "phc_blog")).stored == 1
    assert {r["project"] for r in rows(warehouse, "SELECT project FROM events")} == {"shop", "blog"}


@pytest.mark.parametrize("body, status", [
    (_batch([_event()], "phc_nobody"), 401),
    (json.dumps({"batch": [{"event": "$pageview", "distinct_id": "u"}]}).encode(), 401),
    (b"{not json", 400),
])
def test_refused_bodies_count_once_and_store_nothing(intake: TelemetryIntake, warehouse: Warehouse, body: bytes,
                                                     status: int) -> None:
    with pytest.raises(TelemetryBodyError) as caught:
        intake.posthog(body)
    assert caught.value.status == status
    assert intake.store.stats()["posthog"] == {"received": 0, "stored": 0, "quarantined": 0, "duplicates": 0,
                                               "refused": 1}
    assert rows(warehouse, "SELECT event_id FROM events") == []


def test_a_refused_warehouse_insert_acknowledges_nothing_and_the_retry_is_exact(
        data_dir: Path, warehouse: Warehouse, warehouse_engine: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from fractalops.planes.warehouse import open_warehouse

    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", json.dumps({"phc_shop": "shop"}))
    closed = open_warehouse(Path(warehouse_engine.location).parent, database=warehouse.database)
    closed.close()
    chronicle = open_chronicle(data_dir)
    current = {"warehouse": closed}
    intake = TelemetryIntake(data_dir, warehouse=lambda: current["warehouse"], artifacts=lambda: chronicle.artifacts,
                             semantics=lambda: get_semantics(data_dir))
    body = _batch([_event() for _ in range(5)] + [_event("checkout_done")])
    with pytest.raises(WarehouseError, match="closed"):
        intake.posthog(body)
    assert intake.store.stats()["posthog"] == dict.fromkeys(("received", "stored", "quarantined", "duplicates",
                                                             "refused"), 0)
    assert intake.store.quarantine_page()[0] == [] and rows(warehouse, "SELECT event_id FROM events") == []
    current["warehouse"] = warehouse
    outcome = intake.posthog(body)  # the client's retry
    assert (outcome.stored, outcome.quarantined, outcome.duplicates) == (5, 1, 0)
    assert len(rows(warehouse, "SELECT event_id FROM events")) == 5


def test_spans_land_by_convention_and_a_span_without_one_waits_for_a_mapping(intake: TelemetryIntake,
                                                                             warehouse: Warehouse) -> None:
    body = traces_body(web_request)
    outcome, media = intake.otlp(Source.OTEL_TRACES, "shop", gzip.compress(body), encoding="gzip",
                                 content_type="application/x-protobuf")
    assert media == otlp.PROTOBUF and (outcome.stored, outcome.quarantined) == (4, 1)
    assert intake.otlp(Source.OTEL_TRACES, "shop", body, content_type=otlp.PROTOBUF)[0].duplicates == 5
    stored = rows(warehouse, "SELECT event_id, trace_id, ontology_id FROM events ORDER BY ontology_id")
    assert {r["ontology_id"] for r in stored} == {str(FO.HttpServerRequest), str(FO.DatabaseCall),
                                                  str(FO.RpcClientCall), str(FO.MessagePublish)}
    assert len({r["trace_id"] for r in stored}) == 1 and all(len(r["event_id"]) == 16 for r in stored)
    waiting, _ = intake.store.quarantine_page()
    raw = open_chronicle(intake.root).artifacts.get(waiting[0].raw_ref)
    assert [s.name for s in ExportTraceServiceRequest.FromString(raw).resource_spans[0].scope_spans[0].spans] == [
        "recompute-totals"]

    terms = TermMap("shop", semantics=get_semantics(intake.root))
    terms.apply_mapping(terms.propose_mapping("recompute-totals", "fo:InternalSpan"))
    result = intake.replay()
    assert (result["examined"], result["classified"], result["still_quarantined"]) == (1, 1, 0)
    assert result["stats"]["otel_traces"] == {"received": 5, "stored": 5, "quarantined": 0, "duplicates": 5,
                                              "refused": 0}
    assert len(rows(warehouse, "SELECT event_id FROM events")) == 5
    assert intake.store.quarantine_page()[0] == []
    assert intake.otlp(Source.OTEL_TRACES, "shop", body, content_type=otlp.PROTOBUF)[0].duplicates == 5


def test_replay_keeps_what_still_does_not_classify_and_moves_the_rest(intake: TelemetryIntake,
                                                                      warehouse: Warehouse) -> None:
    intake.posthog(_batch([_event("checkout_done"), _event("checkout_done"), _event("other_thing"),
                           _event(timestamp="never")]))
    assert intake.replay()["classified"] == 0
    terms = TermMap("shop", semantics=get_semantics(intake.root))
    terms.apply_mapping(terms.propose_mapping("checkout_done", "fo:Purchase"))
    result = intake.replay(project="shop")
    assert (result["examined"], result["classified"], result["still_quarantined"]) == (4, 2, 2)
    assert _identities(intake, "posthog") == {"received": 4, "stored": 2, "quarantined": 2, "duplicates": 0,
                                              "refused": 0}
    assert {r["ontology_id"] for r in rows(warehouse, "SELECT ontology_id FROM events")} == {str(FO.Purchase)}
    assert [r.name for r in intake.store.quarantine_page()[0]] == ["other_thing", "$pageview"]
    released = intake.store.quarantine_page(state="released")[0]
    assert {r.ontology_id for r in released} == {str(FO.Purchase)}
    assert intake.replay()["classified"] == 0  # nothing moves twice


def test_log_records_by_event_name_signal_and_exception(intake: TelemetryIntake, warehouse: Warehouse) -> None:
    from tests.planes.telemetry._otel import logs_body

    def record(logger) -> None:
        logger.emit(body="hello")
        logger.emit(body="boom", attributes={"exception.type": "KeyError"})
        logger.emit(body="signed up", event_name="user_signed_up")

    outcome, _ = intake.otlp(Source.OTEL_LOGS, "shop", logs_body(record), content_type=otlp.PROTOBUF)
    assert (outcome.stored, outcome.quarantined) == (2, 1)
    assert {r["ontology_id"] for r in rows(warehouse, "SELECT ontology_id FROM events")} == {
        str(FO.LogRecord), str(FO.ExceptionEvent)}
    terms = TermMap("shop", semantics=get_semantics(intake.root))
    terms.apply_mapping(terms.propose_mapping("user_signed_up", "fo:SignUp"))
    assert intake.replay()["classified"] == 1


def test_every_row_the_intake_builds_is_one_event_would_validate(intake: TelemetryIntake) -> None:
    from datetime import UTC, datetime

    from fractalops.planes.telemetry.posthog import posthog_candidate
    from fractalops.planes.warehouse import EVENT_COLUMNS, Event, EventColumns
    from fractalops.planes.warehouse.warehouse import _columns
    from tests.planes.telemetry._otel import logs_body

    def record(logger) -> None:
        logger.emit(body={"nested": [1, 2.5, None]}, attributes={"exception.type": "E", "n": 2**40})

    items = [(Source.POSTHOG, posthog_candidate(e, datetime.now(UTC))) for e in (
        _event(), _event("$exception", **{"$set": {"a": 1}}), {"event": "$identify", "distinct_id": 5})]
    items += [(Source.OTEL_TRACES, i) for i in otlp.trace_candidates(traces_body(web_request), otlp.PROTOBUF)]
    items += [(Source.OTEL_LOGS, i) for i in otlp.log_candidates(logs_body(record), otlp.PROTOBUF)]
    built = 0
    for source, item in items:
        verdict = intake.classifier.classify(source, "shop", item)
        if verdict.iri is None:
            continue
        batch = EventColumns()
        assert intake._append(batch, source, "shop", item, verdict) is None
        row = {**item.fields, "ontology_id": verdict.iri, "project": "shop", "source": str(source)}
        assert [c[0] for c in batch.data] == [c[0] for c in _columns([Event.model_validate(row)], EVENT_COLUMNS)]
        built += 1
    assert built == 3 + 4 + 1


class _QuarantineInsertFailsOnce:
    """The real warehouse, except that its first quarantine insert fails (a disk that filled up for a moment)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse, self.failed = warehouse, False

    def __getattr__(self, name: str):
        return getattr(self.warehouse, name)

    def quarantine_batch(self, *args, **kwargs):
        if not self.failed:
            self.failed = True
            raise WarehouseError("no space left on device")
        return self.warehouse.quarantine_batch(*args, **kwargs)


def test_a_failed_quarantine_insert_after_the_events_landed_is_retried_not_answered_5xx(
        data_dir: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", json.dumps({"phc_shop": "shop"}))
    chronicle, flaky = open_chronicle(data_dir), _QuarantineInsertFailsOnce(warehouse)
    intake = TelemetryIntake(data_dir, warehouse=lambda: flaky, artifacts=lambda: chronicle.artifacts,
                             semantics=lambda: get_semantics(data_dir))
    outcome = intake.posthog(_batch([_event(), _event(), _event("checkout_done")]))
    assert (outcome.stored, outcome.quarantined) == (2, 1) and flaky.failed
    assert rows(warehouse, "SELECT id FROM quarantine") == [] and len(intake.store.not_in_warehouse()) == 1
    intake.posthog(_batch([_event()]))  # the next body writes what is owed
    assert len(rows(warehouse, "SELECT id FROM quarantine")) == 1 and intake.store.not_in_warehouse() == []
