"""Classification comes from the semantics plane: the ontology's telemetry terms, then the project's mappings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fractalops.planes.semantics import FO, TermMap, get_semantics
from fractalops.planes.telemetry import MALFORMED, UNKNOWN, Classifier, Source, builtin_rules
from fractalops.planes.telemetry.model import Candidate
from fractalops.planes.telemetry.posthog import posthog_candidate

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _event(name: str) -> Candidate:
    return posthog_candidate({"event": name, "distinct_id": "u"}, NOW)


def _span(name: str, convention: str = "", kind: str = "internal") -> Candidate:
    return Candidate(key="k", name=name, raw=bytes, media_type="application/x-protobuf", convention=convention,
                     kind=kind)


def test_the_ontology_carries_the_builtin_rules() -> None:
    rules = builtin_rules()
    assert rules.posthog["$pageview"] == str(FO.PageView) and rules.posthog["$exception"] == str(FO.ExceptionEvent)
    assert rules.posthog["survey sent"] == rules.posthog["$survey_sent"] == str(FO.SurveySent)
    assert rules.spans[("http", "server")] == str(FO.HttpServerRequest)
    assert rules.spans[("http", "")] == str(FO.HttpRequest) and rules.spans[("db", "")] == str(FO.DatabaseCall)
    assert rules.signals == {"logs": str(FO.LogRecord)}


def test_posthog_events_spans_and_logs(data_dir: Path) -> None:
    classify = Classifier(lambda: get_semantics(data_dir)).classify
    assert classify(Source.POSTHOG, "shop", _event("$autocapture")).iri == str(FO.Autocapture)
    assert classify(Source.POSTHOG, "shop", _event("fo:Purchase")).iri == str(FO.Purchase)
    assert classify(Source.POSTHOG, "shop", _event("Purchase")).iri == str(FO.Purchase)
    unknown = classify(Source.POSTHOG, "shop", _event("checkout_done"))
    assert unknown.iri is None and unknown.kind == UNKNOWN and "'checkout_done'" in unknown.reason
    assert "fractalops telemetry map --project shop 'checkout_done=fo:<Term>'" in unknown.reason
    assert classify(Source.OTEL_TRACES, "shop", _span("GET /", "http", "server")).iri == str(FO.HttpServerRequest)
    assert classify(Source.OTEL_TRACES, "shop", _span("GET /", "http", "unspecified")).iri == str(FO.HttpRequest)
    assert classify(Source.OTEL_TRACES, "shop", _span("q", "db", "client")).iri == str(FO.DatabaseCall)
    assert classify(Source.OTEL_TRACES, "shop", _span("p", "messaging", "consumer")).iri == str(FO.MessageReceive)
    plain = classify(Source.OTEL_TRACES, "shop", _span("recompute"))
    assert plain.kind == UNKNOWN and "no http.*, db.*, rpc.* or messaging.* attributes" in plain.reason
    log = Candidate(key="k", name="", raw=bytes, media_type="x", signal="logs")
    assert classify(Source.OTEL_LOGS, "shop", log).iri == str(FO.LogRecord)
    log.exception = True
    assert classify(Source.OTEL_LOGS, "shop", log).iri == str(FO.ExceptionEvent)
    broken = posthog_candidate({"event": "$pageview"}, NOW)
    assert classify(Source.POSTHOG, "shop", broken).kind == MALFORMED


def test_an_applied_mapping_classifies_the_name_in_its_project_only(data_dir: Path) -> None:
    semantics = get_semantics(data_dir)
    classifier = Classifier(lambda: semantics)
    assert classifier.classify(Source.POSTHOG, "shop", _event("checkout_done")).iri is None
    terms = TermMap("shop", semantics=semantics)
    terms.apply_mapping(terms.propose_mapping("checkout_done", "fo:Purchase"))
    assert classifier.classify(Source.POSTHOG, "shop", _event("checkout_done")).iri == str(FO.Purchase)
    assert classifier.classify(Source.POSTHOG, "blog", _event("checkout_done")).iri is None
    spans = TermMap("shop", semantics=semantics)
    spans.apply_mapping(spans.propose_mapping("recompute", "fo:InternalSpan"))
    assert classifier.classify(Source.OTEL_TRACES, "shop", _span("recompute")).iri == str(FO.InternalSpan)
