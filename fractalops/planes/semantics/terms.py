"""Local→global term map: a project-local term is reusable only once it maps to a global `fo:DomainTerm`."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from rdflib import Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import RDF, SKOS

from fractalops.errors import SemanticsError, UnmappedTermError
from fractalops.planes.semantics.graph import SemanticGraph, terms_graph_iri
from fractalops.planes.semantics.namespaces import FO, local_term_iri, project_iri
from fractalops.planes.semantics.ontology import global_terms
from fractalops.planes.semantics.turtle import parse_turtle
from fractalops.planes.semantics.validation import require_valid

__all__ = ["MatchKind", "TermMapping", "TermCheck", "TermMap", "parse_local_terms", "expand_global_iri",
           "suggest_global_term"]

MatchKind = Literal["exactMatch", "broadMatch"]
_MATCHES: tuple[str, ...] = ("exactMatch", "broadMatch")
MAPPING_KIND = "ontology_mapping"


@dataclass(frozen=True)
class TermMapping:
    """One declared local→global mapping."""

    local_term: str
    """The project-local term as written in the project."""
    global_iri: str
    """The global `fo:DomainTerm` it maps to."""
    match: str
    """`exactMatch` or `broadMatch` (SKOS mapping property)."""


@dataclass(frozen=True)
class TermCheck:
    """The mapping status of one local term."""

    local_term: str
    global_iri: str | None
    """The global term it resolves to, or None when unmapped."""
    match: str | None
    ok: bool
    reason: str
    """Why it is (not) reusable, in words an operator can act on."""


def expand_global_iri(value: str) -> str:
    """`fo:Customer`, `Customer` or the full IRI → the full IRI (no existence check)."""
    value = value.strip()
    if value.startswith("fo:"):
        return str(FO) + value[3:]
    if "://" in value:
        return value
    return str(FO) + value


def parse_local_terms(data: Any, where: str) -> dict[str, tuple[str | None, str | None]]:
    """YAML `terms:` mapping → {local: (match, target)}; accepts {exactMatch: X}, {broadMatch: X}, 'X' or null."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SemanticsError(f"{where}: local terms must be a mapping of term → {{exactMatch|broadMatch: <global>}}")
    out: dict[str, tuple[str | None, str | None]] = {}
    for term, spec in data.items():
        term = str(term)
        if spec is None or spec == {}:
            out[term] = (None, None)
        elif isinstance(spec, str):
            out[term] = ("exactMatch", spec)
        elif isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in _MATCHES:
            match, target = next(iter(spec.items()))
            out[term] = (str(match), str(target))
        else:
            raise SemanticsError(
                f"{where}: term {term!r} has an invalid mapping {spec!r}; write "
                f"`{term}: {{exactMatch: fo:<GlobalTerm>}}` or `{{broadMatch: ...}}`"
            )
    return out


def _hash(content: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class TermMap:
    """Project-local vocabulary and its mappings to the global ontology.

    Mappings come from the project's own vocabulary file (validated against the ontology) and from
    approved `ontology_mapping` proposals persisted in the semantic graph.
    """

    def __init__(self, project: str, semantics: SemanticGraph | None = None,
                 declared: dict[str, tuple[str | None, str | None]] | None = None) -> None:
        if not project:
            raise SemanticsError("TermMap needs a project name")
        self.project = project
        self.semantics = semantics
        self.declared = dict(declared or {})

    @classmethod
    def from_file(cls, path: Path, project: str | None = None, semantics: SemanticGraph | None = None) -> TermMap:
        """Load a local vocabulary: YAML (`project:`, `terms:`/`local_terms:`) or Turtle (skos matches)."""
        path = Path(path)
        if path.suffix in (".ttl", ".turtle"):
            graph = parse_turtle(path)
            declared: dict[str, tuple[str | None, str | None]] = {}
            for concept in set(graph.subjects(RDF.type, SKOS.Concept)) | set(graph.subjects(RDF.type, FO.LocalTerm)):
                label = graph.value(concept, SKOS.prefLabel)
                name = str(label) if label is not None else str(concept).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                exact, broad = graph.value(concept, SKOS.exactMatch), graph.value(concept, SKOS.broadMatch)
                declared[name] = ("exactMatch", str(exact)) if exact else ("broadMatch", str(broad)) if broad else (None, None)
            return cls(project or path.stem, semantics, declared)
        try:
            data = yaml.safe_load(path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SemanticsError(f"cannot read local vocabulary {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SemanticsError(f"{path}: expected a mapping with `project:` and `terms:`")
        name = project or str(data.get("project") or path.stem)
        terms = data.get("terms") if "terms" in data else data.get("local_terms")
        return cls(name, semantics, parse_local_terms(terms, str(path)))

    def approved_mappings(self) -> dict[str, tuple[str, str]]:
        """Local term → (match, global IRI) of every approved mapping of the project (from the semantic graph)."""
        return self._approved()

    def _approved(self) -> dict[str, tuple[str, str]]:
        if self.semantics is None:
            return {}
        out: dict[str, tuple[str, str]] = {}
        g = self.semantics.named_graph(terms_graph_iri(self.project))
        for concept in g.subjects(RDF.type, FO.LocalTerm):
            label = g.value(concept, SKOS.prefLabel)
            for match in _MATCHES:
                target = g.value(concept, getattr(SKOS, match))
                if label is not None and target is not None:
                    out[str(label)] = (match, str(target))
        return out

    def check_term(self, local_term: str) -> TermCheck:
        """Whether `local_term` is reusable, and why (never raises for an unmapped term)."""
        known = global_terms()
        iri = expand_global_iri(local_term)
        if _is_known(iri, known):
            return TermCheck(local_term, iri, "global", True, "is a global term")
        if "://" in local_term or local_term.startswith("fo:"):
            return TermCheck(local_term, None, None, False, f"{iri} is not a term of the global ontology")
        approved = self._approved().get(local_term)
        if approved:
            return TermCheck(local_term, approved[1], approved[0], True, "approved mapping")
        match, target = self.declared.get(local_term, (None, None))
        if match and target:
            iri = expand_global_iri(target)
            if _is_known(iri, known):
                return TermCheck(local_term, iri, match, True, "declared in the project vocabulary")
            return TermCheck(local_term, None, None, False,
                             f"declared skos:{match} target {target!r} is not a global fo:DomainTerm")
        return TermCheck(local_term, None, None, False, "no skos:exactMatch/broadMatch to the global ontology")

    def check(self) -> list[TermCheck]:
        """Status of every declared and approved local term, sorted by term."""
        names = set(self.declared) | set(self._approved())
        return [self.check_term(n) for n in sorted(names)]

    def resolve(self, local_term: str) -> str:
        """The global IRI for `local_term`; raises `UnmappedTermError` when it does not map."""
        result = self.check_term(local_term)
        if not result.ok or result.global_iri is None:
            raise UnmappedTermError(
                local_term, self.project,
                f"local term {local_term!r} of project {self.project!r} cannot be reused: {result.reason}; "
                f"propose a mapping with `TermMap.propose_mapping({local_term!r}, 'fo:<GlobalTerm>')` "
                "(skos:exactMatch or skos:broadMatch) and apply it after approval",
            )
        return result.global_iri

    def mapping_turtle(self, local_term: str, global_iri: str, match: str) -> str:
        """The Turtle a mapping adds to the project's term graph."""
        term, proj = local_term_iri(self.project, local_term), project_iri(self.project)
        g = Graph()
        g.bind("fo", FO)
        g.bind("skos", SKOS)
        g.add((term, RDF.type, FO.LocalTerm))
        g.add((term, RDF.type, SKOS.Concept))
        g.add((term, SKOS.prefLabel, RDFLiteral(local_term)))
        g.add((term, FO.inProject, proj))
        g.add((term, getattr(SKOS, match), URIRef(global_iri)))
        g.add((proj, RDF.type, FO.Project))
        g.add((proj, FO.name, RDFLiteral(self.project)))
        return g.serialize(format="turtle")

    def _checked_target(self, global_iri: str, match: str) -> str:
        if match not in _MATCHES:
            raise SemanticsError(f"mapping match {match!r} is not allowed; use one of {', '.join(_MATCHES)}")
        iri = expand_global_iri(global_iri)
        if not _is_known(iri, global_terms()):
            sample = ", ".join(sorted("fo:" + t[len(str(FO)):] for t in map(str, global_terms()))[:8])
            raise SemanticsError(
                f"{global_iri!r} is not a term of the global ontology, so project {self.project!r} cannot map to it; "
                f"pick an existing fo:DomainTerm (e.g. {sample}, ...) or propose an ontology change first"
            )
        return iri

    def propose_mapping(self, local_term: str, global_iri: str, match: str = "exactMatch") -> dict[str, Any]:
        """A proposal payload (kind `ontology_mapping`) for the proposal gate; nothing is written."""
        if not local_term:
            raise SemanticsError("propose_mapping: the local term is empty")
        iri = self._checked_target(global_iri, match)
        content = {"project": self.project, "local_term": local_term, "global_iri": iri, "match": match}
        return {
            "kind": MAPPING_KIND,
            "target": f"semantics:terms/{self.project}",
            "summary": f"map local term {local_term!r} of project {self.project!r} to {iri} (skos:{match})",
            "turtle": self.mapping_turtle(local_term, iri, match),
            "content": content,
            "content_hash": _hash(content),
        }

    def apply_mapping(self, payload: dict[str, Any]) -> str:
        """Apply an approved mapping proposal (re-validated from its `content`); returns the global IRI."""
        if self.semantics is None:
            raise SemanticsError("apply_mapping needs a TermMap opened with a SemanticGraph (open_semantics())")
        if not isinstance(payload, dict) or payload.get("kind") != MAPPING_KIND:
            raise SemanticsError(f"apply_mapping expects a payload of kind {MAPPING_KIND!r}")
        content = payload.get("content")
        if not isinstance(content, dict) or not {"local_term", "global_iri", "match"} <= set(content):
            raise SemanticsError("apply_mapping: payload.content needs local_term, global_iri and match")
        if content.get("project", self.project) != self.project:
            raise SemanticsError(f"mapping is for project {content.get('project')!r}, not {self.project!r}")
        iri = self._checked_target(str(content["global_iri"]), str(content["match"]))
        local = str(content["local_term"])
        graph = parse_turtle(self.mapping_turtle(local, iri, str(content["match"])))
        require_valid(graph, f"mapping of {local!r}")
        existing = self._approved().get(local)
        if existing and existing[1] != iri:
            raise SemanticsError(
                f"local term {local!r} of project {self.project!r} already maps to {existing[1]}; "
                "propose removing that mapping first"
            )
        self.semantics.merge(graph, context=terms_graph_iri(self.project), where=f"mapping of {local!r}")
        return iri


def _is_known(iri: str, known: frozenset[URIRef]) -> bool:
    return URIRef(iri) in known


def suggest_global_term(local_term: str) -> str:
    """The global domain term whose name is closest to `local_term`: a starting point a reviewer may edit."""
    by_name = {str(t)[len(str(FO)):].lower(): str(t) for t in global_terms()}
    best = difflib.get_close_matches(local_term.lower(), list(by_name), n=1, cutoff=0.0)
    return by_name[best[0]] if best else sorted(by_name.values())[0]
