"""Namespaces and the global IRI scheme: one function per kind of identity."""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "FO",
    "PROV",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "ONTOLOGY_IRI",
    "ID_BASE",
    "slug",
    "project_iri",
    "dataset_iri",
    "field_iri",
    "owner_iri",
    "agent_iri",
    "proposal_iri",
    "change_iri",
    "commit_iri",
    "report_iri",
    "local_term_iri",
    "event_iri",
]

FO = Namespace("https://fractalops.dev/ontology#")
"""The global ontology namespace (prefix `fo:`)."""

ONTOLOGY_IRI = "https://fractalops.dev/ontology"
ID_BASE = "https://fractalops.dev/id/"
"""Every global identity IRI starts here; the path says what kind of thing it is."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]")


def slug(value: str) -> str:
    """A path segment that round-trips any name (percent-encoded, never empty)."""
    if not value:
        raise ValueError("an identity segment may not be empty")
    return quote(value, safe="-._~")


def _iri(*parts: str) -> URIRef:
    return URIRef(ID_BASE + "/".join(slug(p) for p in parts))


def project_iri(project: str) -> URIRef:
    return _iri("project", project)


def dataset_iri(project: str, dataset: str) -> URIRef:
    return _iri("project", project, "dataset", dataset)


def field_iri(project: str, dataset: str, field: str) -> URIRef:
    return _iri("project", project, "dataset", dataset, "field", field)


def owner_iri(owner: str) -> URIRef:
    return _iri("owner", owner)


def agent_iri(agent: str) -> URIRef:
    return _iri("agent", agent)


def proposal_iri(proposal_id: str) -> URIRef:
    return _iri("proposal", proposal_id)


def change_iri(proposal_id: str) -> URIRef:
    return _iri("proposal", proposal_id, "change")


def commit_iri(commit: str) -> URIRef:
    return _iri("commit", commit)


def report_iri(project: str, report_id: str) -> URIRef:
    return _iri("project", project, "steward-report", report_id)


def local_term_iri(project: str, term: str) -> URIRef:
    return _iri("project", project, "term", term)


def event_iri(event_id: str) -> URIRef:
    return _iri("event", event_id)
