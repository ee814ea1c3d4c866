"""Classification into global ontology ids, from the semantics plane only.

Built-in rules are read from the shipped ontology (`ontology/telemetry.ttl`): `fo:posthogEvent` names the PostHog
event a term stands for, `fo:otelConvention` + `fo:otelSpanKind` the spans it classifies, `fo:otelSignal` the signal
term. A project-local name (a custom PostHog event, an unconventional span name, a log record's event name) is
classified through the project's approved `ontology_mapping`s in the semantic graph, or when it names a global term
itself (`fo:Purchase`, its IRI, or `Purchase`). Anything else is unknown: it is quarantined until a mapping for it
is approved, then a replay classifies it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Literal, URIRef

from fractalops.planes.semantics import FO, SemanticGraph, TermMap, ontology_graph
from fractalops.planes.semantics.ontology import global_terms
from fractalops.planes.semantics.terms import expand_global_iri
from fractalops.planes.telemetry.model import Candidate, Source

__all__ = ["Rules", "builtin_rules", "Classifier", "Verdict", "UNKNOWN", "MALFORMED"]

UNKNOWN = "unknown"
"""Quarantine kind: well formed, but its name maps to no global term (a mapping proposal fixes it)."""
MALFORMED = "malformed"
"""Quarantine kind: the item itself is broken (wrong types, bad ids or timestamps)."""


@dataclass(frozen=True)
class Rules:
    """The built-in classification rules, as read from the ontology."""

    posthog: dict[str, str]
    """PostHog event name → global IRI."""
    spans: dict[tuple[str, str], str]
    """(convention, span kind) → global IRI; kind `""` is the convention's term for any kind."""
    signals: dict[str, str]
    """Signal (`logs`) → global IRI."""
    exception: str
    """The term of an exception (a log record carrying `exception.*`)."""


def _literals(predicate: URIRef) -> list[tuple[str, str]]:
    graph = ontology_graph()
    return [(str(s), str(o)) for s, o in graph.subject_objects(predicate) if isinstance(o, Literal)]


@lru_cache(maxsize=1)
def builtin_rules() -> Rules:
    """The rules of the shipped ontology (read once per process)."""
    graph = ontology_graph()
    posthog = {name: iri for iri, name in _literals(FO.posthogEvent)}
    spans: dict[tuple[str, str], str] = {}
    for iri, convention in _literals(FO.otelConvention):
        kinds = [str(k) for k in graph.objects(URIRef(iri), FO.otelSpanKind)] or [""]
        for kind in kinds:
            spans[(convention, kind)] = iri
    signals = {signal: iri for iri, signal in _literals(FO.otelSignal)}
    return Rules(posthog=posthog, spans=spans, signals=signals, exception=str(FO.ExceptionEvent))


@dataclass(frozen=True, slots=True)
class Verdict:
    """A candidate's classification: a global IRI, or the quarantine kind and reason."""

    iri: str | None
    kind: str = ""
    reason: str = ""


_FOUND: dict[str, Verdict] = {}


def _found(iri: str) -> Verdict:
    """The verdict for `iri`, one shared instance per IRI: a frozen dataclass costs about a microsecond to build,
    per item of a body otherwise."""
    verdict = _FOUND.get(iri)
    if verdict is None:
        verdict = _FOUND.setdefault(iri, Verdict(iri))
    return verdict


class Classifier:
    """Classifies candidates of any project; approved mappings are re-read only when the semantic graph changed."""

    def __init__(self, semantics: Callable[[], SemanticGraph]) -> None:
        self._semantics = semantics
        self._rules = builtin_rules()
        self._globals = frozenset(str(t) for t in global_terms())
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[object, dict[str, str]]] = {}
        self._names: dict[str, tuple[dict[str, str], dict[str, str]]] = {}

    def mappings(self, project: str) -> dict[str, str]:
        """Local name → global IRI of the project's approved mappings (cached per semantic-graph version)."""
        graph = self._semantics()
        version = graph.version
        with self._lock:
            cached = self._cache.get(project)
            if cached is not None and cached[0] == version:
                return cached[1]
        resolved = {local: iri for local, (_, iri) in TermMap(project, semantics=graph).approved_mappings().items()}
        with self._lock:
            self._cache[project] = (version, resolved)
        return resolved

    def posthog_names(self, project: str, mappings: dict[str, str] | None = None) -> dict[str, str]:
        """PostHog event name → global IRI for every name `classify` resolves by the ontology's PostHog events or an
        approved mapping of `project` (what a decoder's one-pass path classifies; other names take `classify`)."""
        mappings = self.mappings(project) if mappings is None else mappings
        with self._lock:
            cached = self._names.get(project)
        if cached is not None and cached[0] is mappings:
            return cached[1]
        names = {**mappings, **self._rules.posthog}  # the ontology's own PostHog events come first, as in `classify`
        with self._lock:
            self._names[project] = (mappings, names)
        return names

    @property
    def span_rules(self) -> dict[tuple[str, str], str]:
        """(convention, span kind) → global IRI, kind `""` for any kind (as `classify` reads them)."""
        return self._rules.spans

    def resolve_name(self, project: str, name: str, mappings: dict[str, str] | None = None) -> str | None:
        """The global IRI a local `name` stands for in `project`, or None."""
        if not name:
            return None
        found = (self.mappings(project) if mappings is None else mappings).get(name)
        if found:
            return found
        if name.startswith("$"):
            return None
        try:
            iri = expand_global_iri(name)
        except ValueError:
            return None
        return iri if iri in self._globals else None

    def classify(self, source: Source, project: str, item: Candidate,
                 mappings: dict[str, str] | None = None) -> Verdict:
        """The item's global IRI, or why it is quarantined."""
        if item.problem:
            return Verdict(None, MALFORMED, item.problem)
        if source is Source.POSTHOG:
            iri = self._rules.posthog.get(item.name) or self.resolve_name(project, item.name, mappings)
            if iri:
                return _found(iri)
            return Verdict(None, UNKNOWN, _unknown(project, item.name, "event name",
                                                   "is not a PostHog event of the global ontology"))
        if source is Source.OTEL_TRACES:
            if item.convention:
                spans = self._rules.spans
                iri = spans.get((item.convention, item.kind)) or spans.get((item.convention, ""))
                if iri:
                    return _found(iri)
            iri = self.resolve_name(project, item.name, mappings)
            if iri:
                return _found(iri)
            return Verdict(None, UNKNOWN, _unknown(
                project, item.name, "span name",
                f"(kind {item.kind or 'unspecified'}) has no http.*, db.*, rpc.* or messaging.* attributes"))
        if item.name:
            iri = self.resolve_name(project, item.name, mappings)
            if iri:
                return _found(iri)
            return Verdict(None, UNKNOWN, _unknown(project, item.name, "log event name", "is not a global term"))
        if item.exception:
            return _found(self._rules.exception)
        return Verdict(self._rules.signals.get(item.signal or "logs"))


def _unknown(project: str, name: str, what: str, why: str) -> str:
    shown = repr(name) if name else "(empty)"
    return (f"unknown {what} {shown} in project {project!r}: it {why} and has no approved mapping to one; propose one "
            f"with `fractalops telemetry map --project {project} '{name or '<name>'}=fo:<Term>'`, approve it, then run "
            f"`fractalops telemetry replay-quarantine`")
