"""Semantics plane: the global ontology, SHACL validation, the persistent RDF graph and the term map."""

from fractalops.planes.semantics.graph import (
    PROPOSALS_GRAPH,
    SemanticGraph,
    get_semantics,
    open_semantics,
    steward_graph_iri,
    terms_graph_iri,
)
from fractalops.planes.semantics.namespaces import (
    FO,
    agent_iri,
    change_iri,
    commit_iri,
    dataset_iri,
    field_iri,
    local_term_iri,
    project_iri,
    proposal_iri,
    report_iri,
)
from fractalops.planes.semantics.ontology import global_terms, ontology_graph, shapes_graph
from fractalops.planes.semantics.terms import TermCheck, TermMap, TermMapping
from fractalops.planes.semantics.turtle import load_turtle, parse_turtle
from fractalops.planes.semantics.validation import ValidationReport, Violation, require_valid, validate

__all__ = [
    "FO",
    "PROPOSALS_GRAPH",
    "SemanticGraph",
    "TermCheck",
    "TermMap",
    "TermMapping",
    "ValidationReport",
    "Violation",
    "agent_iri",
    "change_iri",
    "commit_iri",
    "dataset_iri",
    "field_iri",
    "get_semantics",
    "global_terms",
    "load_turtle",
    "local_term_iri",
    "ontology_graph",
    "open_semantics",
    "parse_turtle",
    "project_iri",
    "proposal_iri",
    "report_iri",
    "require_valid",
    "shapes_graph",
    "steward_graph_iri",
    "terms_graph_iri",
    "validate",
]
